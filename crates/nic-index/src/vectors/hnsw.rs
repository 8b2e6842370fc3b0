//! The HNSW tier: a usearch graph over the unit vectors (inner product), served from a
//! memory-mapped `view` of `vectors.hnsw`, with the top `max(50, 5k)` graph candidates
//! rescored exactly from the f32 rows.
//!
//! Why rescoring even for f16 and f32 graphs: scores must be the same exact cosines whatever
//! the tier, because the confidence gate downstream is calibrated on them.
//!
//! usearch searches with a per-thread context and fails (rather than waits) when more
//! threads search at once than it reserved, so searches pass a gate sized to the contexts a
//! view gets (the machine's parallelism); a search beyond that waits its turn, which costs
//! nothing on a CPU-bound path.

use super::{normalized, rescore, rescore_pool, F32Rows, Layout, Scalar, VectorKind};
use crate::error::IndexError;
use nic_core::ScoredOrdinal;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

/// Graph parameters (usearch's names: connectivity = M, expansion = ef).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HnswParams {
    pub connectivity: usize,
    pub expansion_add: usize,
    pub expansion_search: usize,
}

impl Default for HnswParams {
    /// M 16 / ef_construction 128 / ef 512. Measured by `nic bench scale` on 1M clustered
    /// 384-dim chunks (hnsw-f16, candidates rescored from f32): recall@10 0.74 at ef 64,
    /// 0.87 at 128, 0.94 at 256, 0.97 at 512 for a vector search p50 of 2.7 ms — ef is the
    /// cheap knob (the graph build is the expensive one), so the default buys recall.
    fn default() -> Self {
        Self {
            connectivity: 16,
            expansion_add: 128,
            expansion_search: 512,
        }
    }
}

fn scalar_kind(s: Scalar) -> ScalarKind {
    match s {
        Scalar::F32 => ScalarKind::F32,
        Scalar::F16 => ScalarKind::F16,
        Scalar::I8 => ScalarKind::I8,
    }
}

fn options(dim: usize, scalar: Scalar, p: &HnswParams) -> IndexOptions {
    IndexOptions {
        dimensions: dim,
        metric: MetricKind::IP,
        quantization: scalar_kind(scalar),
        connectivity: p.connectivity,
        expansion_add: p.expansion_add,
        expansion_search: p.expansion_search,
        multi: false,
    }
}

fn path_str(path: &Path) -> Result<&str, IndexError> {
    path.to_str()
        .ok_or_else(|| IndexError::corrupt(path, "the HNSW library needs a UTF-8 path"))
}

/// Builds the graph from the f32 rows on `threads` threads and saves it to `path`.
/// Holds the whole graph in memory while building (about `count × (vector bytes + 2·M·4)`).
pub(crate) fn build(
    path: &Path,
    rows: &F32Rows,
    scalar: Scalar,
    p: &HnswParams,
    threads: usize,
) -> Result<(), IndexError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| IndexError::VectorBuild {
        path: path.to_path_buf(),
        reason: format!("{what}: {e}"),
    };
    let threads = threads.max(1);
    let index = Index::new(&options(rows.dim(), scalar, p)).map_err(|e| fail("creating", &e))?;
    index
        .reserve_capacity_and_threads(rows.len(), threads)
        .map_err(|e| fail("reserving", &e))?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let error: Mutex<Option<IndexError>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                // Small batches in ordinal order keep the graph's insert order close to the
                // corpus order, which is what makes the build deterministic enough to compare.
                let start = next.fetch_add(256, std::sync::atomic::Ordering::Relaxed);
                if start >= rows.len() {
                    break;
                }
                for o in start..(start + 256).min(rows.len()) {
                    if let Err(e) = index.add(o as u64, rows.row(o)) {
                        if let Ok(mut slot) = error.lock() {
                            slot.get_or_insert(fail("adding a vector", &e));
                        }
                        return;
                    }
                }
                if start % 100_000 < 256 && start > 0 {
                    tracing::info!("hnsw build: {start} of {} vectors", rows.len());
                }
            });
        }
    });
    if let Some(e) = error.into_inner().ok().flatten() {
        return Err(e);
    }
    index
        .save(path_str(path)?)
        .map_err(|e| fail("saving", &e))?;
    let file = std::fs::File::open(path).map_err(IndexError::io(path))?;
    file.sync_all().map_err(IndexError::io(path))
}

/// A counting gate: at most `slots` holders at once.
struct Gate {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Gate {
    fn new(slots: usize) -> Self {
        Self {
            free: Mutex::new(slots.max(1)),
            freed: Condvar::new(),
        }
    }

    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        {
            let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
            while *free == 0 {
                free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
            }
            *free -= 1;
        }
        struct Release<'a>(&'a Gate);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                let mut free = self.0.free.lock().unwrap_or_else(|p| p.into_inner());
                *free += 1;
                self.0.freed.notify_one();
            }
        }
        let _release = Release(self);
        f()
    }
}

pub struct HnswIndex {
    index: Index,
    rows: F32Rows,
    scalar: Scalar,
    file_bytes: u64,
    gate: Gate,
    /// The search beam (ef). Also the number of graph candidates rescored exactly: the
    /// beam holds that many candidates anyway, and rescoring a few hundred f32 rows costs
    /// well under a millisecond, while it recovers neighbours the quantized graph ranked
    /// just below the cut.
    ef: AtomicUsize,
}

impl HnswIndex {
    /// Maps `vectors.hnsw` in `dir` (after checking its sha256 when given) and checks it
    /// against the f32 rows.
    pub fn open(
        dir: &Path,
        scalar: Scalar,
        rows: F32Rows,
        sha256: Option<&str>,
    ) -> Result<Self, IndexError> {
        let path = dir.join(super::HNSW_FILE);
        let file_bytes = std::fs::metadata(&path)
            .map_err(|_| IndexError::corrupt(&path, "missing"))?
            .len();
        if let Some(want) = sha256 {
            let (got, _) = crate::fsutil::sha256_file(&path).map_err(IndexError::io(&path))?;
            if got != want {
                return Err(IndexError::corrupt(
                    &path,
                    "sha256 differs from the manifest (damaged); run `nic index verify`",
                ));
            }
        }
        let p = path_str(&path)?;
        let meta = Index::metadata(p)
            .map_err(|e| IndexError::corrupt(&path, format!("not a usearch index: {e}")))?;
        let count = rows.len() as u64;
        if meta.dimensions != rows.dim() as u64
            || meta.count_present != count
            || meta.multi
            || meta.quantization != scalar_kind(scalar)
            || meta.metric != MetricKind::IP
        {
            return Err(IndexError::corrupt(
                &path,
                format!(
                    "graph holds {}×{} ({:?}, {:?}), expected {count}×{} {} inner product",
                    meta.count_present,
                    meta.dimensions,
                    meta.quantization,
                    meta.metric,
                    rows.dim(),
                    scalar.as_str()
                ),
            ));
        }
        let index = Index::new(&options(rows.dim(), scalar, &HnswParams::default()))
            .map_err(|e| IndexError::corrupt(&path, e.to_string()))?;
        index
            .view(p)
            .map_err(|e| IndexError::corrupt(&path, format!("cannot map: {e}")))?;
        let ef = HnswParams::default().expansion_search;
        index.change_expansion_search(ef);
        let slots = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            index,
            rows,
            scalar,
            file_bytes,
            gate: Gate::new(slots),
            ef: AtomicUsize::new(ef),
        })
    }

    pub fn kind(&self) -> VectorKind {
        VectorKind::new(Layout::Hnsw, self.scalar)
    }

    pub fn rows(&self) -> &F32Rows {
        &self.rows
    }

    pub fn mapped_bytes(&self) -> u64 {
        self.file_bytes + self.rows.mapped_bytes()
    }

    /// Changes ef (the search beam); the benchmark sweeps it.
    pub fn set_expansion_search(&self, ef: usize) {
        let ef = ef.max(1);
        self.index.change_expansion_search(ef);
        self.ef.store(ef, Ordering::Relaxed);
    }

    /// The current search beam.
    pub fn expansion_search(&self) -> usize {
        self.ef.load(Ordering::Relaxed)
    }

    /// Heap the library holds for the mapped graph (key lookup, slot table).
    pub fn heap_bytes(&self) -> u64 {
        self.index.memory_usage() as u64
    }
}

impl nic_core::VectorIndex for HnswIndex {
    fn dim(&self) -> usize {
        self.rows.dim()
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn search(
        &self,
        query: &[f32],
        k: usize,
        filter: Option<&dyn Fn(u32) -> bool>,
    ) -> Vec<ScoredOrdinal> {
        if query.len() != self.rows.dim() || k == 0 || self.rows.is_empty() {
            return Vec::new();
        }
        let q = normalized(query);
        let want = rescore_pool(k, self.rows.len())
            .max(self.ef.load(Ordering::Relaxed))
            .min(self.rows.len());
        let found = self.gate.run(|| match filter {
            None => self.index.search(&q, want),
            Some(f) => self
                .index
                .filtered_search(&q, want, |key| u32::try_from(key).is_ok_and(f)),
        });
        match found {
            Ok(m) => rescore(
                &self.rows,
                &q,
                m.keys.into_iter().filter_map(|k| u32::try_from(k).ok()),
                k,
            ),
            Err(e) => {
                tracing::error!("hnsw search failed: {e}");
                Vec::new()
            }
        }
    }

    fn vector(&self, ordinal: u32) -> Option<Vec<f32>> {
        self.rows.get(ordinal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::{F32Writer, HNSW_FILE};
    use nic_core::VectorIndex;
    use rand::{Rng, SeedableRng};

    /// Clustered unit vectors (topics with noise), like real chunk embeddings.
    fn clustered(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let centers: Vec<Vec<f32>> = (0..20)
            .map(|_| (0..dim).map(|_| rng.gen_range(-1.0f32..1.0)).collect())
            .collect();
        (0..n)
            .map(|i| {
                let c = &centers[i % centers.len()];
                normalized(
                    &c.iter()
                        .map(|x| x + rng.gen_range(-0.8f32..0.8))
                        .collect::<Vec<_>>(),
                )
            })
            .collect()
    }

    fn setup(vs: &[Vec<f32>], scalar: Scalar) -> (tempfile::TempDir, HnswIndex) {
        let dir = tempfile::tempdir().unwrap();
        let mut w = F32Writer::create(dir.path(), vs[0].len()).unwrap();
        for v in vs {
            w.push(v).unwrap();
        }
        w.finish().unwrap();
        let rows = F32Rows::open(&dir.path().join(super::super::F32_FILE)).unwrap();
        build(
            &dir.path().join(HNSW_FILE),
            &rows,
            scalar,
            &HnswParams::default(),
            2,
        )
        .unwrap();
        let idx = HnswIndex::open(dir.path(), scalar, rows, None).unwrap();
        (dir, idx)
    }

    #[test]
    fn every_quantization_finds_the_exact_neighbours_with_exact_scores() {
        let vs = clustered(3000, 64, 3);
        for scalar in [Scalar::F32, Scalar::F16, Scalar::I8] {
            let (_dir, idx) = setup(&vs, scalar);
            let queries = clustered(40, 64, 99);
            let recall = crate::vectors::recall_at_k(&idx, idx.rows(), &queries, 10);
            // A wiring check (wrong keys give ~0); `nic bench scale` measures real recall.
            // Uniform noise in 64 dims is harder for a graph than real embeddings.
            assert!(recall >= 0.9, "{scalar:?}: recall@10 {recall}");
            let top = idx.search(&vs[17], 3, None);
            assert_eq!(top[0].ordinal, 17, "{scalar:?}");
            assert!((top[0].score - 1.0).abs() < 1e-5, "exact rescored cosine");
            let even = |o: u32| o % 2 == 0;
            let hits = idx.search(&vs[17], 5, Some(&even));
            assert!(!hits.is_empty() && hits.iter().all(|h| h.ordinal % 2 == 0));
            assert!(idx.search(&[1.0; 3], 5, None).is_empty(), "wrong dim");
            let back = idx.vector(5).unwrap();
            assert!(back.iter().zip(&vs[5]).all(|(a, b)| (a - b).abs() < 1e-6));
        }
    }

    #[test]
    fn concurrent_searches_beyond_the_thread_contexts_all_succeed() {
        let vs = clustered(2000, 32, 5);
        let (_dir, idx) = setup(&vs, Scalar::F16);
        std::thread::scope(|s| {
            for t in 0..8 {
                let idx = &idx;
                let vs = &vs;
                s.spawn(move || {
                    for i in 0..200 {
                        let o = (t * 200 + i) % vs.len();
                        let hits = idx.search(&vs[o], 5, None);
                        assert_eq!(hits.len(), 5);
                    }
                });
            }
        });
    }

    #[test]
    fn damaged_graph_is_refused_before_mapping() {
        let vs = clustered(500, 16, 8);
        let (dir, idx) = setup(&vs, Scalar::F16);
        drop(idx);
        let path = dir.path().join(HNSW_FILE);
        let (sha, _) = crate::fsutil::sha256_file(&path).unwrap();
        let rows = || F32Rows::open(&dir.path().join(super::super::F32_FILE)).unwrap();
        assert!(HnswIndex::open(dir.path(), Scalar::F16, rows(), Some(&sha)).is_ok());
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        let err = HnswIndex::open(dir.path(), Scalar::F16, rows(), Some(&sha))
            .err()
            .unwrap();
        assert!(err.to_string().contains("sha256"), "{err}");
        // Wrong scalar kind or a foreign file: clear errors, not crashes.
        std::fs::write(&path, b"garbage").unwrap();
        assert!(HnswIndex::open(dir.path(), Scalar::F16, rows(), None).is_err());
    }
}
