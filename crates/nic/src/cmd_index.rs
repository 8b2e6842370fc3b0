//! `nic index stats|verify|rollback|convert`: the operator's view of the index generations
//! (DESIGN §5, issue 4 item 7).
//!
//! Why these read the disk rather than a running server: they must work when the server is
//! down, misbehaving or refusing a damaged generation — exactly when an operator needs them.
//! `stats` therefore builds most of its figures from the manifests and only opens the current
//! generation for the heap estimate (a generation that does not open is reported, not fatal).
//! `verify` recomputes every checksum and names the damaged file, and exits 1 so scripts and
//! health checks can act on it; `rollback` is the one-command way back after a bad ingest.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use nic_core::NicConfig;
use nic_index::{list_generations, verify_generation, Generation, GenerationInfo, VerifyProblem};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum IndexCommand {
    /// Documents, chunks, vectors, dimension, vector kind, bytes on disk, estimated and
    /// resident RAM of the current generation, and the generations kept for rollback.
    Stats(StatsArgs),
    /// Recompute the checksum of every file of the kept generations (exit 1 when damaged).
    Verify(VerifyArgs),
    /// Switch CURRENT back to the previous generation (or the one given with --to).
    Rollback(RollbackArgs),
    /// Rebuild the vector tier of the current generation without re-embedding, publish it
    /// as a new generation (the old one is kept for rollback) and report its recall@10.
    Convert(ConvertArgs),
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Search layout: `flat` (exact scan) or `hnsw` (graph, for large corpora).
    #[arg(long)]
    pub vector: String,
    /// Scalar type the search structure reads: f32, f16 or i8.
    #[arg(long, default_value = "f16")]
    pub quantize: String,
    /// Sampled queries for the recall@10 check against exact search.
    #[arg(long, default_value_t = 200)]
    pub sample: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Only this generation (default: every kept generation, the current one first).
    #[arg(long)]
    pub generation: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    /// Generation to switch to (default: the newest one older than the current one).
    #[arg(long)]
    pub to: Option<u64>,
}

pub fn run(cfg: &NicConfig, cmd: IndexCommand) -> Result<ExitCode> {
    match cmd {
        IndexCommand::Stats(a) => stats(cfg, a),
        IndexCommand::Verify(a) => verify(cfg, a),
        IndexCommand::Rollback(a) => rollback(cfg, a),
        IndexCommand::Convert(a) => convert(cfg, a),
    }
}

fn convert(cfg: &NicConfig, a: ConvertArgs) -> Result<ExitCode> {
    let kind = nic_index::VectorKind::new(
        a.vector.parse().map_err(anyhow::Error::msg)?,
        a.quantize.parse().map_err(anyhow::Error::msg)?,
    );
    if !a.json {
        eprintln!(
            "converting the vector tier in {} to {kind} (an HNSW graph over a million chunks takes minutes)...",
            cfg.data_dir.display()
        );
    }
    let r = nic_index::convert(&cfg.data_dir, kind, a.sample, cfg.keep_generations)
        .with_context(|| format!("converting the index in {}", cfg.data_dir.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!(
            "generation {} ({}) -> generation {} ({}), {} chunks, built in {:.1} s",
            r.from_generation, r.from_kind, r.generation, r.kind, r.chunks, r.build_seconds
        );
        println!(
            "vector files {} (generation {} on disk)",
            human_bytes(r.vector_bytes),
            human_bytes(r.disk_bytes)
        );
        println!(
            "recall@10 {:.3} against exact search on {} sampled queries; search p50 {:.2} ms (exact {:.2} ms)",
            r.recall_at_10, r.recall_queries, r.search_p50_ms, r.exact_p50_ms
        );
        println!(
            "now current; `nic index rollback` returns to generation {}. Set NOVA_VECTOR_INDEX={} to keep this tier on the next ingest.",
            r.from_generation, r.kind
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One file of a generation: size on disk and bytes in the page cache now.
#[derive(Debug, Serialize)]
pub struct FileStats {
    pub path: String,
    pub bytes: u64,
    pub resident_bytes: u64,
}

/// One generation kept on disk.
#[derive(Debug, Serialize)]
pub struct GenerationSummary {
    pub id: u64,
    pub current: bool,
    pub created: Option<String>,
    pub documents: Option<usize>,
    pub chunks: Option<usize>,
    pub disk_bytes: Option<u64>,
    /// Why the manifest could not be read.
    pub error: Option<String>,
}

/// `nic index stats` of the current generation.
#[derive(Debug, Serialize)]
pub struct IndexStats {
    pub data_dir: String,
    pub generation: u64,
    pub created: String,
    pub created_unix: u64,
    pub model_id: String,
    pub documents: usize,
    pub chunks: usize,
    pub vectors: usize,
    pub dimension: usize,
    /// e.g. `flat-i8`.
    pub vector_kind: String,
    /// Storage/scan layout: `flat` = exact scan.
    pub vector_layout: String,
    /// Scalar type of the scanned vectors (`i8`).
    pub scalar_type: String,
    /// Scalar type the top candidates are rescored with (`f32`), when any.
    pub rescoring: Option<String>,
    pub files: Vec<FileStats>,
    /// Sum of the files' sizes on disk now (a truncated file shows here too).
    pub disk_bytes: u64,
    /// Heap held by the opened generation beyond its maps (domain table).
    pub heap_bytes: Option<u64>,
    /// RAM if every file were resident plus the heap estimate.
    pub estimated_ram_bytes: u64,
    /// Page-cache residency of the generation files right now (mincore over a fresh
    /// mapping: what a server mapping them would find resident without faulting).
    pub resident_bytes: u64,
    /// Why the generation could not be opened (then `heap_bytes` is unknown).
    pub open_error: Option<String>,
    pub generations: Vec<GenerationSummary>,
}

/// Splits a vector kind such as `flat-i8` into (layout, scalar type, rescoring type).
fn describe_kind(kind: &str) -> (String, String, Option<String>) {
    let (layout, scalar) = kind.split_once('-').unwrap_or((kind, "f32"));
    // Every tier but flat-f32 rescores its top candidates from the f32 rows
    // (nic-index `vectors` module docs).
    let rescoring = !(layout == "flat" && scalar == "f32");
    let rescoring = rescoring.then(|| "f32".to_string());
    (layout.to_string(), scalar.to_string(), rescoring)
}

fn summarize(g: &GenerationInfo) -> GenerationSummary {
    let m = g.manifest.as_ref();
    GenerationSummary {
        id: g.id,
        current: g.current,
        created: m.map(|m| m.created.clone()),
        documents: m.map(|m| m.documents),
        chunks: m.map(|m| m.chunks),
        disk_bytes: m.map(|m| m.total_bytes()),
        error: g.error.clone(),
    }
}

/// Reads the stats of the current generation of `data_dir`.
pub fn collect_stats(data_dir: &Path) -> Result<IndexStats> {
    let gens = list_generations(data_dir)
        .with_context(|| format!("listing the index generations in {}", data_dir.display()))?;
    let Some(cur) = gens.iter().find(|g| g.current) else {
        anyhow::bail!(
            "no published index in {}: run `nic ingest DIR` first (or set NOVA_DATA_DIR to the data directory you ingested into)",
            data_dir.display()
        );
    };
    let Some(m) = cur.manifest.as_ref() else {
        anyhow::bail!(
            "generation {} is current but its manifest cannot be read ({}); run `nic index verify` and `nic index rollback`",
            cur.id,
            cur.error.as_deref().unwrap_or("unknown error")
        );
    };
    let files: Vec<FileStats> = m
        .files
        .iter()
        .map(|f| {
            // A missing file counts as empty and not resident; `open_error` and
            // `nic index verify` say what is wrong with it.
            let (bytes, resident_bytes) =
                nic_ops::resident_bytes(&cur.dir.join(&f.path)).unwrap_or((0, 0));
            FileStats {
                path: f.path.clone(),
                bytes,
                resident_bytes,
            }
        })
        .collect();
    let (heap_bytes, vectors, open_error) = match Generation::open(data_dir, cur.id) {
        Ok(g) => (Some(g.heap_bytes()), g.vectors().len(), None),
        Err(e) => (None, m.chunks, Some(e.to_string())),
    };
    let disk_bytes = files.iter().map(|f| f.bytes).sum();
    let (vector_layout, scalar_type, rescoring) = describe_kind(&m.vector_kind);
    let mut generations: Vec<GenerationSummary> = gens.iter().map(summarize).collect();
    generations.reverse(); // newest first
    Ok(IndexStats {
        data_dir: data_dir.display().to_string(),
        generation: cur.id,
        created: m.created.clone(),
        created_unix: m.created_unix,
        model_id: m.model_id.clone(),
        documents: m.documents,
        chunks: m.chunks,
        vectors,
        dimension: m.dim,
        vector_kind: m.vector_kind.clone(),
        vector_layout,
        scalar_type,
        rescoring,
        resident_bytes: files.iter().map(|f| f.resident_bytes).sum(),
        files,
        disk_bytes,
        heap_bytes,
        estimated_ram_bytes: disk_bytes + heap_bytes.unwrap_or(0),
        open_error,
        generations,
    })
}

/// Bytes for people: `512 B`, `3.4 KiB`, `1.2 MiB`, `2.0 GiB`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// The stats as the text `nic index stats` prints (also a `nic diagnose` section).
pub fn render_stats(s: &IndexStats) -> String {
    let mut out = String::new();
    let pct = |part: u64, whole: u64| {
        if whole == 0 {
            0.0
        } else {
            part as f64 * 100.0 / whole as f64
        }
    };
    let _ = writeln!(out, "data dir      {}", s.data_dir);
    let _ = writeln!(
        out,
        "generation    {} (created {})",
        s.generation, s.created
    );
    let _ = writeln!(out, "model         {}", s.model_id);
    let _ = writeln!(out, "documents     {}", s.documents);
    let _ = writeln!(out, "chunks        {}", s.chunks);
    let _ = writeln!(out, "vectors       {} × {} dims", s.vectors, s.dimension);
    let _ = writeln!(
        out,
        "vector kind   {} ({} scan over {}{})",
        s.vector_kind,
        if s.vector_layout == "flat" {
            "exact"
        } else {
            s.vector_layout.as_str()
        },
        s.scalar_type,
        s.rescoring
            .as_ref()
            .map(|r| format!(", top candidates rescored from {r}"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "on disk       {}", human_bytes(s.disk_bytes));
    let _ = writeln!(
        out,
        "RAM estimate  {} if fully resident (files {} + heap {})",
        human_bytes(s.estimated_ram_bytes),
        human_bytes(s.disk_bytes),
        s.heap_bytes
            .map(human_bytes)
            .unwrap_or_else(|| "unknown".into())
    );
    let _ = writeln!(
        out,
        "resident now  {} ({:.0}%, page cache)",
        human_bytes(s.resident_bytes),
        pct(s.resident_bytes, s.disk_bytes)
    );
    if let Some(e) = &s.open_error {
        let _ = writeln!(out, "WARNING       the generation does not open: {e}");
    }
    let _ = writeln!(out, "\nfiles:");
    let _ = writeln!(out, "  {:>12} {:>12}  PATH", "BYTES", "RESIDENT");
    let mut files: Vec<&FileStats> = s.files.iter().collect();
    files.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.path.cmp(&b.path)));
    for f in files {
        let _ = writeln!(
            out,
            "  {:>12} {:>12}  {}",
            human_bytes(f.bytes),
            human_bytes(f.resident_bytes),
            f.path
        );
    }
    let _ = writeln!(out, "\ngenerations kept (newest first):");
    for g in &s.generations {
        let mark = if g.current { "*" } else { " " };
        match &g.error {
            Some(e) => {
                let _ = writeln!(out, "{mark} {:>6}  unreadable: {e}", g.id);
            }
            None => {
                let _ = writeln!(
                    out,
                    "{mark} {:>6}  {}  {} documents, {} chunks, {}",
                    g.id,
                    g.created.as_deref().unwrap_or("?"),
                    g.documents.unwrap_or(0),
                    g.chunks.unwrap_or(0),
                    human_bytes(g.disk_bytes.unwrap_or(0))
                );
            }
        }
    }
    let _ = writeln!(out, "(* = current)");
    out
}

fn stats(cfg: &NicConfig, args: StatsArgs) -> Result<ExitCode> {
    let s = collect_stats(&cfg.data_dir)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print!("{}", render_stats(&s));
    }
    Ok(ExitCode::SUCCESS)
}

/// Verification result of one generation.
#[derive(Debug, Serialize)]
struct VerifiedGeneration {
    id: u64,
    current: bool,
    ok: bool,
    files: usize,
    bytes: u64,
    problems: Vec<VerifyProblem>,
    /// The generation could not be checked at all (e.g. missing manifest).
    error: Option<String>,
}

fn verify(cfg: &NicConfig, args: VerifyArgs) -> Result<ExitCode> {
    let data_dir = &cfg.data_dir;
    let gens = list_generations(data_dir)
        .with_context(|| format!("listing the index generations in {}", data_dir.display()))?;
    let mut targets: Vec<&GenerationInfo> = match args.generation {
        Some(id) => vec![gens.iter().find(|g| g.id == id).with_context(|| {
            format!(
                "index generation {id} does not exist in {}; `nic index stats` lists the generations on disk",
                data_dir.display()
            )
        })?],
        None => gens.iter().rev().collect(),
    };
    anyhow::ensure!(
        !targets.is_empty(),
        "no published index in {}: run `nic ingest DIR` first (or set NOVA_DATA_DIR)",
        data_dir.display()
    );
    targets.sort_by_key(|g| (!g.current, std::cmp::Reverse(g.id)));
    let results: Vec<VerifiedGeneration> = targets
        .iter()
        .map(|g| {
            let (files, bytes) = g
                .manifest
                .as_ref()
                .map(|m| (m.files.len(), m.total_bytes()))
                .unwrap_or((0, 0));
            let (problems, error) = match verify_generation(data_dir, Some(g.id)) {
                Ok((_, p)) => (p, None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            };
            VerifiedGeneration {
                id: g.id,
                current: g.current,
                ok: problems.is_empty() && error.is_none(),
                files,
                bytes,
                problems,
                error,
            }
        })
        .collect();
    // The databases beside the generations: header + PRAGMA integrity_check.
    let databases = nic_index::verify_databases(data_dir);
    let all_ok = results.iter().all(|r| r.ok) && databases.is_empty();
    if args.json {
        let v = serde_json::json!({"ok": all_ok, "generations": results, "databases": databases});
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render_verify(&results));
        print!("{}", render_databases(data_dir, &databases));
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn render_databases(data_dir: &std::path::Path, problems: &[VerifyProblem]) -> String {
    let mut out = String::new();
    for (rel, role) in nic_index::verify::DATABASES {
        if !data_dir.join(rel).exists() {
            continue;
        }
        let mine: Vec<&VerifyProblem> = problems.iter().filter(|p| p.path == *rel).collect();
        if mine.is_empty() {
            let _ = writeln!(out, "{role} ({rel}): OK (integrity_check)");
        } else {
            let _ = writeln!(out, "{role} ({rel}): DAMAGED");
            for p in mine {
                let _ = writeln!(out, "  {}", p.problem);
            }
        }
    }
    out
}

fn render_verify(results: &[VerifiedGeneration]) -> String {
    let mut out = String::new();
    for r in results {
        let cur = if r.current { " (current)" } else { "" };
        if let Some(e) = &r.error {
            let _ = writeln!(out, "generation {}{cur}: CANNOT VERIFY: {e}", r.id);
        } else if r.ok {
            let _ = writeln!(
                out,
                "generation {}{cur}: OK ({} files, {} checked)",
                r.id,
                r.files,
                human_bytes(r.bytes)
            );
        } else {
            let _ = writeln!(
                out,
                "generation {}{cur}: DAMAGED ({} of {} files)",
                r.id,
                r.problems.len(),
                r.files
            );
            for p in &r.problems {
                let _ = writeln!(out, "  {}: {}", p.path, p.problem);
            }
        }
    }
    let current_bad = results.iter().any(|r| r.current && !r.ok);
    if current_bad {
        match results.iter().find(|r| !r.current && r.ok) {
            Some(good) => {
                let _ = writeln!(
                    out,
                    "the current generation is damaged: switch to an intact one with `nic index rollback --to {}`, or re-ingest with `nic ingest --rebuild`",
                    good.id
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "the current generation is damaged and no intact one is kept: re-ingest with `nic ingest --rebuild`"
                );
            }
        }
    } else if results.iter().any(|r| !r.ok) {
        let _ = writeln!(
            out,
            "an older generation is damaged: do not roll back to it (the next ingest prunes it)"
        );
    }
    out
}

fn rollback(cfg: &NicConfig, args: RollbackArgs) -> Result<ExitCode> {
    let data_dir = &cfg.data_dir;
    let before = list_generations(data_dir)
        .ok()
        .and_then(|g| g.into_iter().find(|g| g.current).map(|g| g.id));
    let now = nic_index::rollback(data_dir, args.to)?;
    let info = list_generations(data_dir)?
        .into_iter()
        .find(|g| g.id == now)
        .and_then(|g| g.manifest);
    match before {
        Some(b) if b == now => println!("generation {now} is already current; nothing changed"),
        Some(b) => println!("switched CURRENT from generation {b} to generation {now}"),
        None => println!("CURRENT now points to generation {now} (no valid CURRENT before)"),
    }
    if let Some(m) = info {
        println!(
            "generation {now}: created {}, {} documents, {} chunks, model {}",
            m.created, m.documents, m.chunks, m.model_id
        );
    }
    println!(
        "a running `nic serve` keeps the generation it opened: restart it to serve generation {now}"
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_kinds_are_described() {
        assert_eq!(
            describe_kind("flat-i8"),
            ("flat".into(), "i8".into(), Some("f32".into()))
        );
        assert_eq!(
            describe_kind("hnsw-f16"),
            ("hnsw".into(), "f16".into(), Some("f32".into()))
        );
        assert_eq!(describe_kind("flat"), ("flat".into(), "f32".into(), None));
        assert_eq!(
            describe_kind("flat-f32"),
            ("flat".into(), "f32".into(), None)
        );
    }

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MiB");
    }
}
