//! `nic bench shed`: with a low `NOVA_MEMORY_LIMIT_MB` the server must answer 503 +
//! Retry-After and recover, not grow toward the OOM killer.
//!
//! How the server decides (nic-server `admission`): every request reads the process's anon
//! RSS against the budget (cached ≤ 1 s). At 80% (warn) the caches shrink to a quarter; at
//! 95% (fail) new work gets 503 + Retry-After while caches are emptied, sessions dropped and
//! freed pages returned to the kernel. The model weights are never unloaded, so a budget
//! below the warmed-up baseline can never recover: the scenario has to make *bounded,
//! sheddable* state cross the line. So:
//!
//! 1. calibrate: a child with no budget answers a warm-up (the model loads); its anon RSS
//!    after the allocator's decay is the baseline B;
//! 2. a child with budget L = B / 78% (unless `--limit-mb`) and a generous session store
//!    (`NOVA_SESSION_MAX=200000`), warmed up the same way: healthy at ~78%;
//! 3. load: every request opens a new session, so the session store grows until the warn
//!    and then the fail line;
//! 4. recovery: the load stops; one probe a second until `/health` is no longer unhealthy
//!    and asks succeed again.

use super::shed_report::{fmt_row, header, plot, summarize, Row, Sec};
use super::{mb, spawn_server, Rng, Server};
use anyhow::Result;
use nic_core::NicConfig;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct ShedArgs {
    pub limit_mb: Option<u64>,
    pub seconds: u64,
    pub recover_seconds: u64,
    pub clients: usize,
    pub baseline_percent: f64,
    pub out: PathBuf,
    pub queries: PathBuf,
}

const SESSION_MAX: &str = "200000";

struct Shared {
    base: String,
    client: reqwest::Client,
    qs: Vec<String>,
    t0: Instant,
    stop: AtomicBool,
    secs: Mutex<BTreeMap<u64, Sec>>,
}

impl Shared {
    async fn ask(&self, question: String, back_off_on_503: bool) {
        let r = self
            .client
            .post(format!("{}/api/ask", self.base))
            .json(&json!({"question": question}))
            .send()
            .await;
        let sec = self.t0.elapsed().as_secs();
        let mut back_off = None;
        if let Ok(mut m) = self.secs.lock() {
            let e = m.entry(sec).or_default();
            match &r {
                Ok(resp) if resp.status().as_u16() == 200 => e.ok += 1,
                Ok(resp) if resp.status().as_u16() == 503 => {
                    e.busy += 1;
                    let ra = resp.headers().get("retry-after");
                    if ra.is_some() {
                        e.busy_retry_after += 1;
                    }
                    back_off = Some(
                        ra.and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse::<f64>().ok())
                            .unwrap_or(1.0),
                    );
                }
                _ => e.other += 1,
            }
        }
        if let Ok(resp) = r {
            let _ = resp.bytes().await;
        }
        // A well-behaved client honours Retry-After; capped at 1 s so the pressure stays on.
        if let Some(secs) = back_off.filter(|_| back_off_on_503) {
            tokio::time::sleep(Duration::from_secs_f64(secs.clamp(0.05, 1.0))).await;
        }
    }
}

async fn load_loop(sh: Arc<Shared>, id: usize) {
    let mut rng = Rng::new(1000 + id as u64);
    while !sh.stop.load(Relaxed) {
        // A new session for every request; the queries repeat, so after the first round
        // the query vectors come from the cache and requests are cheap: what grows is the
        // session store (~1 KB a session).
        let q = rng.pick(&sh.qs).to_string();
        sh.ask(q, true).await;
    }
}

/// Warm-up: the model loads, the index is faulted in, and a short burst at full
/// concurrency sizes the worker threads' working memory (it stays resident afterwards, so it
/// belongs to the baseline); then the allocator's 5 s decay.
fn warm_up(rt: &tokio::runtime::Runtime, sh: &Arc<Shared>, clients: usize) {
    rt.block_on(async {
        for q in sh.qs.iter().take(60) {
            let _ = sh
                .client
                .post(format!("{}/api/ask", sh.base))
                .json(&json!({"question": q}))
                .send()
                .await;
        }
        let tasks: Vec<_> = (0..clients)
            .map(|i| tokio::spawn(load_loop(sh.clone(), 100 + i)))
            .collect();
        tokio::time::sleep(Duration::from_secs(10)).await;
        sh.stop.store(true, Relaxed);
        for t in tasks {
            let _ = t.await;
        }
    });
    std::thread::sleep(Duration::from_secs(7));
}

fn shared(server: &Server, qs: &[String]) -> Result<Arc<Shared>> {
    Ok(Arc::new(Shared {
        base: server.base.clone(),
        client: super::client()?,
        qs: qs.to_vec(),
        t0: Instant::now(),
        stop: AtomicBool::new(false),
        secs: Mutex::new(BTreeMap::new()),
    }))
}

async fn get_json(c: &reqwest::Client, url: String) -> Value {
    match c.get(url).send().await {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

pub fn run(cfg: &NicConfig, a: ShedArgs) -> Result<()> {
    let qs = super::read_queries(&a.queries)?;
    let rt = super::runtime()?;
    let mut out = String::new();
    let env = |limit: u64| {
        vec![
            ("NOVA_MEMORY_LIMIT_MB", limit.to_string()),
            ("NOVA_SESSION_MAX", SESSION_MAX.to_string()),
        ]
    };
    let (limit_mb, how) = match a.limit_mb {
        Some(l) => (l, "--limit-mb".to_string()),
        None => {
            let server = spawn_server(cfg, &[], &env(0))?;
            warm_up(&rt, &shared(&server, &qs)?, a.clients);
            let b = server.memory().anon_bytes;
            let l = (mb(b) / (a.baseline_percent / 100.0)).ceil() as u64;
            let how = format!(
                "calibrated: warmed-up baseline anon {:.1} MB = {:.0}% of it",
                mb(b),
                a.baseline_percent
            );
            (l, how)
        }
    };
    anyhow::ensure!(limit_mb > 0, "the limit must be positive");
    let limit = limit_mb * 1048576;
    let (warn, fail) = (limit as f64 * 0.80, limit as f64 * 0.95);
    let server = spawn_server(cfg, &[], &env(limit_mb))?;
    let sh = shared(&server, &qs)?;
    warm_up(&rt, &sh, a.clients);
    let start = server.memory();
    let h0 = rt.block_on(get_json(&sh.client, server.url("/health")));
    let dbg0 = rt.block_on(super::debug_line(&sh.client, &sh.base));
    let _ = writeln!(out, "bench shed: {} (pid {}), NOVA_MEMORY_LIMIT_MB={limit_mb} ({how}), NOVA_SESSION_MAX={SESSION_MAX}", server.base, server.pid);
    let _ = writeln!(
        out,
        "  lines: warn 80% = {:.1} MB, fail 95% = {:.1} MB, limit = {limit_mb} MB (anon RSS)",
        warn / 1048576.0,
        fail / 1048576.0
    );
    let _ = writeln!(
        out,
        "  after warm-up: anon {:.1} MB ({:.1}%), health {}",
        mb(start.anon_bytes),
        start.anon_bytes as f64 / limit as f64 * 100.0,
        h0["status"].as_str().unwrap_or("?")
    );
    let _ = writeln!(out, "  after warm-up: {dbg0}");
    let _ = writeln!(out, "  load: {} clients x {} s of asks, each opening a new session; then {} s of recovery probes (1/s)", a.clients, a.seconds, a.recover_seconds);
    print!("{out}");

    // A fresh clock and tally for the timeline.
    let sh = shared(&server, &qs)?;
    let tasks: Vec<_> = (0..a.clients)
        .map(|i| rt.spawn(load_loop(sh.clone(), i)))
        .collect();
    let mut rows: Vec<Row> = Vec::new();
    let (mut peak, mut stop_at) = (start.anon_bytes, None);
    let mut dbg_load_end = String::new();
    let mut curve: Vec<(f64, f64)> = Vec::new();
    let total = a.seconds + a.recover_seconds;
    for t in 1..=total {
        let mut anon_max = 0;
        let mut first = true;
        while first || sh.t0.elapsed() < Duration::from_secs(t) {
            first = false;
            let m = server.memory();
            anyhow::ensure!(m.rss_bytes > 0, "the server (pid {}) is gone", server.pid);
            anon_max = anon_max.max(m.anon_bytes);
            curve.push((sh.t0.elapsed().as_secs_f64(), mb(m.anon_bytes)));
            std::thread::sleep(Duration::from_millis(100));
        }
        peak = peak.max(anon_max);
        let phase = if t <= a.seconds { "load" } else { "recover" };
        if t == a.seconds {
            sh.stop.store(true, Relaxed);
            stop_at = Some(sh.t0.elapsed());
            dbg_load_end = rt.block_on(super::debug_line(&sh.client, &sh.base));
        }
        if phase == "recover" {
            // One probe a second: a known question in a new session.
            let q = qs[t as usize % qs.len()].clone();
            rt.block_on(sh.ask(q, false));
        }
        let h = rt.block_on(get_json(&sh.client, server.url("/health")));
        let st = rt.block_on(get_json(&sh.client, server.url("/api/status")));
        let sec = sh
            .secs
            .lock()
            .ok()
            .and_then(|m| m.get(&(t - 1)).copied())
            .unwrap_or_default();
        let row = Row {
            t,
            phase,
            anon_max,
            health: h["status"].as_str().unwrap_or("no answer").to_string(),
            sessions: st["sessions"]["active"].as_u64().unwrap_or(0),
            sec,
        };
        println!("{}", fmt_row(&row, limit));
        rows.push(row);
    }
    rt.block_on(async {
        for t in tasks {
            let _ = t.await;
        }
    });
    let dbg_end = rt.block_on(super::debug_line(&sh.client, &sh.base));
    let mut summary = summarize(
        &rows,
        &a,
        limit,
        peak,
        stop_at,
        server.memory().peak_rss_bytes,
    );
    let _ = writeln!(
        summary,
        "  at load end: {dbg_load_end}\n  at the end:  {dbg_end}"
    );
    print!("{summary}");
    let mut table = String::new();
    let _ = writeln!(table, "{}", header());
    for r in &rows {
        let _ = writeln!(table, "{}", fmt_row(r, limit));
    }
    super::write_out(
        &a.out,
        "summary.txt",
        format!("{out}\n{table}{summary}").as_bytes(),
    )?;
    let png = plot(&curve, limit_mb, a.seconds)?;
    let p = super::write_out(&a.out, "shed.png", &png)?;
    println!(
        "  wrote {} and {}",
        a.out.join("summary.txt").display(),
        p.display()
    );
    Ok(())
}
