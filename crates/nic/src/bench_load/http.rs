//! `nic bench http`: `/api/ask` load at several concurrency levels through a `nic serve`
//! child: throughput, p50/p95/p99, errors, server RSS.

use super::{mb, spawn_server};
use anyhow::Result;
use nic_core::NicConfig;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn run(
    cfg: &NicConfig,
    queries: PathBuf,
    clients: Vec<usize>,
    seconds: u64,
    mode: String,
) -> Result<()> {
    let qs: Arc<Vec<String>> = Arc::new(super::read_queries(&queries)?);
    let server = spawn_server(cfg, &[], &[])?;
    let base = server.base.clone();
    let m0 = server.memory();
    println!(
        "bench http: {base}, {} queries, mode {mode}, {seconds} s per level",
        qs.len()
    );
    println!(
        "  server RSS at start: {:.0} MB (anon {:.0} MB)",
        mb(m0.rss_bytes),
        mb(m0.anon_bytes)
    );
    let rt = super::runtime()?;
    println!(
        "  {:>7} {:>10} {:>9} {:>9} {:>9} {:>7} {:>10} {:>10}",
        "clients", "answers/s", "p50 ms", "p95 ms", "p99 ms", "errors", "RSS MB", "anon MB"
    );
    let client = super::client()?;
    // Warm-up: model load and page faults are not part of the steady-state figures.
    rt.block_on(async {
        for q in qs.iter().take(20) {
            let _ = client
                .post(format!("{base}/api/ask"))
                .json(&serde_json::json!({"question": q, "mode": mode}))
                .send()
                .await;
        }
    });
    for &n in &clients {
        let (lat, errors, elapsed) = rt.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(seconds);
            let started = Instant::now();
            let mut tasks = Vec::new();
            for c in 0..n {
                let client = client.clone();
                let qs = qs.clone();
                let base = base.clone();
                let mode = mode.clone();
                tasks.push(tokio::spawn(async move {
                    let mut lat = Vec::new();
                    let mut errors = 0usize;
                    let mut i = c * 7;
                    while Instant::now() < deadline {
                        let q = &qs[i % qs.len()];
                        i += 1;
                        let t = Instant::now();
                        let r = client
                            .post(format!("{base}/api/ask"))
                            .json(&serde_json::json!({"question": q, "mode": mode}))
                            .send()
                            .await;
                        match r {
                            Ok(resp) if resp.status().is_success() => {
                                let _ = resp.bytes().await;
                                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                            }
                            _ => errors += 1,
                        }
                    }
                    (lat, errors)
                }));
            }
            let mut all = Vec::new();
            let mut errors = 0;
            for t in tasks {
                if let Ok((l, e)) = t.await {
                    all.extend(l);
                    errors += e;
                }
            }
            (all, errors, started.elapsed().as_secs_f64())
        });
        let mut lat = lat;
        lat.sort_by(f64::total_cmp);
        let m = server.memory();
        println!(
            "  {:>7} {:>10.1} {:>9.1} {:>9.1} {:>9.1} {:>7} {:>10.0} {:>10.0}",
            n,
            lat.len() as f64 / elapsed,
            crate::cmd_bench::percentile(&lat, 0.5),
            crate::cmd_bench::percentile(&lat, 0.95),
            crate::cmd_bench::percentile(&lat, 0.99),
            errors,
            mb(m.rss_bytes),
            mb(m.anon_bytes)
        );
    }
    println!(
        "  server peak RSS (VmHWM): {:.0} MB",
        mb(server.memory().peak_rss_bytes)
    );
    Ok(())
}
