//! Operator and read-only routes: `/health*`, `/metrics`, `/api/status`, `/api/search`,
//! `/api/retrieve`, `/debug/memory`, the web UI and its security headers.

use crate::common::*;
use serde_json::{json, Value};

/// Metric names of DESIGN §5 that must be present after one ask.
const METRICS: &[&str] = &[
    "nova_memory_usage_bytes",
    "nova_memory_usage_percent",
    "nova_memory_limit_bytes",
    "nova_query_latency_seconds",
    "nova_queries_total",
    "nova_cache_hits_total",
    "nova_cache_misses_total",
    "nova_cache_evictions_total",
    "nova_cache_bytes",
    "nova_sessions_active",
    "nova_safety_checks_total",
    "nova_index_chunks",
    "nova_llm_requests_total",
    "nova_requests_rejected_total",
    "nova_inflight_requests",
];

#[tokio::test]
async fn health_has_the_documented_shape() {
    let s = start().await;
    let r = s.get("/health").await;
    assert_eq!(r.status(), 200);
    let h: Value = r.json().await.unwrap();
    assert!(
        matches!(h["status"].as_str(), Some("healthy" | "degraded")),
        "{h}"
    );
    assert!(h["version"].is_string() && h["uptime_s"].is_u64(), "{h}");
    let m = &h["checks"]["memory"];
    for k in ["rss_bytes", "anon_bytes", "file_bytes", "limit_bytes"] {
        assert!(m[k].as_u64().is_some(), "checks.memory.{k}: {h}");
    }
    assert!(m["rss_bytes"].as_u64().unwrap() > 0);
    assert!(m["limit_bytes"].as_u64().unwrap() > 0);
    assert!(m["usage_percent"].is_number(), "{h}");
    assert_eq!(m["warn_percent"].as_f64(), Some(80.0), "{h}");
    assert_eq!(m["fail_percent"].as_f64(), Some(95.0), "{h}");
    for check in ["memory", "index", "embedder", "llm", "disk"] {
        let st = h["checks"][check]["status"].as_str();
        assert!(
            matches!(st, Some("pass" | "warn" | "fail")),
            "checks.{check}: {h}"
        );
    }
    assert!(h["checks"]["index"]["chunks"].as_u64().unwrap() > 0, "{h}");
    assert!(h["checks"]["index"]["generation"].is_u64(), "{h}");
    assert!(
        matches!(
            h["checks"]["embedder"]["state"].as_str(),
            Some("loaded" | "lazy")
        ),
        "{h}"
    );
    assert_eq!(h["checks"]["llm"]["backend"], "none", "{h}");
    assert!(h["checks"]["disk"]["free_bytes"].is_u64(), "{h}");

    let r = s.get("/health/live").await;
    assert_eq!(r.status(), 200);
    let r = s.get("/health/ready").await;
    assert_eq!(r.status(), 200);
    let ready: Value = r.json().await.unwrap();
    assert_eq!(ready["ready"], true, "{ready}");
    s.stop().await;
}

#[tokio::test]
async fn metrics_expose_every_documented_name() {
    let s = start().await;
    s.ask(json!({"question": "How do I test the alternator output?"}))
        .await;
    let r = s.get("/metrics").await;
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain"), "{ct}");
    let text = r.text().await.unwrap();
    for name in METRICS {
        let sample = |l: &&str| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with([' ', '{', '_']))
        };
        assert!(
            text.lines().any(|l| sample(&l)),
            "metric {name} has no sample in /metrics"
        );
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "metric {name} has no TYPE"
        );
    }
    for kind in ["rss", "anon", "file", "heap"] {
        assert!(
            text.contains(&format!("nova_memory_usage_bytes{{kind=\"{kind}\"}}")),
            "kind {kind}"
        );
    }
    for phase in ["embed", "retrieval", "total"] {
        assert!(
            text.contains(&format!(
                "nova_query_latency_seconds_bucket{{phase=\"{phase}\",le=\"120\"}}"
            )) || text.contains(&format!(
                "nova_query_latency_seconds_bucket{{phase=\"{phase}\",le=\"120.0\"}}"
            )),
            "no 120 s bucket for phase {phase}"
        );
    }
    assert!(
        !text.contains("nova_queries_total{status=\"answered\"} 0\n"),
        "the ask was not counted"
    );
    assert!(
        text.contains(r#"nova_llm_requests_total{outcome="#),
        "LLM outcomes start at 0"
    );
    promtool_check(&text);
    s.stop().await;
}

/// `promtool check metrics` on the exposition, when promtool is installed.
fn promtool_check(text: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            println!("SKIP promtool check metrics: promtool not installed ({e})");
            return;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn status_reports_index_and_llm() {
    let s = start().await;
    let r = s.get("/api/status").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["version"], nic_core::VERSION);
    assert!(v["generation"].is_u64(), "{v}");
    assert!(v["documents"].as_u64().unwrap() >= 10, "{v}");
    let chunks = v["chunks"].as_u64().unwrap();
    assert!(chunks > 0);
    let domains = v["domains"].as_array().unwrap();
    let names: Vec<&str> = domains
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    for d in ["forklift", "hvac", "medical", "vehicle"] {
        assert!(names.contains(&d), "domain {d} missing: {v}");
    }
    let sum: u64 = domains.iter().map(|d| d["chunks"].as_u64().unwrap()).sum();
    assert_eq!(sum, chunks, "domain chunk counts must add up: {v}");
    assert_eq!(v["llm"]["backend"], "none");
    assert_eq!(v["llm"]["breaker"], "closed");
    let t = v["confidence_threshold"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&t));
    s.stop().await;
}

#[tokio::test]
async fn search_and_retrieve_have_their_shapes() {
    let s = start().await;
    let r = s
        .post_json(
            "/api/search",
            &json!({"query": "caliper bracket bolt torque", "k": 3}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{v}");
    for (i, h) in results.iter().enumerate() {
        assert_eq!(h["rank"], i + 1);
        for k in ["doc", "title", "domain", "section", "snippet", "chunk_id"] {
            assert!(h[k].is_string(), "result.{k}: {h}");
        }
        assert!(h["score"].is_number() && h["page"].is_u64(), "{h}");
    }
    let scores: Vec<f64> = results
        .iter()
        .map(|h| h["score"].as_f64().unwrap())
        .collect();
    // MMR diversifies after the best hit, so later ranks need not be in score order.
    assert!(
        scores.iter().all(|s| scores[0] >= *s),
        "best hit not first: {scores:?}"
    );
    assert_eq!(results[0]["doc"], "vehicle/brakes.txt", "{v}");
    assert!(v["request_id"].is_string());

    let r = s
        .post_json(
            "/api/search",
            &json!({"query": "refrigerant charge", "domain": "hvac"}),
        )
        .await;
    let v: Value = r.json().await.unwrap();
    let results = v["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|h| h["domain"] == "hvac"), "{v}");

    let r = s
        .post_json(
            "/api/retrieve",
            &json!({"query": "caliper bracket bolt torque", "k": 2}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let items = v.as_array().expect("retrieve answers a bare array");
    assert_eq!(items.len(), 2);
    for it in items {
        assert!(it["text"].as_str().is_some_and(|t| !t.is_empty()), "{it}");
        assert!(it["source"].is_string() && it["page"].is_u64(), "{it}");
        let c = it["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c), "{it}");
    }
    // Default k is 5.
    let r = s
        .post_json("/api/retrieve", &json!({"query": "alternator"}))
        .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v.as_array().unwrap().len(), 5);
    s.stop().await;
}

#[tokio::test]
async fn debug_memory_lists_consumers() {
    let s = start().await;
    let r = s.get("/debug/memory").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v["process"]["rss_bytes"].as_u64().unwrap() > 0, "{v}");
    let kinds: Vec<&str> = v["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    for k in ["cache", "sessions", "model"] {
        assert!(kinds.contains(&k), "consumer {k} missing: {v}");
    }
    assert!(!v["index_files"].as_array().unwrap().is_empty(), "{v}");
    s.stop().await;
}

#[tokio::test]
async fn ui_is_served_with_security_headers() {
    let s = start().await;
    let r = s.get("/").await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let html = r.text().await.unwrap();
    assert!(html.to_lowercase().contains("<!doctype html"), "not HTML");
    assert!(html.contains("/assets/app.js"), "the page loads its script");

    let r = s.get("/assets/app.js").await;
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.contains("javascript"), "{ct}");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(!r.text().await.unwrap().is_empty());
    let r = s.get("/assets/app.css").await;
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    // JSON routes carry the headers too.
    let r = s.get("/api/status").await;
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    s.stop().await;
}

/// Every `/api/ask` that reached the pipeline — answers, refusals, and client errors — lands
/// in the hash-chained audit log, and the chain verifies.
#[tokio::test]
async fn asks_are_audited_in_a_verifiable_chain() {
    let data = tempfile::tempdir().unwrap();
    copy_tree(index_dir(), data.path());
    // Other tests write the shared index's audit log concurrently: start a fresh one.
    let _ = std::fs::remove_dir_all(data.path().join("audit"));
    let state = nic_server::build_state(base_config(data.path())).unwrap();
    let s = start_with(state.clone()).await;
    let ok = s
        .ask(json!({"question": "What is the lug nut torque?"}))
        .await;
    assert_eq!(ok["status"], "answered");
    let refused = s
        .ask(json!({"question": "How do I bypass the high-pressure switch so the compressor keeps running?"}))
        .await;
    assert_eq!(refused["status"], "refused");
    let bad = s.post_json("/api/ask", &json!({"question": "   "})).await;
    assert_eq!(bad.status(), 400);
    let writer = state.audit.as_ref().expect("audit writer");
    assert!(writer.flush(std::time::Duration::from_secs(10)));
    let log = nic_audit::AuditLog::open_existing(data.path()).expect("audit log");
    let report = log.verify().unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    let tail = log.tail(10).unwrap();
    let statuses: Vec<String> = tail.iter().map(|r| r.entry.status.clone()).collect();
    assert_eq!(
        statuses,
        vec!["answered", "refused", "error"],
        "{statuses:?}"
    );
    let v: Value = s.get("/health").await.json().await.unwrap();
    assert_eq!(v["checks"]["audit"]["written"], 3);
    s.stop().await;
}

/// Damage to the served generation is found: a destroyed SQLite header refuses the start; 64
/// flipped bytes in the middle of chunks.sqlite or of a lexical file make `/health`
/// unhealthy once the background verification has run (issue 16, item 4).
#[tokio::test]
async fn a_damaged_generation_is_refused_or_reported_unhealthy() {
    // CURRENT names the served generation's folder (`gen-000001`).
    let current = |d: &std::path::Path| {
        let name = std::fs::read_to_string(d.join("CURRENT")).unwrap();
        d.join("generations").join(name.trim())
    };
    let flip = |p: &std::path::Path| {
        let mut b = std::fs::read(p).unwrap();
        let mid = b.len() / 2;
        let end = (mid + 64).min(b.len());
        for x in &mut b[mid..end] {
            *x ^= 0xff;
        }
        std::fs::write(p, b).unwrap();
    };
    let mut tried = 0;
    // 1. Header destroyed: refused at start.
    {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(index_dir(), tmp.path());
        let chunks = current(tmp.path()).join("chunks.sqlite");
        let mut b = std::fs::read(&chunks).unwrap();
        b[..100].fill(0);
        std::fs::write(&chunks, b).unwrap();
        let cfg = base_config(tmp.path());
        let r = tokio::task::spawn_blocking(move || nic_server::build_state(cfg))
            .await
            .unwrap();
        let err = r
            .err()
            .expect("a generation with a destroyed header must be refused");
        assert!(err.to_string().contains("damaged"), "{err}");
        tried += 1;
    }
    // 2. Bytes flipped mid-file: refused, or served as unhealthy.
    let lexical_file = |gen: &std::path::Path| {
        let mut files: Vec<_> = std::fs::read_dir(gen.join("lexical"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e == "idx" || e == "term" || e == "store")
            })
            .collect();
        files.sort_by_key(|p| std::cmp::Reverse(std::fs::metadata(p).unwrap().len()));
        files.into_iter().next().expect("a lexical segment file")
    };
    for which in ["chunks.sqlite", "lexical"] {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(index_dir(), tmp.path());
        let gen = current(tmp.path());
        let target = if which == "lexical" {
            lexical_file(&gen)
        } else {
            gen.join(which)
        };
        flip(&target);
        let cfg = base_config(tmp.path());
        let built = tokio::task::spawn_blocking(move || nic_server::build_state(cfg))
            .await
            .unwrap();
        tried += 1;
        let Ok(state) = built else { continue };
        let s = start_with(state).await;
        let st = s.state.clone();
        wait_until("index verification", || st.index_verified.lock().is_some()).await;
        let r = s.get("/health").await;
        assert_eq!(r.status(), 503, "{which}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["status"], "unhealthy", "{which}: {v}");
        assert_eq!(v["checks"]["index"]["status"], "fail", "{which}: {v}");
        assert_eq!(v["checks"]["index"]["verified"], "damaged", "{which}: {v}");
        s.stop().await;
    }
    assert_eq!(tried, 3);
}

#[tokio::test]
async fn an_intact_generation_verifies_ok_in_health() {
    let s = start().await;
    let st = s.state.clone();
    wait_until("index verification", || st.index_verified.lock().is_some()).await;
    let v: serde_json::Value = s.get("/health").await.json().await.unwrap();
    assert_eq!(v["checks"]["index"]["verified"], "ok", "{v}");
    s.stop().await;
}
