//! Benchmarks that drive a `nic serve` child process on loopback: `nic bench http`
//! (throughput and latency), `soak` (hours of mixed traffic: is anon memory flat after
//! warm-up?), `shed` (a low memory budget: does the server answer 503 and recover instead
//! of growing?) and `ready` (start-to-ready time and RSS). Shared here: spawning the child,
//! reading its memory, the question lists and a few statistics.

pub mod http;
pub mod ready;
pub mod shed;
mod shed_report;
pub mod soak;
mod soak_report;

use anyhow::{Context, Result};
use nic_core::NicConfig;
use nic_ops::memory::ProcessMemory;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `nic serve` child; killed when dropped.
pub struct Server {
    pub base: String,
    pub pid: u32,
    /// When `spawn` was called.
    pub spawned_at: Instant,
    /// From spawn to the `listening on` line.
    pub listening_after: Duration,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The child's memory now (zeros when it cannot be read).
    pub fn memory(&self) -> ProcessMemory {
        nic_ops::memory::read_process(self.pid).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Starts `nic serve --port 0 --bind 127.0.0.1` on `cfg`'s data and model with rate limits
/// off and a deep queue (a load generator is one client), plus `args` and `env`, and waits
/// for its `listening on http://…` line.
pub fn spawn_server(cfg: &NicConfig, args: &[&str], env: &[(&str, String)]) -> Result<Server> {
    let exe = std::env::current_exe().context("locating the nic binary")?;
    let mut cmd = Command::new(exe);
    cmd.args(["serve", "--port", "0", "--bind", "127.0.0.1", "--data-dir"])
        .arg(&cfg.data_dir)
        .arg("--model")
        .arg(cfg.model_dir())
        .args(args)
        .env("NOVA_RATE_LIMIT_PER_MINUTE", "0")
        .env("NOVA_QUEUE_MAX", "1024")
        .env("NIC_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let spawned_at = Instant::now();
    let mut child = cmd.spawn().context("starting nic serve")?;
    let stdout = child.stdout.take().context("no stdout from nic serve")?;
    let pid = child.id();
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    let read = reader.read_line(&mut line);
    let mut server = Server {
        base: String::new(),
        pid,
        spawned_at,
        listening_after: spawned_at.elapsed(),
        child,
    };
    read.context("reading the server's first line")?;
    server.base = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| {
            format!("nic serve did not start (first line {line:?}); see its error above")
        })?
        .to_string();
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    Ok(server)
}

/// The async runtime the load generators run on (the server child has its own cores).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(120))
        .build()
        .context("building the HTTP client")
}

/// One question per line; blank lines and `#` comments skipped.
pub fn read_queries(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading queries from {}", path.display()))?;
    let qs: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    anyhow::ensure!(!qs.is_empty(), "no queries in {}", path.display());
    Ok(qs)
}

pub fn default_queries() -> PathBuf {
    PathBuf::from("bench/queries.txt")
}

/// The questions of `tests/data/unrelated_questions.toml` (`[[question]] q = "…"`): things
/// the manuals do not answer, which must abstain.
pub fn unrelated_questions(path: &Path) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct File {
        question: Vec<Q>,
    }
    #[derive(serde::Deserialize)]
    struct Q {
        q: String,
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading unrelated questions from {}", path.display()))?;
    let f: File = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let qs: Vec<String> = f.question.into_iter().map(|q| q.q).collect();
    anyhow::ensure!(!qs.is_empty(), "no questions in {}", path.display());
    Ok(qs)
}

pub fn mb(b: u64) -> f64 {
    b as f64 / 1048576.0
}

/// Median of `v` (0 when empty).
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// Least-squares slope of y over x; None with fewer than two distinct x.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (points.len() >= 2 && sxx > 0.0).then(|| sxy / sxx)
}

/// A small deterministic generator (xorshift64*): the load mix, reproducible per client.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a>(&mut self, v: &'a [String]) -> &'a str {
        &v[self.below(v.len())]
    }
}

/// Figures from the server's `/debug/memory`: allocator totals and the bounded stores.
#[derive(Debug, Default, Clone, Copy)]
pub struct DebugMemory {
    pub allocated: u64,
    pub resident: u64,
    pub cache_bytes: u64,
    pub cache_entries: u64,
    pub cache_budget: u64,
    pub session_bytes: u64,
    pub sessions: u64,
}

impl DebugMemory {
    pub async fn fetch(client: &reqwest::Client, base: &str) -> Option<Self> {
        let r = client
            .get(format!("{base}/debug/memory"))
            .send()
            .await
            .ok()?;
        let v: serde_json::Value = r.json().await.ok()?;
        let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
        let mut d = DebugMemory {
            allocated: n(&v["allocator"]["allocated"]),
            resident: n(&v["allocator"]["resident"]),
            ..Default::default()
        };
        for c in v["consumers"].as_array().into_iter().flatten() {
            match c["kind"].as_str() {
                Some("cache") => {
                    d.cache_bytes += n(&c["bytes"]);
                    d.cache_entries += n(&c["entries"]);
                    d.cache_budget += n(&c["budget_bytes"]);
                }
                Some("sessions") => {
                    d.session_bytes += n(&c["bytes"]);
                    d.sessions += n(&c["entries"]);
                }
                _ => {}
            }
        }
        Some(d)
    }

    /// Bytes the bounded stores (caches, sessions) account for.
    pub fn bounded(&self) -> u64 {
        self.cache_bytes + self.session_bytes
    }
}

impl std::fmt::Display for DebugMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "jemalloc allocated {:.1} MB, resident {:.1} MB; caches {:.1} MB in {} entries (budget {:.1} MB); sessions {:.1} MB in {}",
            mb(self.allocated),
            mb(self.resident),
            mb(self.cache_bytes),
            self.cache_entries,
            mb(self.cache_budget),
            mb(self.session_bytes),
            self.sessions
        )
    }
}

/// [`DebugMemory`] as one line.
pub async fn debug_line(client: &reqwest::Client, base: &str) -> String {
    match DebugMemory::fetch(client, base).await {
        Some(d) => d.to_string(),
        None => "(no /debug/memory)".into(),
    }
}

/// Writes `text` to `dir/name`, creating `dir`.
pub fn write_out(dir: &Path, name: &str, data: &[u8]) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let p = dir.join(name);
    std::fs::write(&p, data).with_context(|| format!("writing {}", p.display()))?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
        let line: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 5.0 + 2.0 * i as f64)).collect();
        assert!((slope(&line).unwrap_or(0.0) - 2.0).abs() < 1e-9);
        assert_eq!(slope(&[(1.0, 1.0)]), None);
        let mut r = Rng::new(7);
        assert!((0..1000).all(|_| r.below(10) < 10));
    }
}
