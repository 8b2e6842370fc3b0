//! `nic index convert`: a new generation with another vector tier, without re-embedding.
//!
//! Why a new generation rather than converting in place: the served generation must stay
//! intact and a bad conversion must roll back in one command, so a conversion publishes
//! exactly like an ingest (build in `gen-N.tmp`, checksum, fsync, rename, switch `CURRENT`)
//! and the previous generation is kept. Files the conversion does not change (chunks,
//! lexical index, `vectors.f32`) are hard-linked — generation files are immutable, so
//! sharing their inodes is safe — and copied only where links are not possible.

use crate::catalog::{Catalog, GenerationRecord};
use crate::error::IndexError;
use crate::fsutil::{self, IngestLock};
use crate::generation::Generation;
use crate::manifest::{FileEntry, Manifest};
use crate::publish::{build_threads, prune_generations};
use crate::vectors::{self, HnswParams, VectorKind, STRUCTURE_FILES};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// What a conversion did and how good the new tier is.
#[derive(Debug, Clone, Serialize)]
pub struct ConvertReport {
    pub from_generation: u64,
    pub from_kind: String,
    pub generation: u64,
    pub kind: String,
    pub chunks: usize,
    pub build_seconds: f64,
    /// Bytes of the new vector files (structure + f32 rows).
    pub vector_bytes: u64,
    pub disk_bytes: u64,
    /// recall@10 of the new tier against exact f32 search, over `recall_queries` queries.
    pub recall_at_10: f64,
    pub recall_queries: usize,
    /// Median search time of the new tier and of exact f32 search on the same queries (ms).
    pub search_p50_ms: f64,
    pub exact_p50_ms: f64,
}

/// Query vectors for recall checks, drawn from the index itself: the normalised mean of
/// two chunks of the same neighbourhood plus a third at random, so that a query is near
/// real content without being any stored vector (a stored vector trivially finds itself).
pub fn sample_queries(rows: &vectors::F32Rows, n: usize, seed: u64) -> Vec<Vec<f32>> {
    if rows.is_empty() {
        return Vec::new();
    }
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        // xorshift64*: deterministic, no dependency, good enough for sampling.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D) as usize
    };
    let len = rows.len();
    (0..n)
        .map(|_| {
            let a = next() % len;
            let b = (a + 1 + next() % 8) % len;
            let c = next() % len;
            let v: Vec<f32> = rows
                .row(a)
                .iter()
                .zip(rows.row(b))
                .zip(rows.row(c))
                .map(|((x, y), z)| x + y + 0.5 * z)
                .collect();
            vectors::normalized(&v)
        })
        .collect()
}

fn link_or_copy(from: &Path, to: &Path) -> Result<(), IndexError> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(IndexError::io(parent))?;
    }
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).map_err(IndexError::io(to))?;
    }
    Ok(())
}

fn median_ms(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Converts the current generation's vector tier to `kind`, publishes it as a new
/// generation and reports recall@10 on `sample` queries. Takes the ingest lock.
pub fn convert(
    data_dir: &Path,
    kind: VectorKind,
    sample: usize,
    keep_generations: usize,
) -> Result<ConvertReport, IndexError> {
    let _lock = IngestLock::acquire(data_dir)?;
    let source = Generation::open_current(data_dir)?;
    let from = source.manifest().clone();
    let src_dir = source.dir().to_path_buf();
    let catalog = Catalog::open(data_dir)?;
    let id = fsutil::published_ids(data_dir)?
        .into_iter()
        .max()
        .unwrap_or(0)
        .max(catalog.max_generation()?)
        .max(from.generation)
        + 1;
    let gens = data_dir.join(fsutil::GENERATIONS);
    let tmp = gens.join(format!("{}.tmp", fsutil::gen_name(id)));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(IndexError::io(&tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(IndexError::io(&tmp))?;

    let started = Instant::now();
    let mut files: Vec<FileEntry> = Vec::new();
    for f in &from.files {
        if STRUCTURE_FILES.contains(&f.path.as_str()) {
            continue;
        }
        link_or_copy(&src_dir.join(&f.path), &tmp.join(&f.path))?;
        files.push(f.clone());
    }
    vectors::build_structure(&tmp, kind, &HnswParams::default(), build_threads())?;
    let build_seconds = started.elapsed().as_secs_f64();
    for name in STRUCTURE_FILES {
        let p = tmp.join(name);
        if p.exists() {
            let (sha256, bytes) = fsutil::sha256_file(&p).map_err(IndexError::io(&p))?;
            files.push(FileEntry {
                path: name.to_string(),
                bytes,
                sha256,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let now = fsutil::now_unix();
    let manifest = Manifest {
        generation: id,
        created: fsutil::rfc3339(now),
        created_unix: now,
        vector_kind: kind.to_string(),
        nic_version: nic_core::VERSION.to_string(),
        files,
        ..from.clone()
    };
    manifest.write(&tmp)?;
    fsutil::fsync_tree(&tmp)?;
    let final_dir = fsutil::gen_dir(data_dir, id);
    fsutil::move_into_place(&tmp, &final_dir)?;

    // Open it fully before it becomes current: a tier that does not open is never served.
    let converted = Generation::open(data_dir, id)?;
    let report = measure(&source, &converted, sample);
    fsutil::switch_current(data_dir, id)?;
    catalog.record_generation(&GenerationRecord {
        id,
        created_unix: now,
        model_id: manifest.model_id.clone(),
        documents: manifest.documents as u64,
        chunks: manifest.chunks as u64,
        files_failed: 0,
    })?;
    drop(source);
    prune_generations(data_dir, id, Some(from.generation), keep_generations)?;
    let vector_bytes = manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("vectors."))
        .map(|f| f.bytes)
        .sum();
    Ok(ConvertReport {
        from_generation: from.generation,
        from_kind: from.vector_kind,
        generation: id,
        kind: kind.to_string(),
        chunks: manifest.chunks,
        build_seconds,
        vector_bytes,
        disk_bytes: manifest.total_bytes(),
        recall_queries: report.0,
        recall_at_10: report.1,
        search_p50_ms: report.2,
        exact_p50_ms: report.3,
    })
}

/// (queries, recall@10, tier p50 ms, exact p50 ms) of `converted` on sampled queries.
fn measure(source: &Generation, converted: &Generation, sample: usize) -> (usize, f64, f64, f64) {
    let tier = converted.vector_tier();
    let rows = tier.rows();
    let queries = sample_queries(rows, sample, source.id());
    let recall = vectors::recall_at_k(tier, rows, &queries, 10);
    let mut tier_ms = Vec::with_capacity(queries.len());
    let mut exact_ms = Vec::with_capacity(queries.len());
    for q in &queries {
        let t = Instant::now();
        std::hint::black_box(nic_core::VectorIndex::search(tier, q, 10, None));
        tier_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        std::hint::black_box(rows.exact_top(q, 10));
        exact_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    (
        queries.len(),
        recall,
        median_ms(tier_ms),
        median_ms(exact_ms),
    )
}
