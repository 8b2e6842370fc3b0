//! `nic bench`: figures, not tests. Ingest throughput and memory; retrieval latency per
//! mode with and without query embedding; RSS split into anon (heap) and file (mapped
//! index pages) because only the former is memory the process really owns.

use anyhow::{Context, Result};
use clap::Subcommand;
use nic_core::NicConfig;
use nic_retrieve::{Retriever, RetrieverConfig, SearchRequest};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Ingest DIR from scratch into --data-dir and report throughput and peak memory.
    Ingest {
        dir: PathBuf,
        /// Keep an existing index in --data-dir (measures an incremental run).
        #[arg(long)]
        incremental: bool,
    },
    /// Query latency over the index in --data-dir: lexical, vector and hybrid, with and
    /// without query embedding.
    Search {
        /// One query per line (default: bench/queries.txt).
        #[arg(long)]
        queries: Option<PathBuf>,
        /// Rounds over the query list.
        #[arg(long, default_value_t = 1)]
        rounds: usize,
        #[arg(long, default_value_t = 5)]
        k: usize,
    },
    /// Load on `/api/ask` through a `nic serve` child on loopback, at several concurrency
    /// levels: throughput, p50/p95/p99, errors, server RSS.
    Http {
        #[arg(long)]
        queries: Option<PathBuf>,
        /// Concurrency levels.
        #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
        clients: Vec<usize>,
        /// Seconds per level.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// auto, extractive or generative.
        #[arg(long, default_value = "extractive")]
        mode: String,
    },
}

pub fn run(cfg: &NicConfig, cmd: BenchCommand) -> Result<ExitCode> {
    match cmd {
        BenchCommand::Ingest { dir, incremental } => bench_ingest(cfg, dir, incremental),
        BenchCommand::Search { queries, rounds, k } => bench_search(cfg, queries, rounds, k),
        BenchCommand::Http {
            queries,
            clients,
            seconds,
            mode,
        } => {
            http::run(
                cfg,
                queries.unwrap_or_else(default_queries),
                clients,
                seconds,
                mode,
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// This process's memory figures (RSS split into anon and file), from nic-ops.
fn own_memory() -> nic_ops::memory::ProcessMemory {
    nic_ops::memory::read_process(std::process::id()).unwrap_or_else(|_| {
        nic_ops::memory::ProcessMemory {
            pid: std::process::id(),
            name: String::new(),
            rss_bytes: 0,
            vms_bytes: 0,
            shared_bytes: 0,
            anon_bytes: 0,
            file_bytes: 0,
            shmem_bytes: 0,
            peak_rss_bytes: 0,
            swap_bytes: 0,
        }
    })
}

fn mb(b: u64) -> f64 {
    b as f64 / 1048576.0
}

fn dir_bytes(p: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => total += dir_bytes(&e.path()),
                Ok(_) => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                Err(_) => {}
            }
        }
    }
    total
}

fn bench_ingest(cfg: &NicConfig, dir: PathBuf, incremental: bool) -> Result<ExitCode> {
    if !incremental && cfg.data_dir.exists() {
        std::fs::remove_dir_all(&cfg.data_dir)
            .with_context(|| format!("clearing {}", cfg.data_dir.display()))?;
    }
    let embedder = crate::engine::embedder(cfg)?;
    let opts = crate::cmd_ingest::options(cfg, vec![dir.clone()], false);
    let t = Instant::now();
    let report = nic_index::ingest(&cfg.data_dir, &opts, embedder.as_ref(), &|_| {})?;
    let secs = t.elapsed().as_secs_f64();
    let st = own_memory();
    println!("bench ingest {}", dir.display());
    println!("  batch size          {}", cfg.batch_size);
    println!(
        "  files               {} ({} failed)",
        report.files_total,
        report.failed.len()
    );
    println!(
        "  pages               {} ({} without text)",
        report.pages, report.empty_pages
    );
    println!("  chunks              {}", report.chunks);
    println!("  wall time           {secs:.1} s");
    println!(
        "  chunks/s            {:.1}",
        report.chunks as f64 / secs.max(1e-9)
    );
    println!("  peak RSS (VmHWM)    {:.0} MB", mb(st.peak_rss_bytes));
    println!(
        "  RSS at end          {:.0} MB (anon {:.0} MB, file {:.0} MB)",
        mb(st.rss_bytes),
        mb(st.anon_bytes),
        mb(st.file_bytes)
    );
    println!(
        "  index on disk       {:.1} MB",
        mb(dir_bytes(&cfg.data_dir))
    );
    for f in report.failed.iter().take(20) {
        println!("  failed: {}: {}", f.path, f.reason);
    }
    Ok(ExitCode::SUCCESS)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn default_queries() -> PathBuf {
    PathBuf::from("bench/queries.txt")
}

fn bench_search(
    cfg: &NicConfig,
    queries: Option<PathBuf>,
    rounds: usize,
    k: usize,
) -> Result<ExitCode> {
    let path = queries.unwrap_or_else(default_queries);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading queries from {}", path.display()))?;
    let queries: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    anyhow::ensure!(!queries.is_empty(), "no queries in {}", path.display());

    let t = Instant::now();
    let hybrid = crate::engine::retriever(cfg)?;
    let open_ms = t.elapsed().as_secs_f64() * 1000.0;
    let vector_only = Retriever::new(
        hybrid.generation().clone(),
        hybrid.embedder().clone(),
        RetrieverConfig {
            hybrid: false,
            ..RetrieverConfig::from_config(cfg)
        },
    );
    // Warm-up: load the model, fault in the index, and precompute the query vectors.
    let t = Instant::now();
    let vectors: Vec<Vec<f32>> = queries
        .iter()
        .map(|q| hybrid.embed_query(q))
        .collect::<Result<_, _>>()?;
    let embed_all_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "bench search: {} queries x {} rounds, k={}, {} chunks, index opened in {:.1} ms",
        queries.len(),
        rounds,
        k,
        hybrid.generation().len(),
        open_ms
    );
    println!(
        "  query embedding: {:.2} ms mean (first pass incl. model load {:.0} ms total)",
        embed_all_ms / queries.len() as f64,
        embed_all_ms
    );
    println!(
        "  {:<28} {:>9} {:>9} {:>9}",
        "mode", "p50 ms", "p95 ms", "p99 ms"
    );
    type Case<'a> = (&'a str, &'a Retriever, bool, bool);
    let cases: [Case; 5] = [
        ("lexical", &hybrid, true, false),
        ("vector (pre-embedded)", &vector_only, false, false),
        ("vector (with embedding)", &vector_only, false, true),
        ("hybrid (pre-embedded)", &hybrid, false, false),
        ("hybrid (with embedding)", &hybrid, false, true),
    ];
    for (name, r, lexical_only, embed) in cases {
        let mut lat = Vec::with_capacity(queries.len() * rounds);
        for _ in 0..rounds {
            for (q, v) in queries.iter().zip(&vectors) {
                let req = SearchRequest {
                    query: q.clone(),
                    k,
                    domain: None,
                    query_vector: if embed || lexical_only {
                        None
                    } else {
                        Some(v.clone())
                    },
                    lexical_only,
                };
                let t = Instant::now();
                r.search(&req)?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        lat.sort_by(f64::total_cmp);
        println!(
            "  {:<28} {:>9.2} {:>9.2} {:>9.2}",
            name,
            percentile(&lat, 0.5),
            percentile(&lat, 0.95),
            percentile(&lat, 0.99)
        );
    }
    let st = own_memory();
    println!(
        "  RSS after run: {:.0} MB (anon {:.0} MB, file {:.0} MB), peak {:.0} MB",
        mb(st.rss_bytes),
        mb(st.anon_bytes),
        mb(st.file_bytes),
        mb(st.peak_rss_bytes)
    );
    Ok(ExitCode::SUCCESS)
}

/// `nic bench http`: a load generator against a `nic serve` child process on loopback.
pub mod http {
    use anyhow::{Context, Result};
    use nic_core::NicConfig;
    use std::io::{BufRead, BufReader};
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    struct ServerChild(Child);
    impl Drop for ServerChild {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// (RSS, anon, peak) of the server child.
    fn child_rss(pid: u32) -> (u64, u64, u64) {
        nic_ops::memory::read_process(pid)
            .map(|m| (m.rss_bytes, m.anon_bytes, m.peak_rss_bytes))
            .unwrap_or((0, 0, 0))
    }

    pub fn run(
        cfg: &NicConfig,
        queries: PathBuf,
        clients: Vec<usize>,
        seconds: u64,
        mode: String,
    ) -> Result<()> {
        let text = std::fs::read_to_string(&queries)
            .with_context(|| format!("reading {}", queries.display()))?;
        let qs: Arc<Vec<String>> = Arc::new(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect(),
        );
        anyhow::ensure!(!qs.is_empty(), "no queries");
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(["serve", "--port", "0", "--bind", "127.0.0.1", "--data-dir"])
            .arg(&cfg.data_dir)
            .args(["--model", &cfg.model_dir().to_string_lossy()])
            .env("NOVA_RATE_LIMIT_PER_MINUTE", "0")
            .env("NOVA_QUEUE_MAX", "1024")
            .env("NIC_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting nic serve")?;
        let stdout = child.stdout.take().context("child stdout")?;
        let pid = child.id();
        let guard = ServerChild(child);
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .context("server did not report its address")?
            .to_string();
        let (rss0, anon0, _) = child_rss(pid);
        println!(
            "bench http: {base}, {} queries, mode {mode}, {seconds} s per level",
            qs.len()
        );
        println!(
            "  server RSS at start: {:.0} MB (anon {:.0} MB)",
            rss0 as f64 / 1048576.0,
            anon0 as f64 / 1048576.0
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        println!(
            "  {:>7} {:>10} {:>9} {:>9} {:>9} {:>7} {:>10} {:>10}",
            "clients", "answers/s", "p50 ms", "p95 ms", "p99 ms", "errors", "RSS MB", "anon MB"
        );
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()?;
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
            let (rss, anon, _) = child_rss(pid);
            println!(
                "  {:>7} {:>10.1} {:>9.1} {:>9.1} {:>9.1} {:>7} {:>10.0} {:>10.0}",
                n,
                lat.len() as f64 / elapsed,
                super::percentile(&lat, 0.5),
                super::percentile(&lat, 0.95),
                super::percentile(&lat, 0.99),
                errors,
                rss as f64 / 1048576.0,
                anon as f64 / 1048576.0
            );
        }
        let (_, _, peak) = child_rss(pid);
        println!(
            "  server peak RSS (VmHWM): {:.0} MB",
            peak as f64 / 1048576.0
        );
        drop(guard);
        Ok(())
    }
}
