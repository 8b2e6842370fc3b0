//! The vocabulary of an ingest run: options, progress events and the final report
//! (serialisable, so `nic ingest --json` and `/api/reload` can return it as is).

use nic_ingest::{ChunkOptions, ExtractOptions};
use serde::Serialize;
use std::path::PathBuf;

/// What to ingest and how.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Corpus directories; empty = the roots remembered in the catalog. Non-empty replaces
    /// the remembered list.
    pub roots: Vec<PathBuf>,
    /// Texts per `Embedder::embed` call (`NOVA_BATCH_SIZE`).
    pub batch_size: usize,
    pub extract: ExtractOptions,
    pub chunk: ChunkOptions,
    /// Published generations kept on disk (`NOVA_KEEP_GENERATIONS`), at least 1.
    pub keep_generations: usize,
    /// Vector tier to publish: `auto` or a kind such as `hnsw-f16` (`NOVA_VECTOR_INDEX`).
    pub vector_index: String,
    /// Chunk count from which `auto` builds HNSW (`NOVA_HNSW_MIN_CHUNKS`, 0 = never).
    pub hnsw_min_chunks: usize,
    /// Forget the work store and re-extract and re-embed everything; publish even when
    /// nothing changed (`nic ingest --rebuild`).
    pub rebuild: bool,
}

impl IngestOptions {
    /// Options from the effective configuration (`NOVA_BATCH_SIZE`, `NOVA_PDF_TIMEOUT_S`,
    /// `NOVA_MAX_FILE_MB`, `NOVA_KEEP_GENERATIONS`, `NOVA_VECTOR_INDEX`,
    /// `NOVA_HNSW_MIN_CHUNKS`) with the default chunk sizes.
    pub fn from_config(cfg: &nic_core::NicConfig, roots: Vec<PathBuf>) -> Self {
        Self {
            roots,
            batch_size: cfg.batch_size,
            extract: ExtractOptions::from_config(cfg),
            chunk: ChunkOptions::default(),
            keep_generations: cfg.keep_generations,
            vector_index: cfg.vector_index.clone(),
            hnsw_min_chunks: cfg.hnsw_min_chunks,
            rebuild: false,
        }
    }
}

/// Publishing stages, reported as they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishStep {
    /// Streaming chunks and vectors into the new generation's files.
    Writing,
    /// Committing and merging the lexical index.
    Lexical,
    /// Building the vector search structure (an HNSW graph takes minutes at 1M chunks).
    Vectors,
    /// Checksumming files into the manifest and fsyncing.
    Checksums,
    /// Renaming `gen-N.tmp` to `gen-N`.
    Rename,
    /// Switching `CURRENT` (the publish).
    Switch,
    /// Removing old generations and unreferenced work-store entries.
    Cleanup,
}

/// How one file went.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileOutcome {
    /// Found in the work store (unchanged content): not re-extracted.
    Reused {
        chunks: u32,
    },
    /// Extracted, chunked and embedded in this run.
    Extracted {
        chunks: u32,
        structure: nic_core::StructureCounts,
    },
    Failed {
        reason: String,
    },
}

/// Progress, delivered synchronously to the caller's callback (a progress bar, a log).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProgressEvent {
    Scanned {
        files: usize,
        errors: usize,
    },
    FileStarted {
        index: usize,
        total: usize,
        doc: String,
    },
    /// After each embedding batch of the current file.
    Embedded {
        doc: String,
        done: usize,
        total: usize,
    },
    FileDone {
        index: usize,
        total: usize,
        doc: String,
        outcome: FileOutcome,
    },
    Publishing {
        step: PublishStep,
    },
    Published {
        generation: u64,
    },
    /// Nothing to publish (no change, or nothing could be ingested).
    NotPublished {
        reason: String,
    },
}

/// A file that could not be ingested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileFailure {
    pub path: String,
    pub reason: String,
}

/// A non-fatal note about a file (pages without text, extractor fallbacks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileWarning {
    pub path: String,
    pub message: String,
}

/// How a document parsed in this run was understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocStructure {
    pub doc: String,
    #[serde(flatten)]
    pub counts: nic_core::StructureCounts,
}

/// The summary of one ingest. `files_new/changed/unchanged` classify the scanned files
/// against the generation that was current when the run started (failed files are counted
/// there too); `documents/pages/chunks` describe the resulting generation (or what would
/// have been published).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestReport {
    pub roots: Vec<String>,
    pub files_total: usize,
    pub files_new: usize,
    pub files_changed: usize,
    pub files_unchanged: usize,
    pub files_deleted: usize,
    /// Files extracted and embedded in this run (the rest came from the work store).
    pub files_extracted: usize,
    pub files_reused: usize,
    pub failed: Vec<FileFailure>,
    pub warnings: Vec<FileWarning>,
    /// Sections, tables, procedures and warnings of each document parsed in this run.
    pub structure: Vec<DocStructure>,
    pub documents: usize,
    pub pages: u64,
    pub empty_pages: u64,
    pub chunks: usize,
    pub chunks_embedded: usize,
    pub model_id: String,
    pub previous_generation: Option<u64>,
    /// The generation serving after this run (new if published, else the previous one).
    pub generation: Option<u64>,
    pub published: bool,
    /// One line for humans: what happened and why.
    pub message: String,
    pub elapsed_s: f64,
    /// `VmHWM` of this process at the end of the run.
    pub peak_rss_bytes: u64,
}

impl IngestReport {
    /// Whether the CLI should exit non-zero: nothing could be ingested at all (no usable
    /// document) — an unchanged corpus or some failed files are not errors.
    pub fn nothing_ingested(&self) -> bool {
        self.documents == 0
    }
}
