//! `nic bench`: figures, not tests. Ingest throughput and memory; retrieval latency per
//! mode with and without query embedding; RSS split into anon (heap) and file (mapped
//! index pages) because only the former is memory the process really owns. The benchmarks
//! that drive a `nic serve` child (http, soak, shed, ready) live in `bench_load`.

#[path = "bench_fuzz.rs"]
mod bench_fuzz;
#[path = "bench_kill.rs"]
mod bench_kill;

use crate::bench_load::{default_queries, ready, shed, soak};
use anyhow::{Context, Result};
use clap::Subcommand;
use nic_core::NicConfig;
use nic_retrieve::{Retriever, RetrieverConfig, SearchRequest};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Vector tiers at scale: a synthetic corpus (default 1M chunks) converted to each tier;
    /// build time, disk, RSS split, p50/p99, recall@10. Writes OUT/summary.txt.
    Scale(crate::bench_scale::ScaleArgs),
    /// (internal) the serving child of `bench scale`.
    #[command(hide = true)]
    ScaleServe(crate::bench_scale::ScaleServeArgs),
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
    /// Mixed traffic for a long time (asks with new and continued sessions, search,
    /// unrelated questions, session deletes) against a `nic serve` child; samples its memory
    /// into DIR/soak.csv, reports growth after warm-up and plots DIR/soak.png.
    Soak {
        #[arg(long, default_value_t = 30.0)]
        minutes: f64,
        /// Seconds between memory samples.
        #[arg(long, default_value_t = 10.0)]
        interval: f64,
        #[arg(long, default_value = "bench-out/soak")]
        out: PathBuf,
        #[arg(long, default_value_t = 4)]
        clients: usize,
        #[arg(long)]
        queries: Option<PathBuf>,
        /// Questions the manuals do not answer (must abstain).
        #[arg(long, default_value = "tests/data/unrelated_questions.toml")]
        unrelated: PathBuf,
    },
    /// Memory shedding: a `nic serve` child with a low NOVA_MEMORY_LIMIT_MB under growing
    /// load must answer 503 + Retry-After and recover, not grow. Writes bench-out/shed/.
    Shed {
        /// Budget in MB (default: calibrated so the warmed-up baseline is
        /// --baseline-percent of it).
        #[arg(long)]
        limit_mb: Option<u64>,
        #[arg(long, default_value_t = 78.0)]
        baseline_percent: f64,
        /// Seconds of load.
        #[arg(long, default_value_t = 90)]
        seconds: u64,
        /// Seconds of recovery probes after the load stops.
        #[arg(long, default_value_t = 30)]
        recover_seconds: u64,
        #[arg(long, default_value_t = 8)]
        clients: usize,
        #[arg(long, default_value = "bench-out/shed")]
        out: PathBuf,
        #[arg(long)]
        queries: Option<PathBuf>,
    },
    /// Start-to-ready: spawn `nic serve` on --data-dir, time to the first 200 from
    /// /health/ready and RSS then; median and max over runs, and once with --warm.
    Ready {
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long, default_value = "bench-out/ready")]
        out: PathBuf,
    },
    /// Fuzz every parser of untrusted input (stable Rust, no libFuzzer): API bodies,
    /// extractors, structure, citation audit, safety triage, config. Per target: inputs,
    /// inputs/s, panics, hangs; failing inputs saved under --out. Exit 1 on any failure.
    Fuzz(bench_fuzz::FuzzArgs),
    /// Kill campaigns: SIGKILL at random moments in ingests, in reloads under load and in
    /// audit writes; after each, index verify, the next ingest and the audit chain must
    /// pass. Kills, phases, recoveries and failures; exit 1 on any failure.
    Kill(bench_kill::KillArgs),
}

pub fn run(cfg: &NicConfig, cmd: BenchCommand) -> Result<ExitCode> {
    match cmd {
        BenchCommand::Scale(a) => crate::bench_scale::run(cfg, a),
        BenchCommand::ScaleServe(a) => crate::bench_scale::serve(cfg, a),
        BenchCommand::Ingest { dir, incremental } => bench_ingest(cfg, dir, incremental),
        BenchCommand::Search { queries, rounds, k } => bench_search(cfg, queries, rounds, k),
        BenchCommand::Http {
            queries,
            clients,
            seconds,
            mode,
        } => {
            crate::bench_load::http::run(
                cfg,
                queries.unwrap_or_else(default_queries),
                clients,
                seconds,
                mode,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Soak {
            minutes,
            interval,
            out,
            clients,
            queries,
            unrelated,
        } => {
            let args = soak::SoakArgs {
                minutes,
                interval,
                out,
                clients,
                queries: queries.unwrap_or_else(default_queries),
                unrelated,
            };
            soak::run(cfg, args)?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Shed {
            limit_mb,
            baseline_percent,
            seconds,
            recover_seconds,
            clients,
            out,
            queries,
        } => {
            let args = shed::ShedArgs {
                limit_mb,
                seconds,
                recover_seconds,
                clients,
                baseline_percent,
                out,
                queries: queries.unwrap_or_else(default_queries),
            };
            shed::run(cfg, args)?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Ready { runs, out } => {
            ready::run(cfg, ready::ReadyArgs { runs, out })?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Fuzz(a) => bench_fuzz::run(a),
        BenchCommand::Kill(a) => bench_kill::run(cfg, a),
    }
}

/// This process's memory figures (RSS split into anon and file), from nic-ops.
pub(crate) fn own_memory() -> nic_ops::memory::ProcessMemory {
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
    let cpu_before = CpuUsage::now();
    let t = Instant::now();
    let report = nic_index::ingest(&cfg.data_dir, &opts, embedder.as_ref(), &|_| {})?;
    let secs = t.elapsed().as_secs_f64();
    let cpu = CpuUsage::now().since(&cpu_before);
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
    let cpu_total = cpu.user_s + cpu.system_s;
    println!(
        "  CPU time            {:.1} s user, {:.1} s system ({:.1}% in the kernel)",
        cpu.user_s,
        cpu.system_s,
        100.0 * cpu.system_s / cpu_total.max(1e-9)
    );
    println!("  minor page faults   {}", cpu.minor_faults);
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

/// CPU seconds and minor page faults of this process so far (`getrusage(RUSAGE_SELF)`),
/// so an ingest can report how much of its time the kernel took: freed buffers that are
/// handed back to the OS and faulted in again show up here, not in wall time alone.
#[derive(Debug, Clone, Copy, Default)]
struct CpuUsage {
    user_s: f64,
    system_s: f64,
    minor_faults: u64,
}

impl CpuUsage {
    fn now() -> Self {
        // SAFETY: `getrusage` writes one `rusage` into the zeroed struct we own.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
            return Self::default();
        }
        let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        Self {
            user_s: secs(ru.ru_utime),
            system_s: secs(ru.ru_stime),
            minor_faults: u64::try_from(ru.ru_minflt).unwrap_or(0),
        }
    }

    fn since(&self, earlier: &Self) -> Self {
        Self {
            user_s: self.user_s - earlier.user_s,
            system_s: self.system_s - earlier.system_s,
            minor_faults: self.minor_faults.saturating_sub(earlier.minor_faults),
        }
    }
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn bench_search(
    cfg: &NicConfig,
    queries: Option<PathBuf>,
    rounds: usize,
    k: usize,
) -> Result<ExitCode> {
    let queries = crate::bench_load::read_queries(&queries.unwrap_or_else(default_queries))?;

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
