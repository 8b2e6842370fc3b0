//! Backpressure (`NOVA_MAX_WORKERS`, `NOVA_QUEUE_MAX`) and memory shedding
//! (`NOVA_MEMORY_LIMIT_MB`): overload is a 503 with `Retry-After`, never a 500, and the
//! server answers again once the pressure is gone.
//!
//! Busy workers are made deterministic by holding the worker semaphore from the test (the
//! state's `workers`) instead of racing slow requests against each other.

use crate::common::*;
use nic_core::NicConfig;
use serde_json::json;
use std::sync::atomic::Ordering;

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()
        .get("retry-after")
        .expect("Retry-After on 503")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds")
}

fn workers_config(queue_max: usize) -> NicConfig {
    NicConfig {
        max_workers: 1,
        queue_max,
        ..config()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_workers_and_full_queue_give_503_then_recover() {
    let s = start_config(workers_config(0)).await;
    // Idle: a queue of 0 still lets a request take the free worker.
    let warm = s
        .ask(json!({"question": "How do I test the alternator output?"}))
        .await;
    assert_eq!(warm["status"], "answered");

    let held = s.state.workers.clone().acquire_owned().await.unwrap();
    for q in ["brake pads", "alternator", "rooftop unit filter"] {
        let r = s.post_json("/api/ask", &json!({"question": q})).await;
        assert!(retry_after(&r) >= 1);
        expect_error(r, 503, "overloaded").await;
    }
    let r = s
        .post_json("/api/search", &json!({"query": "brake pads"}))
        .await;
    expect_error(r, 503, "overloaded").await;
    // Routes that need no worker keep answering.
    assert_eq!(s.get("/api/status").await.status(), 200);
    assert_eq!(s.get("/health").await.status(), 200);
    drop(held);

    let v = s
        .ask(json!({"question": "How do I test the alternator output?"}))
        .await;
    assert_eq!(v["status"], "answered");
    let m = s.get("/metrics").await.text().await.unwrap();
    assert!(
        m.contains(r#"nova_requests_rejected_total{reason="queue_full"} 4"#),
        "{m}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_request_waits_for_the_worker() {
    let s = start_config(workers_config(1)).await;
    let held = s.state.workers.clone().acquire_owned().await.unwrap();
    let http = s.http.clone();
    let url = s.url("/api/ask");
    let queued = tokio::spawn(async move {
        http.post(url)
            .json(&json!({"question": "What torque for the front caliper bracket bolts?"}))
            .send()
            .await
            .unwrap()
    });
    let st = s.state.clone();
    wait_until("one request queued", || {
        st.waiting.load(Ordering::SeqCst) == 1
    })
    .await;
    // The queue (1) is full: the next one is told to retry.
    let r = s
        .post_json("/api/ask", &json!({"question": "brake pads"}))
        .await;
    expect_error(r, 503, "overloaded").await;
    drop(held);
    let r = queued.await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.state.waiting.load(Ordering::SeqCst), 0);
    assert_eq!(s.state.inflight.load(Ordering::SeqCst), 0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_asks_with_one_worker_never_fail_with_500() {
    let s = start_config(workers_config(0)).await;
    let questions = [
        "How do I replace the front brake pads?",
        "How do I test the alternator output?",
        "What is the refrigerant charge of the rooftop unit?",
        "How do I bleed the brakes?",
        "What does code P0420 mean?",
        "How often should the forklift chains be inspected?",
        "lug nut torque for the LT-2500 wheels",
        "How do I wire the thermostat?",
    ];
    let mut set = tokio::task::JoinSet::new();
    for q in questions {
        let http = s.http.clone();
        let url = s.url("/api/ask");
        set.spawn(async move {
            let r = http
                .post(url)
                .json(&json!({"question": q}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let retry = r.headers().get("retry-after").is_some();
            let body: serde_json::Value = r.json().await.unwrap();
            (status, retry, body)
        });
    }
    let mut ok = 0;
    let mut busy = 0;
    while let Some(res) = set.join_next().await {
        let (status, retry, body) = res.unwrap();
        match status {
            200 => ok += 1,
            503 => {
                assert!(retry, "503 without Retry-After: {body}");
                assert_eq!(body["error"]["code"], "overloaded");
                busy += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    println!("8 concurrent asks with 1 worker and no queue: {ok} answered, {busy} told to retry");
    assert!(ok >= 1, "nobody was served");
    assert_eq!(s.state.inflight.load(Ordering::SeqCst), 0);
    let v = s
        .ask(json!({"question": "How do I bleed the brakes?"}))
        .await;
    assert_eq!(v["status"], "answered");
    s.stop().await;
}

#[tokio::test]
async fn memory_pressure_sheds_new_work_and_a_normal_budget_recovers() {
    // A 1 MB budget: the process is far over the fail line.
    let s = start_config(NicConfig {
        memory_limit_mb: 1,
        ..config()
    })
    .await;
    let r = s
        .post_json(
            "/api/ask",
            &json!({"question": "How do I bleed the brakes?"}),
        )
        .await;
    assert!(retry_after(&r) >= 1);
    let v = expect_error(r, 503, "memory_pressure").await;
    assert!(v["error"]["message"].as_str().unwrap().contains('%'), "{v}");
    let r = s
        .post_json("/api/search", &json!({"query": "brakes"}))
        .await;
    expect_error(r, 503, "memory_pressure").await;

    let r = s.get("/health").await;
    assert_eq!(r.status(), 503);
    let h: serde_json::Value = r.json().await.unwrap();
    assert_eq!(h["status"], "unhealthy", "{h}");
    assert_eq!(h["checks"]["memory"]["status"], "fail", "{h}");
    assert_eq!(h["checks"]["memory"]["limit_bytes"], 1024 * 1024, "{h}");
    assert_eq!(h["checks"]["memory"]["shedding"], true, "{h}");
    assert!(
        h["checks"]["memory"]["usage_percent"].as_f64().unwrap() >= 95.0,
        "{h}"
    );
    // Liveness is not readiness: the process is alive.
    assert_eq!(s.get("/health/live").await.status(), 200);
    let m = s.get("/metrics").await.text().await.unwrap();
    assert!(
        m.contains(r#"nova_requests_rejected_total{reason="memory_pressure"} 2"#),
        "{m}"
    );
    s.stop().await;

    // The same index with a normal budget (the cgroup limit or RAM) serves again.
    let s = start_config(config()).await;
    let v = s
        .ask(json!({"question": "How do I bleed the brakes?"}))
        .await;
    assert_eq!(v["status"], "answered");
    let r = s.get("/health").await;
    assert_eq!(r.status(), 200);
    let h: serde_json::Value = r.json().await.unwrap();
    assert_ne!(h["status"], "unhealthy", "{h}");
    assert_ne!(h["checks"]["memory"]["status"], "fail", "{h}");
    s.stop().await;
}
