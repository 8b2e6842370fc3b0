//! A published generation, opened read-only for serving.
//!
//! Opening checks the manifest (format, sizes of every file), the vector headers against the
//! file sizes, and that the three stores agree on the chunk count, so a damaged index is a
//! clear error at start-up rather than a wrong answer later. Everything large is
//! memory-mapped; what lives on the heap is the domain of each chunk (2 bytes per chunk) for
//! fast filters.

use crate::chunkdb::{ChunkDb, DocumentRow};
use crate::error::IndexError;
use crate::fsutil;
use crate::lexical::TantivyLexical;
use crate::manifest::{Manifest, VerifyProblem};
use crate::vectors::{VectorKind, VectorTier, HNSW_FILE};
use nic_core::StoredChunk;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// SQLite connections per generation: enough for the answer workers of a small box.
const READ_CONNECTIONS: usize = 4;

pub struct Generation {
    id: u64,
    dir: PathBuf,
    manifest: Manifest,
    lexical: TantivyLexical,
    vectors: VectorTier,
    chunks: ChunkDb,
    domain_of: Vec<u16>,
    domain_names: Vec<String>,
    domain_counts: Vec<usize>,
}

impl std::fmt::Debug for Generation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generation")
            .field("id", &self.id)
            .field("dir", &self.dir)
            .field("chunks", &self.manifest.chunks)
            .finish()
    }
}

impl Generation {
    /// Opens the generation `CURRENT` points to.
    pub fn open_current(data_dir: &Path) -> Result<Self, IndexError> {
        match fsutil::read_current(data_dir)? {
            Some(id) => Self::open(data_dir, id),
            None => Err(IndexError::NoGeneration {
                data_dir: data_dir.to_path_buf(),
            }),
        }
    }

    /// Opens published generation `id`.
    pub fn open(data_dir: &Path, id: u64) -> Result<Self, IndexError> {
        let dir = fsutil::gen_dir(data_dir, id);
        if !dir.is_dir() {
            return Err(IndexError::GenerationNotFound {
                data_dir: data_dir.to_path_buf(),
                id,
            });
        }
        let manifest = Manifest::read(&dir)?;
        manifest.check_sizes(&dir)?;
        let kind: VectorKind = manifest.vector_kind.parse().map_err(|e: String| {
            IndexError::corrupt(&dir.join(crate::manifest::MANIFEST_FILE), e)
        })?;
        let hnsw_sha = manifest
            .files
            .iter()
            .find(|f| f.path == HNSW_FILE)
            .map(|f| f.sha256.as_str());
        let vectors = VectorTier::open(&dir, kind, hnsw_sha)?;
        let lexical = TantivyLexical::open(&dir)?;
        let chunks = ChunkDb::open(&dir, READ_CONNECTIONS)?;
        let n = manifest.chunks;
        use nic_core::VectorIndex;
        if vectors.len() != n || lexical.num_docs() as usize != n || vectors.dim() != manifest.dim {
            return Err(IndexError::corrupt(
                &dir,
                format!(
                    "manifest says {n} chunks of {} dims, vectors hold {}×{}, lexical index {}",
                    manifest.dim,
                    vectors.len(),
                    vectors.dim(),
                    lexical.num_docs()
                ),
            ));
        }
        let mut domain_of = vec![u16::MAX; n];
        let mut domain_names: Vec<String> = Vec::new();
        let mut domain_counts: Vec<usize> = Vec::new();
        let mut overflow = false;
        chunks.chunk_domains(|ordinal, d| {
            let idx = match domain_names.iter().position(|x| x == d) {
                Some(i) => i,
                None if domain_names.len() < u16::MAX as usize => {
                    domain_names.push(d.to_string());
                    domain_counts.push(0);
                    domain_names.len() - 1
                }
                None => {
                    overflow = true;
                    return;
                }
            };
            if let Some(slot) = domain_of.get_mut(ordinal as usize) {
                *slot = idx as u16;
                domain_counts[idx] += 1;
            }
        })?;
        if overflow || domain_of.contains(&u16::MAX) {
            return Err(IndexError::corrupt(
                &dir.join(crate::chunkdb::CHUNKS_FILE),
                "chunk ordinals do not cover 0..chunks, or too many domains",
            ));
        }
        Ok(Self {
            id,
            dir,
            manifest,
            lexical,
            vectors,
            chunks,
            domain_of,
            domain_names,
            domain_counts,
        })
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Errors unless queries embedded by `model_id` are comparable with this index.
    pub fn check_model(&self, model_id: &str) -> Result<(), IndexError> {
        if self.manifest.model_id == model_id {
            Ok(())
        } else {
            Err(IndexError::ModelMismatch {
                index_model: self.manifest.model_id.clone(),
                embedder_model: model_id.to_string(),
            })
        }
    }

    pub fn lexical(&self) -> &dyn nic_core::LexicalIndex {
        &self.lexical
    }

    pub fn vectors(&self) -> &dyn nic_core::VectorIndex {
        &self.vectors
    }

    /// The vector tier itself (kind, exact rows, HNSW parameters), for tools and benchmarks.
    pub fn vector_tier(&self) -> &VectorTier {
        &self.vectors
    }

    /// BM25 idf of an analysed term (see [`crate::analyze`]); 0 when absent.
    pub fn term_idf(&self, term: &str) -> f32 {
        self.lexical.term_idf(term)
    }

    pub fn chunk(&self, ordinal: u32) -> Result<StoredChunk, IndexError> {
        self.chunks.chunk(ordinal)?.ok_or_else(|| {
            IndexError::corrupt(
                &self.dir.join(crate::chunkdb::CHUNKS_FILE),
                format!("no chunk with ordinal {ordinal}"),
            )
        })
    }

    pub fn chunk_by_id(&self, chunk_id: &str) -> Result<Option<StoredChunk>, IndexError> {
        self.chunks.chunk_by_id(chunk_id)
    }

    /// One section of a document's tree (with the end of its subtree's blocks).
    pub fn section(&self, doc: &str, id: u32) -> Result<Option<crate::SectionRow>, IndexError> {
        self.chunks.section(doc, id)
    }

    /// Every section of a document, in order.
    pub fn sections(&self, doc: &str) -> Result<Vec<crate::SectionRow>, IndexError> {
        self.chunks.sections(doc)
    }

    /// Blocks `first..end` of a document's tree.
    pub fn blocks(
        &self,
        doc: &str,
        first: u32,
        end: u32,
    ) -> Result<Vec<nic_core::Block>, IndexError> {
        self.chunks.blocks(doc, first, end)
    }

    /// What a document states about itself.
    pub fn doc_meta(&self, doc: &str) -> Result<Option<nic_core::DocMeta>, IndexError> {
        self.chunks.doc_meta(doc)
    }

    /// The chunk whose block range covers `block` of `doc` (the citable unit for it).
    pub fn chunk_covering(&self, doc: &str, block: u32) -> Result<Option<StoredChunk>, IndexError> {
        self.chunks.chunk_covering(doc, block)
    }

    pub fn domain_of(&self, ordinal: u32) -> Option<&str> {
        let i = *self.domain_of.get(ordinal as usize)?;
        self.domain_names.get(i as usize).map(String::as_str)
    }

    /// A fast predicate "chunk `ordinal` is in `domain`" (case-insensitive), for
    /// [`nic_core::VectorIndex::search`] filters; matches nothing for an unknown domain.
    pub fn domain_filter(&self, domain: &str) -> impl Fn(u32) -> bool + '_ {
        let id = self
            .domain_names
            .iter()
            .position(|d| d.eq_ignore_ascii_case(domain))
            .map(|i| i as u16);
        move |o| id.is_some() && self.domain_of.get(o as usize).copied() == id
    }

    /// Domains with their chunk counts, by name.
    pub fn domains(&self) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = self
            .domain_names
            .iter()
            .cloned()
            .zip(self.domain_counts.iter().copied())
            .collect();
        v.sort();
        v
    }

    /// The documents of this generation (read from disk; for status and tooling).
    pub fn document_list(&self) -> Result<Vec<DocumentRow>, IndexError> {
        self.chunks.documents()
    }

    pub fn documents(&self) -> usize {
        self.manifest.documents
    }

    pub fn len(&self) -> usize {
        self.manifest.chunks
    }

    pub fn is_empty(&self) -> bool {
        self.manifest.chunks == 0
    }

    pub fn disk_bytes(&self) -> u64 {
        self.manifest.total_bytes()
    }

    /// Bytes of the memory-mapped vector files (the resident upper bound of the vector tier).
    pub fn vector_mapped_bytes(&self) -> u64 {
        self.vectors.mapped_bytes()
    }

    /// Heap bytes held by this generation beyond the maps (domain table, and the HNSW
    /// library's key lookup when the tier is a graph).
    pub fn heap_bytes(&self) -> u64 {
        let hnsw = match &self.vectors {
            VectorTier::Hnsw(h) => h.heap_bytes(),
            VectorTier::Flat(_) => 0,
        };
        hnsw + (self.domain_of.len() * 2
            + self
                .domain_names
                .iter()
                .map(|d| d.len() + 24)
                .sum::<usize>()) as u64
    }
}

/// A generation on disk, as listed by [`list_generations`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerationInfo {
    pub id: u64,
    pub current: bool,
    pub dir: PathBuf,
    /// `None` when the manifest cannot be read (then `error` says why).
    pub manifest: Option<Manifest>,
    pub error: Option<String>,
}

/// Every published generation on disk, oldest first, with the current one flagged.
pub fn list_generations(data_dir: &Path) -> Result<Vec<GenerationInfo>, IndexError> {
    let current = fsutil::read_current(data_dir).ok().flatten();
    fsutil::published_ids(data_dir)?
        .into_iter()
        .map(|id| {
            let dir = fsutil::gen_dir(data_dir, id);
            let (manifest, error) = match Manifest::read(&dir) {
                Ok(m) => (Some(m), None),
                Err(e) => (None, Some(e.to_string())),
            };
            Ok(GenerationInfo {
                id,
                current: current == Some(id),
                dir,
                manifest,
                error,
            })
        })
        .collect()
}

/// Recomputes the checksums of generation `id` (the current one when `None`) against its
/// manifest; an empty list means intact (`nic index verify`).
pub fn verify_generation(
    data_dir: &Path,
    id: Option<u64>,
) -> Result<(u64, Vec<VerifyProblem>), IndexError> {
    let id = match id {
        Some(id) => id,
        None => fsutil::read_current(data_dir)?.ok_or_else(|| IndexError::NoGeneration {
            data_dir: data_dir.to_path_buf(),
        })?,
    };
    let dir = fsutil::gen_dir(data_dir, id);
    if !dir.is_dir() {
        return Err(IndexError::GenerationNotFound {
            data_dir: data_dir.to_path_buf(),
            id,
        });
    }
    Ok((id, crate::manifest::verify_dir(&dir)?))
}

/// Switches `CURRENT` to generation `to`, or to the newest generation older than the
/// current one (`nic index rollback`). The target must open cleanly first. Takes the ingest
/// lock so it never races a publish. Returns the generation now current.
pub fn rollback(data_dir: &Path, to: Option<u64>) -> Result<u64, IndexError> {
    let _lock = fsutil::IngestLock::acquire(data_dir)?;
    let current = fsutil::read_current(data_dir).ok().flatten();
    let target = match to {
        Some(id) => id,
        None => {
            let ids = fsutil::published_ids(data_dir)?;
            ids.into_iter()
                .rev()
                .find(|id| current.is_none_or(|c| *id < c))
                .ok_or_else(|| IndexError::NoOlderGeneration {
                    data_dir: data_dir.to_path_buf(),
                })?
        }
    };
    Generation::open(data_dir, target)?;
    fsutil::switch_current(data_dir, target)?;
    Ok(target)
}

/// The corpus roots remembered by the last `nic ingest DIR...` (empty when none).
pub fn catalog_roots(data_dir: &Path) -> Result<Vec<PathBuf>, IndexError> {
    match crate::catalog::Catalog::open_existing(data_dir)? {
        Some(c) => c.roots(),
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn generation_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<super::Generation>();
    }
}
