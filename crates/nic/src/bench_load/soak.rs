//! `nic bench soak`: mixed traffic for a long time against a `nic serve` child, sampling its
//! memory, to tell a leak (anon keeps climbing after warm-up) from a warm process (anon
//! flat, file pages mapped in).
//!
//! The mix per client: new-session asks (30%, some with a varied wording so the query cache
//! churns), follow-ups in the client's current session (25%), `/api/search` (25%),
//! unrelated questions that must abstain (12%), `DELETE /api/sessions/{id}` (4%) and
//! `GET /api/sessions/{id}` (4%).
//!
//! Figures (documented in the summary too): warm-up is the first 20% of the run (at least a
//! minute when the run is long enough). "anon at warm-up end" is the median of the samples
//! just before, at and after the boundary; "anon at end" the median of the last three;
//! growth = (end − warm-up) / warm-up; the slope is the least-squares fit of anon over the
//! samples after warm-up, in MB per hour.

use super::soak_report::{plot, summarize, Row};
use super::{mb, spawn_server, DebugMemory, Rng};
use anyhow::{Context, Result};
use nic_core::NicConfig;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct SoakArgs {
    pub minutes: f64,
    pub interval: f64,
    pub out: PathBuf,
    pub clients: usize,
    pub queries: PathBuf,
    pub unrelated: PathBuf,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) done: AtomicU64,
    pub(super) errors: AtomicU64,
    /// (kind, HTTP status; 0 = no response) → count.
    pub(super) by_status: Mutex<BTreeMap<(&'static str, u16), u64>>,
    pub(super) unrelated_abstained: AtomicU64,
    pub(super) unrelated_answered: AtomicU64,
}

impl Counters {
    fn record(&self, kind: &'static str, status: u16, expected: u16) {
        self.done.fetch_add(1, Relaxed);
        if status != expected {
            self.errors.fetch_add(1, Relaxed);
        }
        if let Ok(mut m) = self.by_status.lock() {
            *m.entry((kind, status)).or_default() += 1;
        }
    }
}

struct Load {
    qs: Vec<String>,
    unrelated: Vec<String>,
    base: String,
    client: reqwest::Client,
    counters: Counters,
    stop: AtomicBool,
}

const FOLLOW_UPS: &[&str] = &[
    "and what torque for those?",
    "what about removal?",
    "and the next step?",
    "which tools do I need for it?",
    "is there a warning about that?",
    "and how do I install it?",
];

impl Load {
    /// POST /api/ask; returns the response JSON on 200.
    async fn ask(
        &self,
        kind: &'static str,
        question: &str,
        session: Option<&str>,
    ) -> Option<Value> {
        let body = json!({"question": question, "session_id": session});
        let r = self
            .client
            .post(format!("{}/api/ask", self.base))
            .json(&body)
            .send()
            .await;
        let resp = match r {
            Ok(r) => r,
            Err(_) => {
                self.counters.record(kind, 0, 200);
                return None;
            }
        };
        let status = resp.status().as_u16();
        self.counters.record(kind, status, 200);
        let bytes = resp.bytes().await.ok()?;
        (status == 200).then(|| serde_json::from_slice(&bytes).ok())?
    }

    async fn simple(&self, kind: &'static str, req: reqwest::RequestBuilder, expected: u16) {
        match req.send().await {
            Ok(r) => {
                self.counters.record(kind, r.status().as_u16(), expected);
                let _ = r.bytes().await;
            }
            Err(_) => self.counters.record(kind, 0, expected),
        }
    }
}

fn question(rng: &mut Rng, qs: &[String]) -> String {
    let q = rng.pick(qs).to_string();
    if rng.below(10) < 3 {
        // A varied wording: a new query-cache key.
        let other = rng.pick(qs);
        let w = other.split_whitespace().last().unwrap_or("procedure");
        format!("{q} {w}")
    } else {
        q
    }
}

async fn client_loop(load: Arc<Load>, id: usize) {
    let mut rng = Rng::new(id as u64 + 1);
    let mut session: Option<String> = None;
    let sid = |v: &Option<Value>| {
        v.as_ref()
            .and_then(|v| v["session_id"].as_str())
            .map(String::from)
    };
    while !load.stop.load(Relaxed) {
        let roll = rng.below(100);
        let base = &load.base;
        match (roll, session.clone()) {
            (30..=54, Some(s)) => {
                let q = if rng.below(2) == 0 {
                    rng.pick(&load.qs).to_string()
                } else {
                    FOLLOW_UPS[rng.below(FOLLOW_UPS.len())].to_string()
                };
                let v = load.ask("ask follow-up", &q, Some(&s)).await;
                session = sid(&v).or(session);
            }
            (55..=79, _) => {
                let q = question(&mut rng, &load.qs);
                let req = load
                    .client
                    .post(format!("{base}/api/search"))
                    .json(&json!({"query": q, "k": 5}));
                load.simple("search", req, 200).await;
            }
            (80..=91, _) => {
                let q = rng.pick(&load.unrelated).to_string();
                if let Some(v) = load.ask("ask unrelated", &q, None).await {
                    let c = &load.counters;
                    match v["status"].as_str() {
                        Some("abstained") | Some("refused") => {
                            c.unrelated_abstained.fetch_add(1, Relaxed)
                        }
                        _ => c.unrelated_answered.fetch_add(1, Relaxed),
                    };
                }
            }
            (92..=95, Some(s)) => {
                let req = load.client.delete(format!("{base}/api/sessions/{s}"));
                load.simple("delete session", req, 204).await;
                session = None;
            }
            (96..=99, Some(s)) => {
                let req = load.client.get(format!("{base}/api/sessions/{s}"));
                load.simple("get session", req, 200).await;
            }
            _ => {
                let q = question(&mut rng, &load.qs);
                let v = load.ask("ask new session", &q, None).await;
                session = sid(&v).or(session);
            }
        }
    }
}

pub fn run(cfg: &NicConfig, a: SoakArgs) -> Result<()> {
    anyhow::ensure!(
        a.minutes > 0.0 && a.interval >= 0.5,
        "--minutes > 0, --interval ≥ 0.5"
    );
    let total = Duration::from_secs_f64(a.minutes * 60.0);
    let total_s = total.as_secs_f64();
    let warm_s = (total_s * 0.2).max(60f64.min(total_s * 0.5));
    let server = spawn_server(cfg, &[], &[])?;
    let load = Arc::new(Load {
        qs: super::read_queries(&a.queries)?,
        unrelated: super::unrelated_questions(&a.unrelated)?,
        base: server.base.clone(),
        client: super::client()?,
        counters: Counters::default(),
        stop: AtomicBool::new(false),
    });
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let csv_path = a.out.join("soak.csv");
    let mut csv = std::fs::File::create(&csv_path)
        .with_context(|| format!("creating {}", csv_path.display()))?;
    writeln!(
        csv,
        "elapsed_s,rss_bytes,anon_bytes,file_bytes,requests_done,errors,\
heap_allocated_bytes,cache_bytes,session_bytes"
    )?;
    println!(
        "bench soak: {}, {} clients, {:.0} min, sample every {} s, warm-up {:.0} s; writing {}",
        server.base,
        a.clients,
        a.minutes,
        a.interval,
        warm_s,
        a.out.display()
    );
    let rt = super::runtime()?;
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..a.clients)
        .map(|i| rt.spawn(client_loop(load.clone(), i)))
        .collect();
    let mut rows: Vec<Row> = Vec::new();
    let step = Duration::from_secs_f64(a.interval);
    for k in 0u32.. {
        let due = (step * k).min(total);
        if let Some(wait) = due.checked_sub(t0.elapsed()) {
            std::thread::sleep(wait);
        }
        let m = server.memory();
        anyhow::ensure!(m.rss_bytes > 0, "the server (pid {}) is gone", server.pid);
        let c = &load.counters;
        let d = rt
            .block_on(DebugMemory::fetch(&load.client, &load.base))
            .unwrap_or_default();
        let row = Row {
            t: t0.elapsed().as_secs_f64(),
            rss: m.rss_bytes,
            anon: m.anon_bytes,
            file: m.file_bytes,
            done: c.done.load(Relaxed),
            errors: c.errors.load(Relaxed),
            debug: d,
        };
        writeln!(
            csv,
            "{:.1},{},{},{},{},{},{},{},{}",
            row.t,
            row.rss,
            row.anon,
            row.file,
            row.done,
            row.errors,
            d.allocated,
            d.cache_bytes,
            d.session_bytes
        )?;
        csv.flush()?;
        println!(
            "  {:>6.0} s  anon {:>6.1} MB  rss {:>6.1} MB  file {:>5.1} MB  requests {:>8} ({:>5.0}/s)  errors {}",
            row.t, mb(row.anon), mb(row.rss), mb(row.file), row.done,
            row.done as f64 / row.t.max(1e-9), row.errors
        );
        rows.push(row);
        if due >= total {
            break;
        }
    }
    load.stop.store(true, Relaxed);
    let load_s = t0.elapsed().as_secs_f64();
    rt.block_on(async {
        for t in tasks {
            let _ = t.await;
        }
    });
    let summary = summarize(&a, &rows, warm_s, load_s, &load.counters);
    print!("{summary}");
    super::write_out(&a.out, "summary.txt", summary.as_bytes())?;
    let png = plot(&a, &rows, warm_s)?;
    let p = super::write_out(&a.out, "soak.png", &png)?;
    println!(
        "  wrote {}, {} and {}",
        csv_path.display(),
        a.out.join("summary.txt").display(),
        p.display()
    );
    Ok(())
}
