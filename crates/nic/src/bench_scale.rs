//! `nic bench scale`: the vector tiers at a million chunks.
//!
//! A synthetic corpus (clustered vectors, pseudo-word text; see `nic_index::synthetic`) is
//! published once as a real generation, then converted to each tier in turn with
//! `nic index convert`'s code path. Each tier is served by a fresh child process
//! (`nic bench scale-serve`), so its RSS split (anon = heap, file = mapped index pages) is
//! the tier's own and not the builder's. Figures: build time and peak anon RSS of the build,
//! bytes on disk, open time, vector search p50/p99, recall@10 against exact f32 search,
//! hybrid retrieval p50/p99 with a pre-embedded query, query embedding time, and the
//! end-to-end sum (embed + hybrid) per query.

use anyhow::{Context, Result};
use clap::Args;
use nic_core::{NicConfig, VectorIndex};
use nic_index::synthetic::{publish_synthetic, SyntheticCorpus, SyntheticSpec};
use nic_index::{Generation, VectorKind, VectorTier};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

#[derive(Args, Debug)]
pub struct ScaleArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub chunks: usize,
    #[arg(long, default_value_t = 384)]
    pub dim: usize,
    /// Queries for latency and recall.
    #[arg(long, default_value_t = 200)]
    pub queries: usize,
    /// Tiers, in the order they are built.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "flat-f32,flat-i8,hnsw-i8,hnsw-f16"
    )]
    pub kinds: Vec<String>,
    /// ef values swept for HNSW tiers (recall vs latency).
    #[arg(long, value_delimiter = ',', default_value = "64,128,256,512")]
    pub ef: Vec<usize>,
    /// Output folder (index, queries, results.json, summary.txt).
    #[arg(long, default_value = "bench-out/scale")]
    pub out: PathBuf,
    /// Reuse a synthetic index already in OUT/data with the same shape.
    #[arg(long)]
    pub reuse: bool,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Args, Debug)]
pub struct ScaleServeArgs {
    /// Queries and ground truth written by `nic bench scale`.
    #[arg(long)]
    pub input: PathBuf,
    #[arg(long, value_delimiter = ',', default_value = "64")]
    pub ef: Vec<usize>,
}

#[derive(Serialize, Deserialize)]
struct QuerySet {
    vectors: Vec<Vec<f32>>,
    texts: Vec<String>,
    /// Exact top-10 ordinals per query.
    truth: Vec<Vec<u32>>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct EfPoint {
    ef: usize,
    recall_at_10: f64,
    p50_ms: f64,
    p99_ms: f64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ServeFigures {
    kind: String,
    open_ms: f64,
    vector_p50_ms: f64,
    vector_p99_ms: f64,
    recall_at_10: f64,
    hybrid_p50_ms: f64,
    hybrid_p99_ms: f64,
    embed_p50_ms: f64,
    e2e_p50_ms: f64,
    e2e_p99_ms: f64,
    rss_bytes: u64,
    anon_bytes: u64,
    file_bytes: u64,
    ef_sweep: Vec<EfPoint>,
}

#[derive(Debug, Serialize)]
struct TierResult {
    kind: String,
    build_seconds: f64,
    build_peak_anon_bytes: u64,
    vector_bytes: u64,
    structure_bytes: u64,
    serve: ServeFigures,
}

fn pct(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    crate::cmd_bench::percentile(&s, p)
}

fn recall(got: &[u32], truth: &[u32]) -> (usize, usize) {
    let hit = truth.iter().filter(|t| got.contains(t)).count();
    (hit, truth.len())
}

/// Runs `f` while a thread samples this process's anon RSS every 50 ms; returns the
/// result and the peak anon seen (VmHWM would count the mapped f32 rows being read, which
/// are page cache, not memory the build owns).
fn with_anon_peak<T>(f: impl FnOnce() -> T) -> (T, u64) {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let stop = AtomicBool::new(false);
    let peak = AtomicU64::new(0);
    let out = std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(crate::cmd_bench::own_memory().anon_bytes, Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        });
        let out = f();
        stop.store(true, Ordering::Relaxed);
        out
    });
    (out, peak.load(Ordering::Relaxed))
}

fn mb(b: u64) -> f64 {
    b as f64 / 1048576.0
}

pub fn run(cfg: &NicConfig, a: ScaleArgs) -> Result<ExitCode> {
    let kinds: Vec<VectorKind> = a
        .kinds
        .iter()
        .map(|k| k.parse().map_err(anyhow::Error::msg))
        .collect::<Result<_>>()?;
    anyhow::ensure!(!kinds.is_empty(), "--kinds is empty");
    let data = a.out.join("data");
    let spec = SyntheticSpec::new(a.chunks, a.dim, a.seed);
    let corpus = SyntheticCorpus::new(spec.clone());
    let model_id = format!("synthetic/{}d/seed-{}", a.dim, a.seed);
    let reusable = a.reuse
        && Generation::open_current(&data)
            .is_ok_and(|g| g.len() == a.chunks && g.manifest().model_id == model_id);
    let mut out = String::new();
    let mut line = |s: String| {
        println!("{s}");
        out.push_str(&s);
        out.push('\n');
    };
    line(format!(
        "bench scale: {} synthetic chunks × {} dims, {} queries, tiers {}",
        a.chunks,
        a.dim,
        a.queries,
        a.kinds.join(", ")
    ));
    if !reusable {
        if data.exists() {
            std::fs::remove_dir_all(&data)
                .with_context(|| format!("clearing {}", data.display()))?;
        }
        let t = Instant::now();
        // Published as flat-f32 (no search structure), so every tier's build is timed by
        // the same conversion below.
        let base = VectorKind::new(nic_index::Layout::Flat, nic_index::Scalar::F32);
        let (built, peak) = with_anon_peak(|| {
            publish_synthetic(&data, &corpus, base, &|done, total| {
                eprintln!("  generating: {done} / {total} chunks");
            })
        });
        built?;
        line(format!(
            "  generation (text, tantivy, SQLite, f32 rows): {:.1} s, peak anon {:.0} MB",
            t.elapsed().as_secs_f64(),
            mb(peak)
        ));
    }
    // Queries and exact ground truth, computed once from the f32 rows.
    let input = a.out.join("queries.json");
    {
        let g = Generation::open_current(&data)?;
        let rows = g.vector_tier().rows();
        let t = Instant::now();
        let (vectors, texts): (Vec<Vec<f32>>, Vec<String>) =
            (0..a.queries).map(|j| corpus.query(j)).unzip();
        let truth: Vec<Vec<u32>> = vectors
            .iter()
            .map(|q| rows.exact_top(q, 10).iter().map(|s| s.ordinal).collect())
            .collect();
        line(format!(
            "  exact ground truth: {:.1} s for {} queries ({:.1} ms per exact f32 scan)",
            t.elapsed().as_secs_f64(),
            a.queries,
            t.elapsed().as_secs_f64() * 1000.0 / a.queries.max(1) as f64
        ));
        std::fs::write(
            &input,
            serde_json::to_vec(&QuerySet {
                vectors,
                texts,
                truth,
            })?,
        )?;
    }
    drop(corpus);
    let mut results = Vec::new();
    for kind in &kinds {
        let current = Generation::open_current(&data)?
            .manifest()
            .vector_kind
            .clone();
        let (build_seconds, build_peak) = if current == kind.to_string() {
            (0.0, 0)
        } else {
            let (r, peak) = with_anon_peak(|| nic_index::convert(&data, *kind, 50, 2));
            (r?.build_seconds, peak)
        };
        let g = Generation::open_current(&data)?;
        let f32_bytes = g.vector_tier().rows().mapped_bytes();
        let vector_bytes = g.vector_mapped_bytes();
        drop(g);
        let serve = serve_child(cfg, &data, &input, kind, &a.ef)?;
        eprintln!(
            "  {kind}: vector p50 {:.2} ms, recall@10 {:.3}, anon {:.0} MB",
            serve.vector_p50_ms,
            serve.recall_at_10,
            mb(serve.anon_bytes)
        );
        results.push(TierResult {
            kind: kind.to_string(),
            build_seconds,
            build_peak_anon_bytes: build_peak,
            vector_bytes,
            structure_bytes: vector_bytes.saturating_sub(f32_bytes),
            serve,
        });
    }
    line(String::new());
    line(format!(
        "  {:<9} {:>8} {:>9} {:>10} {:>10} {:>7} {:>7} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "tier",
        "build s",
        "build MB",
        "struct MB",
        "vec MB",
        "open ms",
        "vec p50",
        "vec p99",
        "recall10",
        "hyb p50",
        "embed",
        "e2e p50",
        "e2e p99",
        "anon MB"
    ));
    for r in &results {
        let s = &r.serve;
        line(format!(
            "  {:<9} {:>8.1} {:>9.0} {:>10.0} {:>10.0} {:>7.0} {:>7.2} {:>7.2} {:>8.3} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.0}",
            r.kind,
            r.build_seconds,
            mb(r.build_peak_anon_bytes),
            mb(r.structure_bytes),
            mb(r.vector_bytes),
            s.open_ms,
            s.vector_p50_ms,
            s.vector_p99_ms,
            s.recall_at_10,
            s.hybrid_p50_ms,
            s.embed_p50_ms,
            s.e2e_p50_ms,
            s.e2e_p99_ms,
            mb(s.anon_bytes)
        ));
    }
    line(String::new());
    line("  serving RSS per tier (child process after the runs): rss / anon / file MB".into());
    for r in &results {
        let s = &r.serve;
        line(format!(
            "  {:<9} {:>6.0} / {:>5.0} / {:>6.0}",
            r.kind,
            mb(s.rss_bytes),
            mb(s.anon_bytes),
            mb(s.file_bytes)
        ));
    }
    for r in results.iter().filter(|r| !r.serve.ef_sweep.is_empty()) {
        line(format!("  {} ef sweep (vector search):", r.kind));
        for p in &r.serve.ef_sweep {
            line(format!(
                "    ef {:>4}: recall@10 {:.3}, p50 {:.2} ms, p99 {:.2} ms",
                p.ef, p.recall_at_10, p.p50_ms, p.p99_ms
            ));
        }
    }
    std::fs::write(a.out.join("summary.txt"), &out)?;
    std::fs::write(
        a.out.join("results.json"),
        serde_json::to_vec_pretty(&results)?,
    )?;
    println!("  written: {}", a.out.join("summary.txt").display());
    Ok(ExitCode::SUCCESS)
}

fn serve_child(
    cfg: &NicConfig,
    data: &Path,
    input: &Path,
    kind: &VectorKind,
    ef: &[usize],
) -> Result<ServeFigures> {
    let exe = std::env::current_exe()?;
    let ef_arg = ef
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let out = Command::new(exe)
        .arg("--data-dir")
        .arg(data)
        .args(["--model", &cfg.model_dir().to_string_lossy()])
        .args(["bench", "scale-serve", "--input"])
        .arg(input)
        .args(["--ef", &ef_arg])
        .stderr(Stdio::inherit())
        .output()
        .context("running the scale-serve child")?;
    anyhow::ensure!(out.status.success(), "scale-serve for {kind} failed");
    serde_json::from_slice(&out.stdout).context("reading the scale-serve figures")
}

/// The child: opens the current generation like a server would and measures it.
pub fn serve(cfg: &NicConfig, a: ScaleServeArgs) -> Result<ExitCode> {
    let qs: QuerySet = serde_json::from_slice(
        &std::fs::read(&a.input).with_context(|| format!("reading {}", a.input.display()))?,
    )?;
    let t = Instant::now();
    let gen = std::sync::Arc::new(Generation::open_current(&cfg.data_dir)?);
    let open_ms = t.elapsed().as_secs_f64() * 1000.0;
    let embedder = crate::engine::embedder(cfg)?;
    let retriever = nic_retrieve::Retriever::new(
        gen.clone(),
        embedder.clone(),
        nic_retrieve::RetrieverConfig::from_config(cfg),
    );
    let tier = gen.vector_tier();
    // Warm-up: the lazy model load and the first touches of mapped pages are not the
    // steady state (start-up is measured by `nic bench ready`).
    if let Some(t) = qs.texts.first() {
        retriever.embed_query(t)?;
    }
    for q in qs.vectors.iter().take(20) {
        std::hint::black_box(tier.search(q, 10, None));
    }
    let vector_pass = |tier: &VectorTier| {
        let mut ms = Vec::new();
        let (mut hit, mut total) = (0, 0);
        for (q, truth) in qs.vectors.iter().zip(&qs.truth) {
            let t = Instant::now();
            let got: Vec<u32> = tier.search(q, 10, None).iter().map(|s| s.ordinal).collect();
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            let (h, n) = recall(&got, truth);
            hit += h;
            total += n;
        }
        (ms, hit as f64 / total.max(1) as f64)
    };
    let mut ef_sweep = Vec::new();
    if let VectorTier::Hnsw(h) = tier {
        for &ef in &a.ef {
            h.set_expansion_search(ef);
            let (ms, r) = vector_pass(tier);
            ef_sweep.push(EfPoint {
                ef,
                recall_at_10: r,
                p50_ms: pct(&ms, 0.5),
                p99_ms: pct(&ms, 0.99),
            });
        }
        h.set_expansion_search(nic_index::HnswParams::default().expansion_search);
    }
    let (vec_ms, recall_at_10) = vector_pass(tier);
    let mut hybrid_ms = Vec::new();
    let mut embed_ms = Vec::new();
    let mut e2e_ms = Vec::new();
    for (q, text) in qs.vectors.iter().zip(&qs.texts) {
        let t = Instant::now();
        std::hint::black_box(retriever.embed_query(text)?);
        let e = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        std::hint::black_box(retriever.search(&nic_retrieve::SearchRequest {
            query: text.clone(),
            k: 5,
            domain: None,
            query_vector: Some(q.clone()),
            lexical_only: false,
        })?);
        let h = t.elapsed().as_secs_f64() * 1000.0;
        embed_ms.push(e);
        hybrid_ms.push(h);
        e2e_ms.push(e + h);
    }
    let me = crate::cmd_bench::own_memory();
    let figures = ServeFigures {
        kind: gen.manifest().vector_kind.clone(),
        open_ms,
        vector_p50_ms: pct(&vec_ms, 0.5),
        vector_p99_ms: pct(&vec_ms, 0.99),
        recall_at_10,
        hybrid_p50_ms: pct(&hybrid_ms, 0.5),
        hybrid_p99_ms: pct(&hybrid_ms, 0.99),
        embed_p50_ms: pct(&embed_ms, 0.5),
        e2e_p50_ms: pct(&e2e_ms, 0.5),
        e2e_p99_ms: pct(&e2e_ms, 0.99),
        rss_bytes: me.rss_bytes,
        anon_bytes: me.anon_bytes,
        file_bytes: me.file_bytes,
        ef_sweep,
    };
    println!("{}", serde_json::to_string(&figures)?);
    Ok(ExitCode::SUCCESS)
}
