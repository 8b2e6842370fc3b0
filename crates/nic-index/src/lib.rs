//! NIC's indexes: ingest orchestration and immutable, atomically published *generations*.
//!
//! Why generations: the server must keep answering from an intact index while an ingest
//! runs, and a killed ingest (or a bad corpus) must never leave a half-written index behind.
//! So every ingest builds a complete new generation next to the served one and publishes it
//! with one atomic rename of `CURRENT`; older generations are kept for one-command rollback.
//!
//! # Data directory layout
//!
//! ```text
//! <data_dir>/
//!   CURRENT                 "gen-000007\n" — switched by write-temp + fsync + rename +
//!                           fsync(dir): the one atomic publish
//!   catalog.sqlite          roots of the last `nic ingest DIR...` (re-scanned by `nic ingest`
//!                           and /api/reload) and the publish history
//!   store.sqlite            (WAL) work store: per document (path + content hash + chunking +
//!                           model) its chunks and f32 vectors, committed per document. Makes a
//!                           killed ingest resumable and unchanged documents free. Entries the
//!                           newest generation does not use are deleted after each publish.
//!   ingest.lock             flock: one ingest (or rollback) at a time; released by the kernel
//!                           if the process dies
//!   generations/gen-000007/ immutable once published
//!     manifest.json         id, created, model_id, dim, counts, vector kind ("flat-i8",
//!                           "hnsw-f16", ... see [`vectors`]),
//!                           analyzer version, chunking, size + sha256 of every file
//!     chunks.sqlite         documents (doc, domain, title, content hash, pages, empty pages)
//!                           and chunks (ordinal, chunk_id, doc, domain, title, page, section
//!                           as JSON array, char_start, char_end, text)
//!     lexical/              tantivy BM25 index (one segment), served from mmap
//!     vectors.f32           header + count×dim f32: exact rows, for rescoring, MMR and
//!                           conversions; always present
//!     vectors.i8 | vectors.f16 | vectors.hnsw
//!                           the search structure of the vector kind (none for flat-f32)
//! ```
//!
//! A new generation is built in `generations/gen-N.tmp/`, every file and directory fsynced,
//! renamed to `gen-N`, then `CURRENT` is switched. The last `keep_generations` generations
//! are kept (always the current one and the one it replaced). Leftover `*.tmp` directories,
//! and generations renamed but never switched to, are removed by the next ingest.
//!
//! Chunk ordinals (0..chunks) are the row in the vector files, the `ordinal` fast field of
//! the lexical index and the primary key of `chunks.sqlite`. Chunk ids are stable for
//! unchanged content: `<first 12 hex of the file's sha256>-p<page>-<n>` (n counts from 1
//! within the page).

mod analyzer;
mod catalog;
mod chunkdb;
mod convert;
mod error;
mod fsutil;
mod generation;
mod ingest;
mod ingest_file;
mod lexical;
mod manifest;
mod publish;
mod report;
mod store;
pub mod synthetic;
pub mod vectors;
pub mod verify;

pub use analyzer::{analyze, query_terms, ANALYZER_VERSION};
pub use catalog::GenerationRecord;
pub use chunkdb::{DocumentRow, SectionRow};
pub use convert::{convert, sample_queries, ConvertReport};
pub use error::IndexError;
pub use generation::{
    catalog_roots, list_generations, rollback, verify_generation, Generation, GenerationInfo,
};
pub use ingest::ingest;
pub use manifest::{FileEntry, Manifest, VerifyProblem};
pub use report::{
    DocStructure, FileFailure, FileOutcome, FileWarning, IngestOptions, IngestReport,
    ProgressEvent, PublishStep,
};
pub use vectors::{
    auto_kind, normalized, quantize, recall_at_k, F32Rows, FlatIndex, HnswIndex, HnswParams,
    Layout, Scalar, VectorKind, VectorTier,
};
pub use verify::{check_sqlite, quick_check_generation, verify_databases};

/// Publish history recorded in the catalog (informational; the disk is the truth).
pub fn generation_history(data_dir: &std::path::Path) -> Result<Vec<GenerationRecord>, IndexError> {
    match catalog::Catalog::open_existing(data_dir)? {
        Some(c) => c.history(),
        None => Ok(Vec::new()),
    }
}
