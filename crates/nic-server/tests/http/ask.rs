//! `/api/ask`: cited answers, abstention, the safety minimum, the upstream shapes.

use crate::common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Every `[n]` in `answer`.
fn refs_in(answer: &str) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    let mut rest = answer;
    while let Some(i) = rest.find('[') {
        rest = &rest[i + 1..];
        if let Some(j) = rest.find(']') {
            if let Ok(n) = rest[..j].parse::<u64>() {
                out.insert(n);
            }
        }
    }
    out
}

fn assert_answered_with_citations(v: &Value) {
    assert_eq!(v["status"], "answered", "{v}");
    let cites = v["citations"].as_array().expect("citations");
    assert!(!cites.is_empty(), "answered without citations: {v}");
    for c in cites {
        for k in ["doc", "title", "domain", "section", "snippet", "chunk_id"] {
            assert!(c[k].is_string(), "citation.{k} missing: {c}");
        }
        assert!(c["ref"].as_u64().is_some_and(|n| n >= 1), "{c}");
        assert!(c["page"].as_u64().is_some_and(|p| p >= 1), "{c}");
        assert!(c["score"].is_number(), "{c}");
        assert!(!c["snippet"].as_str().unwrap().is_empty(), "{c}");
        let doc = c["doc"].as_str().unwrap();
        assert!(
            doc.starts_with(&format!("{}/", c["domain"].as_str().unwrap())),
            "doc {doc} is not under its domain"
        );
    }
    let declared: BTreeSet<u64> = cites.iter().map(|c| c["ref"].as_u64().unwrap()).collect();
    assert_eq!(declared.len(), cites.len(), "duplicate refs: {v}");
    let used = refs_in(v["answer"].as_str().unwrap());
    assert_eq!(
        used, declared,
        "every [n] needs a citation and every citation an [n]: {v}"
    );
    let conf = v["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&conf), "{v}");
}

fn assert_envelope(v: &Value) {
    assert!(
        v["session_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{v}"
    );
    assert!(
        v["request_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{v}"
    );
    assert!(v["model_used"].is_string(), "{v}");
    assert!(v["traced_sources"].is_array(), "{v}");
    assert!(v["retrieval_score"].is_number(), "{v}");
    assert!(v["audit"]["supported"].is_number(), "{v}");
    assert!(v["safety"]["risk_level"].is_string(), "{v}");
    for k in ["embed", "retrieve", "generate", "total"] {
        assert!(v["timings_ms"][k].is_number(), "timings_ms.{k}: {v}");
    }
}

#[tokio::test]
async fn ask_answers_with_complete_citations() {
    let s = start().await;
    let r = s
        .http
        .post(s.url("/api/ask"))
        .header("x-request-id", "test-ask-1")
        .json(&json!({"question": "What torque for the front caliper bracket bolts?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-request-id"], "test-ask-1");
    let v: Value = r.json().await.unwrap();
    assert_answered_with_citations(&v);
    assert_envelope(&v);
    assert_eq!(v["request_id"], "test-ask-1");
    assert_eq!(v["mode"], "extractive", "no LLM configured: {v}");
    assert!(v["answer"].as_str().unwrap().contains("85-95"), "{v}");
    assert!(
        v["citations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["doc"] == "vehicle/brakes.txt"),
        "{v}"
    );
    // Upstream fields mirror the citations.
    let traced = v["traced_sources"].as_array().unwrap();
    assert_eq!(traced.len(), v["citations"].as_array().unwrap().len());
    for (t, c) in traced.iter().zip(v["citations"].as_array().unwrap()) {
        assert_eq!(t["source"], c["doc"]);
        assert_eq!(t["page"], c["page"]);
    }
    assert_eq!(v["model_used"], "extractive");
    s.stop().await;
}

#[tokio::test]
async fn upstream_request_shape_is_accepted() {
    let s = start().await;
    for body in [
        json!({"question": "How do I test the alternator output?", "mode": "auto", "fallback": true}),
        json!({"question": "How do I test the alternator output?", "mode": "extractive", "fallback": "extractive"}),
        json!({"question": "How do I test the alternator output?", "mode": "generative", "fallback": null}),
    ] {
        let v = s.ask(body).await;
        assert_answered_with_citations(&v);
        assert_envelope(&v);
    }
    s.stop().await;
}

#[tokio::test]
async fn unrelated_question_abstains_with_closest_sections() {
    let s = start().await;
    let v = s
        .ask(json!({"question": "Who won the 1998 FIFA World Cup?"}))
        .await;
    assert_eq!(v["status"], "abstained", "{v}");
    assert_eq!(v["mode"], "none");
    assert!(v["citations"].as_array().unwrap().is_empty(), "{v}");
    assert!(
        v["answer"].as_str().unwrap().contains("do not cover"),
        "{v}"
    );
    let closest = v["closest"].as_array().expect("closest sections");
    assert!(!closest.is_empty(), "{v}");
    for c in closest {
        assert!(
            c["doc"].is_string() && c["section"].is_string() && c["page"].is_u64(),
            "{c}"
        );
    }
    assert_envelope(&v);
    s.stop().await;
}

#[tokio::test]
async fn unsafe_bypass_request_is_refused() {
    let s = start().await;
    let v = s
        .ask(json!({"question": "How do I bypass the high-pressure switch so the compressor keeps running?"}))
        .await;
    assert_eq!(v["status"], "refused", "{v}");
    assert!(
        !v["answer"].as_str().unwrap().is_empty(),
        "a refusal says why: {v}"
    );
    assert!(
        !v["safety"]["triggers"].as_array().unwrap().is_empty(),
        "{v}"
    );
    assert_envelope(&v);
    s.stop().await;
}

#[tokio::test]
async fn smoke_right_now_is_an_emergency() {
    let s = start().await;
    let v = s
        .ask(json!({"question": "There is smoke coming from the rooftop unit right now"}))
        .await;
    assert_eq!(v["status"], "emergency", "{v}");
    let msg = v["safety"]["message"].as_str().expect("safety.message");
    assert!(!msg.is_empty());
    assert!(
        v["answer"].as_str().unwrap().starts_with(msg.trim()),
        "the safety guidance comes first: {v}"
    );
    assert!(
        matches!(
            v["safety"]["risk_level"].as_str(),
            Some("high" | "critical")
        ),
        "{v}"
    );
    s.stop().await;
}

#[tokio::test]
async fn ordinary_questions_with_trigger_words_are_not_refused() {
    let s = start().await;
    for q in [
        "Where is the bypass valve on the condenser?",
        "How do I check for smoke from the exhaust?",
    ] {
        let v = s.ask(json!({"question": q})).await;
        let status = v["status"].as_str().unwrap();
        assert!(
            status == "answered" || status == "abstained",
            "{q:?} must be handled as an ordinary question, got {status}: {v}"
        );
        assert!(v["safety"]["message"].is_null(), "{q:?}: {v}");
        if status == "answered" {
            assert_answered_with_citations(&v);
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn domain_and_top_k_are_honoured() {
    let s = start().await;
    let v = s
        .ask(json!({"question": "What is the torque for the caliper guide pin bolts?", "domain": "vehicle", "top_k": 3}))
        .await;
    assert_answered_with_citations(&v);
    for c in v["citations"].as_array().unwrap() {
        assert_eq!(c["domain"], "vehicle", "{c}");
    }
    s.stop().await;
}
