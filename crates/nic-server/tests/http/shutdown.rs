//! Graceful shutdown: a request in flight when shutdown is signalled still completes, and
//! the server then stops accepting connections.

use crate::common::*;
use nic_core::NicConfig;
use serde_json::json;
use std::sync::atomic::Ordering;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_request_completes_after_shutdown_is_signalled() {
    let mut s = start_config(NicConfig {
        max_workers: 1,
        queue_max: 4,
        ..config()
    })
    .await;
    // Hold the only worker so the ask is provably in flight (queued) when shutdown comes.
    let held = s.state.workers.clone().acquire_owned().await.unwrap();
    let pending = {
        let (http, url) = (s.http.clone(), s.url("/api/ask"));
        tokio::spawn(async move {
            http.post(url)
                .json(&json!({"question": "How do I test the alternator output?"}))
                .send()
                .await
        })
    };
    let st = s.state.clone();
    wait_until("ask in flight", || st.waiting.load(Ordering::SeqCst) == 1).await;
    s.signal_shutdown();
    drop(held);

    let r = pending
        .await
        .unwrap()
        .expect("the in-flight request was cut off");
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["status"], "answered", "{v}");
    s.join().await.expect("server ended with an error");

    // Stopped: no new connections.
    let fresh = reqwest::Client::new();
    assert!(fresh.get(s.url("/health/live")).send().await.is_err());
}
