//! Target `config`: `NicConfig::load_from` on a `nic.toml` text and an environment map,
//! then what start-up derives from the config (listen address, `nic config`'s masked TOML,
//! the unknown-variable guard, extract/retrieve/LLM settings). Invariant: the masked TOML
//! `nic config` prints is a valid `nic.toml` again.
//!
//! The input is decoded with `arbitrary::Unstructured` into TOML entries (known and unknown
//! keys, values of every TOML type, odd strings and numbers) or raw TOML text, and
//! `NAME=value` pairs; the `.txt` note of a saved failure shows the decoded form.

use crate::bytes;
use crate::engine::{Outcome, Scratch, Target};
use arbitrary::Unstructured;
use nic_core::config::ENV_VARS;
use nic_core::NicConfig;
use rand::rngs::StdRng;
use rand::Rng;
use std::time::Duration;

pub static CONFIG: Target = Target {
    name: "config",
    about: "config loader: nic.toml text + environment, derived settings",
    max_len: 4 << 10,
    time_limit: Duration::from_secs(5),
    dictionary: &[],
    seeds,
    structured: Some(mutate),
    run,
    describe: Some(describe),
};

fn seeds(_: Option<&std::path::Path>) -> Vec<Vec<u8>> {
    let mut rng: StdRng = rand::SeedableRng::seed_from_u64(2);
    let mut s: Vec<Vec<u8>> = vec![Vec::new(), vec![0; 64], vec![0xff; 64]];
    for len in [16, 64, 256, 1024] {
        for _ in 0..4 {
            s.push((0..len).map(|_| rng.gen()).collect());
        }
    }
    s
}

/// A config input decoded from bytes.
struct ConfigInput {
    toml: String,
    env: Vec<(String, String)>,
}

const KEYS: &[&str] = &[
    "data_dir",
    "bind",
    "port",
    "embedding_model",
    "batch_size",
    "max_workers",
    "queue_max",
    "cache_max_mb",
    "cache_ttl_s",
    "session_max",
    "session_ttl_s",
    "memory_limit_mb",
    "hybrid_search",
    "fusion",
    "vector_weight",
    "mmr_lambda",
    "domain_cap",
    "confidence_threshold",
    "top_k",
    "llm_backend",
    "llm_url",
    "llm_model",
    "llm_timeout_s",
    "num_ctx",
    "llm_breaker_failures",
    "llm_breaker_cooldown_s",
    "api_token",
    "rate_limit_per_minute",
    "auth_failures_per_minute",
    "http_header_timeout_s",
    "http_idle_timeout_s",
    "http_max_connections",
    "log_format",
    "keep_generations",
    "vector_index",
    "hnsw_min_chunks",
    "pdf_timeout_s",
    "max_file_mb",
    "audit_questions",
    "audit_retention_days",
    "unknown_key",
    "\"port\"",
    "'bind'",
    "server.port",
    "Port",
];

const STRINGS: &[&str] = &[
    "",
    " ",
    "0",
    "1",
    "-1",
    "true",
    "yes",
    "off",
    "none",
    "ollama",
    "openai",
    "vllm",
    "rrf",
    "weighted",
    "json",
    "text",
    "hash",
    "redact",
    "auto",
    "flat-f16",
    "hnsw-i8",
    "hnsw-",
    "-",
    "127.0.0.1",
    "0.0.0.0",
    "::1",
    "[::1]",
    "[::1]:8080",
    "localhost:0",
    "host:99999",
    "a:b:c",
    "http://u:p@h:11434/v1",
    "u:p@h",
    "https://[::1]:1/x?y#z",
    "redis://:pw@cache",
    "://@",
    "@",
    "http://",
    "models/x",
    "../../etc",
    "/",
    "é",
    "\u{0}",
    "\u{202e}",
    "nan",
    "NaN",
    "inf",
    "1e39",
    "0.5",
    "1.0000001",
    "-0",
    "65535",
    "65536",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775808",
];

fn pick_str<'a>(u: &mut Unstructured<'_>, xs: &[&'a str]) -> &'a str {
    u.choose(xs).copied().unwrap_or("")
}

fn toml_value(u: &mut Unstructured<'_>, depth: u32) -> String {
    match u.int_in_range(0..=9).unwrap_or(0) {
        0 => u.arbitrary::<i64>().unwrap_or(0).to_string(),
        1 => pick_str(
            u,
            &[
                "0",
                "-1",
                "1",
                "65535",
                "65536",
                "9223372036854775807",
                "-9223372036854775808",
                "0x10",
                "1_000",
                "+5",
            ],
        )
        .to_string(),
        2 => pick_str(
            u,
            &[
                "nan", "inf", "-inf", "0.5", "-0.0", "1e308", "1.5", "1e-50", "2.0",
            ],
        )
        .to_string(),
        3 => format!("{:?}", u.arbitrary::<f64>().unwrap_or(0.0)).replace("NaN", "nan"),
        4 => u.arbitrary::<bool>().unwrap_or(false).to_string(),
        5 | 6 => format!("{:?}", pick_str(u, STRINGS)),
        7 if depth < 3 => {
            let n = u.int_in_range(0..=3).unwrap_or(0);
            let items: Vec<String> = (0..n).map(|_| toml_value(u, depth + 1)).collect();
            format!("[{}]", items.join(", "))
        }
        8 if depth < 3 => format!("{{ {} = {} }}", pick_str(u, KEYS), toml_value(u, depth + 1)),
        _ => {
            let s: String = u.arbitrary().unwrap_or_default();
            format!("{s:?}")
        }
    }
}

fn decode(data: &[u8]) -> ConfigInput {
    let mut u = Unstructured::new(data);
    let toml = if u.ratio(1, 8).unwrap_or(false) {
        // Raw text.
        let n = u.int_in_range(0..=512).unwrap_or(0);
        String::from_utf8_lossy(u.bytes(n.min(u.len())).unwrap_or_default()).into_owned()
    } else {
        let mut t = String::new();
        for _ in 0..u.int_in_range(0..=8).unwrap_or(0) {
            if u.ratio(1, 16).unwrap_or(false) {
                t.push_str(&format!("[{}]\n", pick_str(&mut u, KEYS)));
            }
            let key = pick_str(&mut u, KEYS);
            let value = toml_value(&mut u, 0);
            t.push_str(&format!("{key} = {value}\n"));
        }
        t
    };
    let mut env = Vec::new();
    for _ in 0..u.int_in_range(0..=6).unwrap_or(0) {
        let name = if u.ratio(1, 10).unwrap_or(false) {
            pick_str(
                &mut u,
                &[
                    "NOVA_PROT",
                    "NOVA_",
                    "nova_port",
                    "NOVA_PORT ",
                    "OLLAMA_HOST",
                    "NOVA_CONFIG",
                ],
            )
            .to_string()
        } else {
            pick_str(&mut u, ENV_VARS).to_string()
        };
        if name == "NOVA_CONFIG" {
            continue; // a path: the file given explicitly is used anyway
        }
        let value = if u.ratio(1, 4).unwrap_or(false) {
            u.arbitrary::<String>().unwrap_or_default()
        } else {
            pick_str(&mut u, STRINGS).to_string()
        };
        env.push((name, value));
    }
    ConfigInput { toml, env }
}

fn describe(data: &[u8]) -> String {
    let c = decode(data);
    let mut s = format!("nic.toml:\n{}\nenvironment:\n", c.toml);
    for (k, v) in &c.env {
        s.push_str(&format!("{k}={v:?}\n"));
    }
    s
}

fn run(scratch: &mut Scratch, input: &[u8]) -> Outcome {
    let c = decode(input);
    let path = scratch.path("nic.toml");
    if let Err(e) = std::fs::write(&path, &c.toml) {
        return Outcome::Contained(format!("cannot write the scratch file: {e}"));
    }
    let _ = nic_core::config::unknown_env_vars(&c.env);
    match NicConfig::load_from(Some(&path), &c.env) {
        Ok(cfg) => {
            let _ = cfg.listen_addr();
            let _ = cfg.model_dir();
            let masked = cfg.to_masked_toml();
            if let Err(e) = toml::from_str::<NicConfig>(&masked) {
                panic!("`nic config` prints a config that does not load again: {e}\n{masked}");
            }
            let _ = nic_core::config::mask_url_credentials(&cfg.llm_url);
            let _ = nic_ingest::ExtractOptions::from_config(&cfg);
            let _ = nic_retrieve::RetrieverConfig::from_config(&cfg);
            let _ = nic_llm::from_config(&cfg).map(|c| c.map(|c| c.budget()));
            Outcome::Accepted
        }
        Err(e) => {
            let _ = e.to_string();
            Outcome::Rejected
        }
    }
}

/// Byte edits are the mutation for `arbitrary` inputs; this adds growth and splices of
/// whole decoded choices (runs of the same byte pick the same branch again).
fn mutate(rng: &mut StdRng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut d = input.to_vec();
    match rng.gen_range(0..3) {
        0 => {
            let n = rng.gen_range(1..64);
            let extra: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            bytes::insert(rng, &mut d, &extra);
        }
        1 if !d.is_empty() => {
            let (a, b) = bytes::range(rng, d.len());
            let v: u8 = rng.gen();
            d[a..b].fill(v);
        }
        _ => {
            if let Some(o) = seeds.get(rng.gen_range(0..seeds.len().max(1))) {
                let cut = rng.gen_range(0..=d.len());
                d.truncate(cut);
                d.extend_from_slice(&o[o.len() / 2..]);
            }
        }
    }
    d
}
