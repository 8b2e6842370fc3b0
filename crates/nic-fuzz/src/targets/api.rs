//! Target `api-json`: the JSON bodies of `/api/ask`, `/api/search` and `/api/retrieve` —
//! content type, size limit, deserialisation into the routes' own request types and their
//! validation, i.e. everything before the engine (`nic_server::check_json_body`). Invariant:
//! a refused body is a 4xx with the API's error shape, never a 5xx.
//!
//! Input: `ROUTE\nCONTENT-TYPE\nBODY`. An unknown route line is mapped onto a known route.

use crate::bytes::{self, pick};
use crate::engine::{Outcome, Scratch, Target};
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::IntoResponse;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Map, Number, Value};
use std::time::Duration;

pub static API_JSON: Target = Target {
    name: "api-json",
    about: "JSON bodies of /api/ask, /api/search, /api/retrieve: parse + validation",
    max_len: 70 * 1024,
    time_limit: Duration::from_secs(5),
    dictionary: &[
        b"\"question\"",
        b"\"query\"",
        b"\"session_id\"",
        b"\"domain\"",
        b"\"mode\"",
        b"\"top_k\"",
        b"\"k\"",
        b"\"fallback\"",
        b"null",
        b"true",
        b"[",
        b"{",
        b"\\u0000",
        b"\\ud800",
        b"\\\"",
        b"1e999",
        b"-0",
    ],
    seeds,
    structured: Some(mutate),
    run,
    describe: None,
};

fn seeds(_: Option<&std::path::Path>) -> Vec<Vec<u8>> {
    let bodies = [
        (
            "/api/ask",
            "application/json",
            json!({"question": "How do I test the alternator?"}),
        ),
        (
            "/api/ask",
            "application/json; charset=utf-8",
            json!({"question": "Torque for the caliper bolts?", "session_id": "s-1_a", "domain": "vehicle", "mode": "extractive", "top_k": 5}),
        ),
        (
            "/api/ask",
            "application/json",
            json!({"question": "What is P0420?", "mode": "retrieval-only", "fallback": true}),
        ),
        (
            "/api/ask",
            "application/vnd.nic+json",
            json!({"question": "x", "mode": "LLM", "top_k": 20}),
        ),
        (
            "/api/search",
            "application/json",
            json!({"query": "P0420", "k": 5, "domain": "vehicle"}),
        ),
        (
            "/api/search",
            "application/json",
            json!({"query": "brake pads", "k": 100}),
        ),
        (
            "/api/retrieve",
            "application/json",
            json!({"query": "alternator output", "k": 3}),
        ),
        (
            "/api/retrieve",
            "Application/JSON",
            json!({"query": "smoke"}),
        ),
    ];
    bodies
        .into_iter()
        .map(|(r, ct, b)| format!("{r}\n{ct}\n{b}").into_bytes())
        .collect()
}

/// (route, content type, body) of an input.
fn parts(input: &[u8]) -> (&'static str, &[u8], &[u8]) {
    let (route, rest) = super::split_once(input, b"\n");
    let (ct, body) = super::split_once(rest, b"\n");
    let routes = nic_server::JSON_ROUTES;
    let route = routes
        .iter()
        .copied()
        .find(|r| r.as_bytes() == route)
        .unwrap_or_else(|| routes[route.first().map_or(0, |b| *b as usize) % routes.len()]);
    (route, ct, body)
}

fn run(_: &mut Scratch, input: &[u8]) -> Outcome {
    let (route, ct, body) = parts(input);
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(ct) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    match nic_server::check_json_body(route, &headers, Bytes::copy_from_slice(body)) {
        Some(Ok(())) => Outcome::Accepted,
        Some(Err(e)) => {
            assert!(
                e.status.is_client_error(),
                "{route}: a bad body got {} {}: {}",
                e.status,
                e.code,
                e.message
            );
            let resp = e.with_request_id("fuzz").into_response();
            assert!(resp.status().is_client_error());
            Outcome::Rejected
        }
        None => Outcome::Rejected,
    }
}

const KEYS: &[&str] = &[
    "question",
    "query",
    "session_id",
    "domain",
    "mode",
    "top_k",
    "k",
    "fallback",
    "Question",
    "question ",
    "quéstion",
    "",
    "__proto__",
];
const MODES: &[&str] = &[
    "auto",
    "extractive",
    "generative",
    "retrieval-only",
    "retrieval_only",
    "llm",
    "fallback",
    "LLM ",
    "Auto",
    "no-llm",
    "rag",
    "",
    " ",
    "ext\u{0}ractive",
    "GENERATİVE",
];

fn random_string(rng: &mut StdRng) -> String {
    match rng.gen_range(0..10) {
        0 => String::new(),
        1 => " \t\n ".into(),
        2 => "a".repeat(
            *[3999usize, 4000, 4001]
                .get(rng.gen_range(0..3))
                .unwrap_or(&4000),
        ),
        3 => "é".repeat(rng.gen_range(3990..4010)),
        4 => "\u{0}\u{1}\u{7}\u{1b}".repeat(rng.gen_range(1..50)),
        5 => format!("q{}", "\u{200b}".repeat(rng.gen_range(1..5000))),
        6 => pick(rng, MODES).to_string(),
        7 => "s-1_A".repeat(rng.gen_range(1..40)),
        8 => String::from_utf8_lossy(pick(rng, bytes::UNICODE)).repeat(rng.gen_range(1..100)),
        _ => "How do I bleed the brakes?".into(),
    }
}

fn random_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..9) {
        0 => Value::Null,
        1 => Value::Bool(rng.gen()),
        2 => {
            let n = pick(rng, bytes::INTERESTING_NUMBERS);
            serde_json::from_str::<Number>(n)
                .map(Value::Number)
                .unwrap_or_else(|_| Value::String(n.to_string()))
        }
        3 => Value::Number(Number::from(rng.gen::<u64>())),
        4 => Value::Number(Number::from(rng.gen_range(-30i64..130))),
        5 => Number::from_f64(
            *[0.5, -0.0, 1e308, 20.0000001]
                .get(rng.gen_range(0..4))
                .unwrap_or(&0.5),
        )
        .map(Value::Number)
        .unwrap_or(Value::Null),
        6 if depth < 4 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        7 if depth < 4 => {
            let mut m = Map::new();
            for _ in 0..rng.gen_range(0..4) {
                m.insert(pick(rng, KEYS).to_string(), random_value(rng, depth + 1));
            }
            Value::Object(m)
        }
        _ => Value::String(random_string(rng)),
    }
}

/// Mutates the body as JSON when it parses (values, keys, nesting), else as JSON text.
fn mutate(rng: &mut StdRng, input: &[u8], _seeds: &[Vec<u8>]) -> Vec<u8> {
    let (route, ct, body) = parts(input);
    let mut route = route.as_bytes().to_vec();
    let mut ct = ct.to_vec();
    if rng.gen_bool(0.05) {
        route = pick(rng, nic_server::JSON_ROUTES).as_bytes().to_vec();
    }
    if rng.gen_bool(0.05) {
        ct = pick(
            rng,
            &[
                "application/json",
                "application/json;charset=utf-8",
                "application/problem+json",
                "text/json",
                "",
                "application/+json",
                " APPLICATION/JSON ; x",
                "multipart/form-data; boundary=x",
            ],
        )
        .as_bytes()
        .to_vec();
    }
    let body = match serde_json::from_slice::<Value>(body) {
        Ok(mut v) if rng.gen_bool(0.8) => {
            mutate_value(rng, &mut v);
            serde_json::to_vec(&v).unwrap_or_default()
        }
        _ => mutate_text(rng, body.to_vec()),
    };
    let mut out = route;
    out.push(b'\n');
    out.extend_from_slice(&ct);
    out.push(b'\n');
    out.extend_from_slice(&body);
    out
}

fn mutate_value(rng: &mut StdRng, node: &mut Value) {
    // Sometimes go down to a child and mutate there.
    if rng.gen_bool(0.5) {
        match node {
            Value::Object(m) if !m.is_empty() => {
                let i = rng.gen_range(0..m.len());
                if let Some(c) = m.values_mut().nth(i) {
                    return mutate_value(rng, c);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                let i = rng.gen_range(0..a.len());
                return mutate_value(rng, &mut a[i]);
            }
            _ => {}
        }
    }
    match (rng.gen_range(0..7), &mut *node) {
        (0, Value::Object(m)) if !m.is_empty() => {
            let k = m
                .keys()
                .nth(rng.gen_range(0..m.len()))
                .cloned()
                .unwrap_or_default();
            m.remove(&k);
        }
        (1, Value::Object(m)) => {
            m.insert(pick(rng, KEYS).to_string(), random_value(rng, 0));
        }
        (2, Value::Object(m)) if !m.is_empty() => {
            // Rename a key.
            let k = m
                .keys()
                .nth(rng.gen_range(0..m.len()))
                .cloned()
                .unwrap_or_default();
            if let Some(x) = m.remove(&k) {
                m.insert(pick(rng, KEYS).to_string(), x);
            }
        }
        (3, _) => {
            let inner = node.take();
            *node = if rng.gen() {
                Value::Array(vec![inner])
            } else {
                json!({ pick(rng, KEYS): inner })
            };
        }
        _ => *node = random_value(rng, 0),
    }
}

/// Edits of JSON text that a `Value` cannot express: duplicate keys, deep nesting, broken
/// escapes, trailing bytes.
fn mutate_text(rng: &mut StdRng, mut b: Vec<u8>) -> Vec<u8> {
    match rng.gen_range(0..8) {
        0 => {
            let dup = format!("\"{}\":{},", pick(rng, KEYS), random_value(rng, 2));
            if let Some(i) = b.iter().position(|&c| c == b'{') {
                b.splice(i + 1..i + 1, dup.into_bytes());
            }
        }
        1 => {
            let n = *[100usize, 127, 128, 129, 1000, 5000, 60000]
                .get(rng.gen_range(0..7))
                .unwrap_or(&128);
            let (o, c) = if rng.gen() {
                ("[", "]")
            } else {
                ("{\"a\":", "}")
            };
            let nest = bytes::nested(o, rng.gen_bool(0.5).then_some(c), n);
            bytes::insert(rng, &mut b, &nest);
        }
        2 => {
            let bad: &str = pick(
                rng,
                &[
                    "\\ud800",
                    "\\u00",
                    "\\x41",
                    "\\",
                    "\u{0}",
                    "\n",
                    "\\uDFFF\\uD800",
                ],
            );
            if let Some(i) = b.iter().position(|&c| c == b'"') {
                b.splice(i + 1..i + 1, bad.bytes());
            }
        }
        3 => b.extend_from_slice(pick(rng, &[" ", "garbage", "}", "{}", "\0"]).as_bytes()),
        4 => {
            b.splice(0..0, b"\xef\xbb\xbf".iter().copied());
        }
        5 => {
            let n: &str = pick(
                rng,
                &[
                    "1e999999",
                    "-",
                    "01",
                    "1.",
                    ".5",
                    "NaN",
                    "Infinity",
                    "1E+",
                    "18446744073709551616",
                ],
            );
            if !bytes::replace_number(rng, &mut b, n.as_bytes()) {
                b.extend_from_slice(n.as_bytes());
            }
        }
        6 => {
            // Pad the body toward the 64 KiB limit.
            let pad = rng.gen_range(60 * 1024..68 * 1024);
            let s = format!("{{\"question\":\"{}\"}}", "x".repeat(pad));
            b = s.into_bytes();
        }
        _ => {
            // Single quotes, a common client mistake.
            for c in b.iter_mut().filter(|c| **c == b'"') {
                *c = b'\'';
            }
        }
    }
    b
}
