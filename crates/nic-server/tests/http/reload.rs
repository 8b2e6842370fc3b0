//! `POST /api/reload`: re-scan the catalog's corpus roots and publish a new generation
//! while requests keep being answered.

use crate::common::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const NEW_DOC: &str = "--- PAGE 1 ---
ZEPHYR-9 ECONOMIZER SERVICE BULLETIN
SECTION 1  DAMPER ACTUATOR

Para 1-1.1  Actuator Recalibration
The Zephyr-9 economizer damper actuator, part ZX-4471, must be recalibrated every 90 days. \
Drive the actuator to full open with the test jumper, then adjust the end stop until the blade \
gap is 3 mm. Record the calibration date on the actuator tag.
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_publishes_a_new_generation_without_dropping_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("manuals");
    let data = tmp.path().join("data");
    copy_tree(&manuals(), &corpus);
    let (c, d) = (corpus.clone(), data.clone());
    tokio::task::spawn_blocking(move || {
        let e = nic_embed::LazyEmbedder::new(&model_dir()).unwrap();
        ingest(&c, &d, &e)
    })
    .await
    .unwrap();
    let s = start_config(base_config(&data)).await;
    let before: Value = s.get("/api/status").await.json().await.unwrap();

    // Nothing changed: reload publishes nothing and keeps the generation.
    let r = s.post_json("/api/reload", &json!({})).await;
    assert_eq!(r.status(), 200);
    let rep: Value = r.json().await.unwrap();
    assert_eq!(rep["published"], false, "{rep}");
    let same: Value = s.get("/api/status").await.json().await.unwrap();
    assert_eq!(same["generation"], before["generation"]);

    std::fs::write(corpus.join("hvac/zephyr9_bulletin.txt"), NEW_DOC).unwrap();

    // Requests keep being answered while the reload runs.
    let done = Arc::new(AtomicBool::new(false));
    let traffic = {
        let (http, url, done) = (s.http.clone(), s.url("/api/ask"), done.clone());
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            while !done.load(Ordering::SeqCst) || statuses.is_empty() {
                let r = http
                    .post(&url)
                    .json(&json!({"question": "How do I replace the rooftop unit air filters?"}))
                    .send()
                    .await
                    .unwrap();
                statuses.push(r.status().as_u16());
            }
            statuses
        })
    };
    let r = s.post_json("/api/reload", &json!({})).await;
    done.store(true, Ordering::SeqCst);
    let status = r.status();
    let rep: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{rep}");
    assert_eq!(rep["published"], true, "{rep}");
    assert_eq!(rep["files_new"], 1, "{rep}");
    let statuses = traffic.await.unwrap();
    assert!(
        statuses.iter().all(|s| *s == 200),
        "requests failed during reload: {statuses:?}"
    );

    let after: Value = s.get("/api/status").await.json().await.unwrap();
    assert!(
        after["generation"].as_u64() > before["generation"].as_u64(),
        "{before} -> {after}"
    );
    assert_eq!(
        after["documents"].as_u64(),
        before["documents"].as_u64().map(|n| n + 1)
    );
    assert_eq!(rep["generation"], after["generation"]);

    let v = s.ask(json!({"question": "How often must the Zephyr-9 economizer damper actuator be recalibrated?"})).await;
    assert_eq!(v["status"], "answered", "{v}");
    assert!(
        v["citations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["doc"] == "hvac/zephyr9_bulletin.txt"),
        "the new document is not served: {v}"
    );
    s.stop().await;
}
