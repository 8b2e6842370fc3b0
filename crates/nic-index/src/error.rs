//! Errors of the index layer. Each message says what the operator should do next, because
//! these reach a terminal (`nic ingest`, `nic serve` start-up) without further wrapping.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("no published index in {data_dir}: run `nic ingest DIR` first (or set NOVA_DATA_DIR to the data directory you ingested into)")]
    NoGeneration { data_dir: PathBuf },

    #[error("index generation {id} does not exist in {data_dir}; `nic index stats` lists the generations on disk")]
    GenerationNotFound { data_dir: PathBuf, id: u64 },

    #[error("index file {path} is damaged: {reason}. Run `nic index verify`, switch back with `nic index rollback`, or re-ingest with `nic ingest --rebuild`")]
    Corrupt { path: PathBuf, reason: String },

    #[error("the index was built with embedding model `{index_model}` but the configured model is `{embedder_model}`; vectors of different models cannot be compared. Re-ingest with `nic ingest --rebuild`, or set EMBEDDING_MODEL to the model the index was built with")]
    ModelMismatch {
        index_model: String,
        embedder_model: String,
    },

    #[error("no older generation to roll back to in {data_dir} (NOVA_KEEP_GENERATIONS controls how many are kept)")]
    NoOlderGeneration { data_dir: PathBuf },

    #[error(
        "another ingest is running in {data_dir} (lock held on {lock}); wait for it to finish"
    )]
    Locked { data_dir: PathBuf, lock: PathBuf },

    #[error("{name}: {reason}")]
    Config { name: String, reason: String },

    #[error("building the vector index {path} failed: {reason}")]
    VectorBuild { path: PathBuf, reason: String },

    #[error("no corpus directory to ingest: give one, e.g. `nic ingest manuals/` (later runs remember it)")]
    NoRoots,

    #[error("embedding failed: {0}")]
    Embed(#[from] nic_core::EmbedError),

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error("lexical index {path}: {reason}")]
    Lexical { path: PathBuf, reason: String },
}

impl IndexError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
        move |source| IndexError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn sql(path: &Path) -> impl FnOnce(rusqlite::Error) -> IndexError + '_ {
        move |source| IndexError::Sqlite {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn lexical(path: &Path) -> impl FnOnce(tantivy::TantivyError) -> IndexError + '_ {
        move |e| IndexError::Lexical {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    }

    pub(crate) fn corrupt(path: &Path, reason: impl Into<String>) -> IndexError {
        IndexError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
