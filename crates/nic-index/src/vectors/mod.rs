//! The vector tier of a generation: one exact f32 copy plus one search structure.
//!
//! Every generation keeps `vectors.f32` (unit vectors, memory-mapped). It is the lossless
//! source for conversions (`nic index convert` never re-embeds), the rescoring stage that
//! makes every tier's scores exact cosines, and the store MMR reads. Only the rows of the
//! final candidates are touched while serving, so it costs disk, not RAM.
//!
//! The search structure is chosen per generation and recorded as the manifest's
//! `vector_kind`, `<layout>-<scalar>`:
//!
//! | kind | file | search |
//! |---|---|---|
//! | `flat-f32` | – | exact scan of `vectors.f32` |
//! | `flat-f16` | `vectors.f16` | exact f16 scan, top candidates rescored from f32 |
//! | `flat-i8` | `vectors.i8` | exact int8 scan, top candidates rescored from f32 |
//! | `hnsw-f32`, `hnsw-f16`, `hnsw-i8` | `vectors.hnsw` | usearch HNSW graph (memory-mapped `view`), top candidates rescored from f32 |
//!
//! Why flat below a threshold and HNSW above it (`nic bench scale`, 1M synthetic 384-dim
//! chunks, 2 cores): a flat-i8 scan is exact, costs nothing to build and takes ~0.07 µs per
//! chunk (70 ms p50 at 1M, so ~14 ms at 200k — half of a 30 ms answer budget next to ~10 ms
//! of query embedding); HNSW answers in ~3 ms at 1M (ef 512, recall@10 0.97) but its graph
//! takes ~17 minutes to build at 1M (~3 at 200k). `NOVA_HNSW_MIN_CHUNKS` (200,000) is where
//! the scan stops being cheap enough to spare the build. Why f16 for the default HNSW:
//! usearch's own i8 scales by 127/‖x‖, which caps its raw recall; with the ef candidates
//! rescored from f32 both measured the same here (0.965 vs 0.967 at ef 512), and f16 has the
//! margin on data whose components are less evenly spread.
//!
//! File formats (little endian), each starting with a 32-byte header
//! `magic[8] | version u32 | dim u32 | count u64 | reserved u64`:
//! - `vectors.f32`: header, `count*dim` f32.
//! - `vectors.f16`: header, `count*dim` IEEE half floats.
//! - `vectors.i8`: header, `count*dim` i8, then `count` f32 scales (scale = max|x|/127).
//! - `vectors.hnsw`: usearch's own format (inner product; keys are chunk ordinals).
//!
//! Sizes are validated against the header on open: a truncated file is a clear
//! [`IndexError::Corrupt`], never an out-of-bounds read.

mod flat;
mod hnsw;
mod kernels;
mod kind;
mod rows;

pub use flat::FlatIndex;
pub use hnsw::{HnswIndex, HnswParams};
pub use kind::{Layout, Scalar, VectorKind};
pub(crate) use rows::F32Writer;
pub use rows::{normalized, quantize, F32Rows};

use crate::error::IndexError;
use nic_core::ScoredOrdinal;
use std::cmp::Ordering;
use std::path::Path;

pub const F32_FILE: &str = "vectors.f32";
pub const F16_FILE: &str = "vectors.f16";
pub const I8_FILE: &str = "vectors.i8";
pub const HNSW_FILE: &str = "vectors.hnsw";
/// Files that belong to a search structure (rebuilt by a conversion); `vectors.f32` and
/// everything else in a generation is carried over unchanged.
pub const STRUCTURE_FILES: [&str; 3] = [F16_FILE, I8_FILE, HNSW_FILE];

/// Candidates kept from an approximate stage for exact rescoring: `max(MIN_RESCORE, 5k)`.
pub(crate) const MIN_RESCORE: usize = 50;

pub(crate) fn rescore_pool(k: usize, count: usize) -> usize {
    MIN_RESCORE.max(k.saturating_mul(5)).min(count)
}

/// A candidate ordered by score (total order, NaN-safe); `BinaryHeap<Cand>` pops the worst.
#[derive(PartialEq)]
pub(crate) struct Cand(pub f32, pub u32);
impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Cand {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(other.1.cmp(&self.1))
    }
}

/// Keeps the best `keep` candidates of a stream.
pub(crate) struct TopK {
    heap: std::collections::BinaryHeap<Cand>,
    keep: usize,
}

impl TopK {
    pub fn new(keep: usize) -> Self {
        Self {
            heap: std::collections::BinaryHeap::with_capacity(keep + 1),
            keep,
        }
    }

    #[inline]
    pub fn push(&mut self, score: f32, ordinal: u32) {
        if self.heap.len() < self.keep {
            self.heap.push(Cand(score, ordinal));
        } else if self.heap.peek().is_some_and(|w| score > w.0) {
            self.heap.pop();
            self.heap.push(Cand(score, ordinal));
        }
    }

    pub fn ordinals(self) -> impl Iterator<Item = u32> {
        self.heap.into_iter().map(|c| c.1)
    }

    /// Best first, ties by ordinal.
    pub fn into_sorted(self) -> Vec<ScoredOrdinal> {
        let mut out: Vec<ScoredOrdinal> = self
            .heap
            .into_iter()
            .map(|Cand(score, ordinal)| ScoredOrdinal { ordinal, score })
            .collect();
        sort_best_first(&mut out);
        out
    }
}

pub(crate) fn sort_best_first(v: &mut [ScoredOrdinal]) {
    v.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.ordinal.cmp(&b.ordinal)));
}

/// Rescores `candidates` exactly from the f32 rows and keeps the best `k`.
pub(crate) fn rescore(
    rows: &F32Rows,
    q: &[f32],
    candidates: impl Iterator<Item = u32>,
    k: usize,
) -> Vec<ScoredOrdinal> {
    let mut out: Vec<ScoredOrdinal> = candidates
        .filter(|&o| (o as usize) < rows.len())
        .map(|o| ScoredOrdinal {
            ordinal: o,
            score: rows.dot(o as usize, q),
        })
        .collect();
    sort_best_first(&mut out);
    out.dedup_by_key(|s| s.ordinal);
    out.truncate(k);
    out
}

/// The opened vector tier of a generation.
pub enum VectorTier {
    Flat(FlatIndex),
    Hnsw(HnswIndex),
}

impl VectorTier {
    /// Opens the tier of `kind` in `dir`. `hnsw_sha256` is the manifest's checksum of
    /// `vectors.hnsw`: the graph is read by C++ without bounds checks, so it is verified
    /// before it is mapped (a flipped neighbour id must be an error, not a crash).
    pub fn open(
        dir: &Path,
        kind: VectorKind,
        hnsw_sha256: Option<&str>,
    ) -> Result<Self, IndexError> {
        let rows = F32Rows::open(&dir.join(F32_FILE))?;
        Ok(match kind.layout {
            Layout::Flat => VectorTier::Flat(FlatIndex::open(dir, kind.scalar, rows)?),
            Layout::Hnsw => VectorTier::Hnsw(HnswIndex::open(dir, kind.scalar, rows, hnsw_sha256)?),
        })
    }

    pub fn kind(&self) -> VectorKind {
        match self {
            VectorTier::Flat(f) => f.kind(),
            VectorTier::Hnsw(h) => h.kind(),
        }
    }

    /// Bytes of the memory-mapped files (what could become resident).
    pub fn mapped_bytes(&self) -> u64 {
        match self {
            VectorTier::Flat(f) => f.mapped_bytes(),
            VectorTier::Hnsw(h) => h.mapped_bytes(),
        }
    }

    /// The exact f32 rows every tier keeps.
    pub fn rows(&self) -> &F32Rows {
        match self {
            VectorTier::Flat(f) => f.rows(),
            VectorTier::Hnsw(h) => h.rows(),
        }
    }

    fn inner(&self) -> &dyn nic_core::VectorIndex {
        match self {
            VectorTier::Flat(f) => f,
            VectorTier::Hnsw(h) => h,
        }
    }
}

impl nic_core::VectorIndex for VectorTier {
    fn dim(&self) -> usize {
        self.inner().dim()
    }
    fn len(&self) -> usize {
        self.inner().len()
    }
    fn search(
        &self,
        query: &[f32],
        k: usize,
        filter: Option<&dyn Fn(u32) -> bool>,
    ) -> Vec<ScoredOrdinal> {
        self.inner().search(query, k, filter)
    }
    fn vector(&self, ordinal: u32) -> Option<Vec<f32>> {
        self.inner().vector(ordinal)
    }
}

/// Builds the search structure of `kind` in `dir` from its `vectors.f32` (nothing to do for
/// `flat-f32`). `threads` bounds the HNSW build's parallelism.
pub(crate) fn build_structure(
    dir: &Path,
    kind: VectorKind,
    hnsw: &HnswParams,
    threads: usize,
) -> Result<(), IndexError> {
    let rows = F32Rows::open(&dir.join(F32_FILE))?;
    match (kind.layout, kind.scalar) {
        (Layout::Flat, Scalar::F32) => Ok(()),
        (Layout::Flat, Scalar::F16) => flat::write_f16(&dir.join(F16_FILE), &rows),
        (Layout::Flat, Scalar::I8) => flat::write_i8(&dir.join(I8_FILE), &rows),
        (Layout::Hnsw, scalar) => hnsw::build(&dir.join(HNSW_FILE), &rows, scalar, hnsw, threads),
    }
}

/// The kind `auto` resolves to for `chunks` chunks: `hnsw-f16` from `hnsw_min_chunks` on
/// (0 = never), `flat-i8` below.
pub fn auto_kind(chunks: usize, hnsw_min_chunks: usize) -> VectorKind {
    if hnsw_min_chunks > 0 && chunks >= hnsw_min_chunks {
        VectorKind::new(Layout::Hnsw, Scalar::F16)
    } else {
        VectorKind::new(Layout::Flat, Scalar::I8)
    }
}

/// recall@k of `tier` against exact f32 search over the same rows, averaged over `queries`.
pub fn recall_at_k(
    tier: &dyn nic_core::VectorIndex,
    rows: &F32Rows,
    queries: &[Vec<f32>],
    k: usize,
) -> f64 {
    if queries.is_empty() || k == 0 {
        return 0.0;
    }
    let mut hit = 0usize;
    let mut total = 0usize;
    for q in queries {
        let exact = rows.exact_top(q, k);
        let got: std::collections::HashSet<u32> =
            tier.search(q, k, None).iter().map(|s| s.ordinal).collect();
        total += exact.len();
        hit += exact.iter().filter(|s| got.contains(&s.ordinal)).count();
    }
    if total == 0 {
        1.0
    } else {
        hit as f64 / total as f64
    }
}
