//! Requests recorded from clients of the Python prototype (their exact bodies, as
//! `requests.post(url, json=...)` sends them) are served: every `mode` value they use maps to
//! NIC's behaviour, and an unknown value gets a 400 that lists the accepted ones (issue 16,
//! item 6; DESIGN §3).

use crate::common::*;
use nic_core::config::LlmBackend;
use serde_json::Value;

const Q: &str = "How do I test the alternator output?";

/// The bodies as recorded, byte for byte apart from the question.
fn recorded() -> Vec<(&'static str, String)> {
    [
        (
            "retrieval-only",
            r#"{"question": "Q", "mode": "retrieval-only"}"#,
        ),
        (
            "retrieval-only",
            r#"{"question": "Q", "mode": "retrieval-only", "fallback": true}"#,
        ),
        (
            "llm",
            r#"{"question": "Q", "mode": "llm", "fallback": true}"#,
        ),
        (
            "llm",
            r#"{"question": "Q", "mode": "llm", "fallback": false}"#,
        ),
        ("auto", r#"{"question": "Q", "mode": "auto"}"#),
        ("fallback", r#"{"question": "Q", "mode": "fallback"}"#),
        ("none", r#"{"question": "Q"}"#),
        (
            "none",
            r#"{"question": "Q", "mode": null, "fallback": null}"#,
        ),
    ]
    .into_iter()
    .map(|(m, b)| (m, b.replace("\"Q\"", &format!("{Q:?}"))))
    .collect()
}

async fn post_raw(s: &Server, body: &str) -> (u16, Value) {
    let r = s
        .http
        .post(s.url("/api/ask"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

fn assert_upstream_fields(v: &Value) {
    assert_eq!(v["status"], "answered", "{v}");
    assert!(v["model_used"].is_string(), "{v}");
    assert!(v["retrieval_score"].is_number(), "{v}");
    let traced = v["traced_sources"].as_array().expect("traced_sources");
    assert!(!traced.is_empty(), "{v}");
    for t in traced {
        assert!(t["source"].is_string() && t["page"].is_number(), "{t}");
    }
}

#[tokio::test]
async fn every_recorded_upstream_request_is_answered() {
    let s = start().await;
    for (mode, body) in recorded() {
        let (status, v) = post_raw(&s, &body).await;
        assert_eq!(status, 200, "{mode}: {body} -> {v}");
        assert_upstream_fields(&v);
        // No LLM configured: every mode answers extractively.
        assert_eq!(v["mode"], "extractive", "{mode}: {v}");
    }
    s.stop().await;
}

#[tokio::test]
async fn retrieval_only_never_calls_the_llm_and_llm_does() {
    // An LLM that cannot be reached: `llm` tries it (and falls back, with a note);
    // `retrieval-only` and `fallback` answer without trying.
    let cfg = nic_core::NicConfig {
        llm_backend: LlmBackend::Ollama,
        llm_url: "http://u:upstream-secret@127.0.0.1:9".into(),
        llm_model: Some("m".into()),
        ..config()
    };
    let s = start_config(cfg).await;
    for (mode, body) in recorded() {
        let (status, v) = post_raw(&s, &body).await;
        assert_eq!(status, 200, "{mode}: {body} -> {v}");
        assert_upstream_fields(&v);
        assert_eq!(v["mode"], "extractive", "{mode}: {v}");
        let notes = v["notes"].to_string();
        assert!(
            !notes.contains("upstream-secret"),
            "notes leak the URL password: {notes}"
        );
        let tried_llm = notes.contains("LLM") || notes.contains("llm");
        match mode {
            "retrieval-only" | "fallback" => {
                assert!(!tried_llm, "{mode} must not call the LLM: {notes}")
            }
            "llm" => assert!(tried_llm, "{mode} should try the LLM: {notes}"),
            _ => {}
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn unknown_modes_get_400_listing_the_accepted_ones() {
    let s = start().await;
    for bad in ["rag", "telepathic", "retrieval only please"] {
        let body = format!(r#"{{"question": {Q:?}, "mode": {bad:?}}}"#);
        let r = s
            .http
            .post(s.url("/api/ask"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let v = expect_error(r, 400, "bad_request").await;
        let msg = v["error"]["message"].as_str().unwrap();
        for accepted in [
            "auto",
            "extractive",
            "generative",
            "retrieval-only",
            "llm",
            "fallback",
        ] {
            assert!(msg.contains(accepted), "{msg}");
        }
    }
    s.stop().await;
}
