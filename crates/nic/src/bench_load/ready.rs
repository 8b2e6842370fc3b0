//! `nic bench ready`: how long `nic serve` takes from spawn to its first 200 from
//! `/health/ready`, and how much memory it holds then; also the first answer after ready
//! (with a lazy model it pays the model load). Runs without `--warm` several times and once
//! with `--warm`. The index files stay in the page cache between runs (a warm-cache start,
//! as after a service restart).

use super::{mb, median, spawn_server};
use anyhow::{Context, Result};
use nic_core::NicConfig;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub struct ReadyArgs {
    pub runs: usize,
    pub out: PathBuf,
}

struct Run {
    warm: bool,
    listening_ms: f64,
    ready_ms: f64,
    rss_ready: u64,
    anon_ready: u64,
    first_answer_ms: f64,
    anon_after_answer: u64,
}

fn one(cfg: &NicConfig, rt: &tokio::runtime::Runtime, warm: bool) -> Result<Run> {
    let args: &[&str] = if warm { &["--warm"] } else { &[] };
    let server = spawn_server(cfg, args, &[])?;
    let client = super::client()?;
    let ready_url = server.url("/health/ready");
    let deadline = Instant::now() + Duration::from_secs(120);
    let ready_ms = rt.block_on(async {
        loop {
            if let Ok(r) = client.get(&ready_url).send().await {
                if r.status().as_u16() == 200 {
                    return Ok(server.spawned_at.elapsed().as_secs_f64() * 1000.0);
                }
            }
            anyhow::ensure!(Instant::now() < deadline, "not ready after 120 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })?;
    let m = server.memory();
    let t = Instant::now();
    let ask = client
        .post(server.url("/api/ask"))
        .json(&serde_json::json!({"question": "oxygen sensor torque specification"}));
    // The request future must be created inside the runtime (its timeout needs a timer).
    let status = rt
        .block_on(async move { ask.send().await })
        .context("first /api/ask")?
        .status();
    let first_answer_ms = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(status.is_success(), "first /api/ask answered {status}");
    Ok(Run {
        warm,
        listening_ms: server.listening_after.as_secs_f64() * 1000.0,
        ready_ms,
        rss_ready: m.rss_bytes,
        anon_ready: m.anon_bytes,
        first_answer_ms,
        anon_after_answer: server.memory().anon_bytes,
    })
}

pub fn run(cfg: &NicConfig, a: ReadyArgs) -> Result<()> {
    anyhow::ensure!(a.runs >= 1, "--runs must be at least 1");
    let rt = super::runtime()?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "bench ready: nic serve on {} ({} runs lazy, 1 run --warm)",
        cfg.data_dir.display(),
        a.runs
    );
    let _ = writeln!(
        s,
        "  {:<6} {:>3} {:>13} {:>10} {:>12} {:>13} {:>15} {:>16}",
        "mode",
        "run",
        "listening ms",
        "ready ms",
        "RSS@ready MB",
        "anon@ready MB",
        "1st answer ms",
        "anon after MB"
    );
    print!("{s}");
    let mut runs = Vec::new();
    for i in 0..=a.runs {
        let warm = i == a.runs;
        let r = one(cfg, &rt, warm)?;
        let line = format!(
            "  {:<6} {:>3} {:>13.0} {:>10.0} {:>12.1} {:>13.1} {:>15.0} {:>16.1}",
            if r.warm { "--warm" } else { "lazy" },
            if warm { 1 } else { i + 1 },
            r.listening_ms,
            r.ready_ms,
            mb(r.rss_ready),
            mb(r.anon_ready),
            r.first_answer_ms,
            mb(r.anon_after_answer)
        );
        println!("{line}");
        let _ = writeln!(s, "{line}");
        runs.push(r);
    }
    let lazy: Vec<&Run> = runs.iter().filter(|r| !r.warm).collect();
    let stat = |f: fn(&Run) -> f64| {
        let v: Vec<f64> = lazy.iter().map(|r| f(r)).collect();
        (median(&v), v.iter().copied().fold(0.0, f64::max))
    };
    let mut sum = String::new();
    let _ = writeln!(
        sum,
        "\nready summary (lazy model, {} runs: median / max)",
        lazy.len()
    );
    let (m, x) = stat(|r| r.ready_ms);
    let _ = writeln!(
        sum,
        "  spawn to first 200 /health/ready  {m:.0} / {x:.0} ms"
    );
    let (m, x) = stat(|r| mb(r.rss_ready));
    let _ = writeln!(
        sum,
        "  RSS at ready                      {m:.1} / {x:.1} MB"
    );
    let (m, x) = stat(|r| mb(r.anon_ready));
    let _ = writeln!(
        sum,
        "  anon at ready                     {m:.1} / {x:.1} MB"
    );
    let (m, x) = stat(|r| r.first_answer_ms);
    let _ = writeln!(
        sum,
        "  first answer after ready          {m:.0} / {x:.0} ms (loads the model)"
    );
    if let Some(w) = runs.iter().find(|r| r.warm) {
        let _ = writeln!(
            sum,
            "  --warm: ready after {:.0} ms, RSS {:.1} MB (anon {:.1} MB), first answer {:.0} ms",
            w.ready_ms,
            mb(w.rss_ready),
            mb(w.anon_ready),
            w.first_answer_ms
        );
    }
    print!("{sum}");
    let p = super::write_out(&a.out, "summary.txt", format!("{s}{sum}").as_bytes())?;
    println!("  wrote {}", p.display());
    Ok(())
}
