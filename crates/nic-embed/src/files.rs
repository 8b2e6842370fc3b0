//! The files of a sentence-transformers model directory, and the model's identity.
//!
//! Why a separate module: [`LazyEmbedder`](crate::LazyEmbedder) must validate a model
//! directory and compute its identity at start-up *without* loading 90 MB of weights, and the
//! index crate must be able to compute the identity of a directory to compare it with the one
//! recorded in an index generation. Everything here is cheap (a few small JSON files plus
//! 2 MiB of the weights file).
//!
//! Only these files are read: `config.json`, `tokenizer.json`, `model.safetensors`,
//! `1_Pooling/config.json` and, if present, `sentence_bert_config.json` (for
//! `max_seq_length`). Nothing is ever downloaded.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use nic_core::EmbedError;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Backend tag recorded in the model identity: vectors from different backends (or
/// precisions) are not interchangeable, so they must never share an index.
pub const BACKEND_TAG: &str = "candle-f32";

/// sentence-transformers' default `max_seq_length` for all-MiniLM-L6-v2, used when
/// `sentence_bert_config.json` is absent.
pub const DEFAULT_MAX_SEQ_LEN: usize = 256;

const EDGE_BYTES: u64 = 1 << 20;

/// Paths of the files the embedder reads, resolved against one directory.
#[derive(Debug, Clone)]
pub(crate) struct ModelFiles {
    pub config: PathBuf,
    pub tokenizer: PathBuf,
    pub weights: PathBuf,
    pub pooling: PathBuf,
    pub sbert_config: PathBuf,
}

/// The subset of `config.json` needed before the weights are loaded.
#[derive(Debug, Deserialize)]
struct ConfigHead {
    hidden_size: usize,
    #[serde(default = "default_max_positions")]
    max_position_embeddings: usize,
}

fn default_max_positions() -> usize {
    512
}

#[derive(Debug, Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

#[derive(Debug, Deserialize)]
struct SbertConfig {
    max_seq_length: Option<usize>,
}

/// Builds the "model not usable" error for `path`.
pub(crate) fn model_err(path: &Path, reason: impl Into<String>) -> EmbedError {
    EmbedError::Model {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

impl ModelFiles {
    /// Resolves the file paths and checks that the directory and the required files exist.
    pub fn locate(dir: &Path) -> Result<Self, EmbedError> {
        if !dir.is_dir() {
            let reason = if dir.exists() {
                "not a directory"
            } else {
                "directory does not exist"
            };
            return Err(model_err(dir, reason));
        }
        let files = ModelFiles {
            config: dir.join("config.json"),
            tokenizer: dir.join("tokenizer.json"),
            weights: dir.join("model.safetensors"),
            pooling: dir.join("1_Pooling").join("config.json"),
            sbert_config: dir.join("sentence_bert_config.json"),
        };
        for p in [
            &files.config,
            &files.tokenizer,
            &files.weights,
            &files.pooling,
        ] {
            if !p.is_file() {
                return Err(model_err(p, "required model file is missing"));
            }
        }
        Ok(files)
    }

    /// Reads a whole (small) file, mapping I/O errors to a model error naming it.
    pub(crate) fn read(&self, path: &Path) -> Result<Vec<u8>, EmbedError> {
        std::fs::read(path).map_err(|e| model_err(path, format!("cannot read: {e}")))
    }

    /// `hidden_size` (the embedding dimension) and `max_position_embeddings` from
    /// `config.json`.
    pub fn dims(&self) -> Result<(usize, usize), EmbedError> {
        let head: ConfigHead = serde_json::from_slice(&self.read(&self.config)?)
            .map_err(|e| model_err(&self.config, format!("invalid config.json: {e}")))?;
        if head.hidden_size == 0 {
            return Err(model_err(&self.config, "hidden_size is 0"));
        }
        Ok((head.hidden_size, head.max_position_embeddings))
    }

    /// Checks that the pooling config asks for mean pooling and nothing else: other
    /// poolings would silently give different (incompatible) vectors.
    pub fn require_mean_pooling(&self) -> Result<(), EmbedError> {
        let p: PoolingConfig = serde_json::from_slice(&self.read(&self.pooling)?)
            .map_err(|e| model_err(&self.pooling, format!("invalid pooling config: {e}")))?;
        let others = p.pooling_mode_cls_token
            || p.pooling_mode_max_tokens
            || p.pooling_mode_mean_sqrt_len_tokens;
        if !p.pooling_mode_mean_tokens || others {
            return Err(model_err(
                &self.pooling,
                "only mean pooling (pooling_mode_mean_tokens alone) is supported",
            ));
        }
        Ok(())
    }

    /// Maximum tokens per input (special tokens included): sentence-transformers'
    /// `max_seq_length` when `sentence_bert_config.json` gives one, else 256; never more than
    /// the model's position embeddings.
    pub fn max_seq_len(&self, max_positions: usize) -> Result<usize, EmbedError> {
        let configured = if self.sbert_config.is_file() {
            let c: SbertConfig =
                serde_json::from_slice(&self.read(&self.sbert_config)?).map_err(|e| {
                    model_err(
                        &self.sbert_config,
                        format!("invalid sentence_bert_config.json: {e}"),
                    )
                })?;
            c.max_seq_length.unwrap_or(DEFAULT_MAX_SEQ_LEN)
        } else {
            DEFAULT_MAX_SEQ_LEN
        };
        Ok(configured.clamp(2, max_positions.max(2)))
    }

    /// Size of `model.safetensors` in bytes.
    pub fn weight_bytes(&self) -> Result<u64, EmbedError> {
        std::fs::metadata(&self.weights)
            .map(|m| m.len())
            .map_err(|e| model_err(&self.weights, format!("cannot stat: {e}")))
    }
}

/// Cheap identity of the model in `dir`, e.g. `all-MiniLM-L6-v2/candle-f32/3f0c9a1b2d4e5f60`.
///
/// It is recorded in every index generation; an index built with another identity must not be
/// queried with this model. Hashing all 90 MB would cost ~0.3 s at every start, so the hash
/// covers `config.json`, `tokenizer.json`, the pooling and sentence-bert configs, the weights'
/// size and their first and last MiB — enough to tell any two real models (or a truncated
/// download) apart. The directory's name is kept in clear for humans reading error messages.
pub fn model_identity(dir: &Path) -> Result<String, EmbedError> {
    let files = ModelFiles::locate(dir)?;
    let mut h = Sha256::new();
    for (tag, path) in [
        ("config", &files.config),
        ("tokenizer", &files.tokenizer),
        ("pooling", &files.pooling),
    ] {
        hash_part(&mut h, tag, &files.read(path)?);
    }
    if files.sbert_config.is_file() {
        hash_part(&mut h, "sbert", &files.read(&files.sbert_config)?);
    }
    hash_weight_edges(&mut h, &files.weights)?;
    let digest = hex::encode(h.finalize());
    Ok(format!("{}/{BACKEND_TAG}/{}", dir_name(dir), &digest[..16]))
}

fn hash_part(h: &mut Sha256, tag: &str, bytes: &[u8]) {
    h.update(tag.as_bytes());
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

fn hash_weight_edges(h: &mut Sha256, path: &Path) -> Result<(), EmbedError> {
    let io = |e: std::io::Error| model_err(path, format!("cannot read: {e}"));
    let mut f = File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    h.update(b"weights");
    h.update(len.to_le_bytes());
    let mut buf = Vec::with_capacity(EDGE_BYTES as usize);
    (&mut f)
        .take(EDGE_BYTES)
        .read_to_end(&mut buf)
        .map_err(io)?;
    h.update(&buf);
    buf.clear();
    f.seek(SeekFrom::Start(len.saturating_sub(EDGE_BYTES)))
        .map_err(io)?;
    f.take(EDGE_BYTES).read_to_end(&mut buf).map_err(io)?;
    h.update(&buf);
    Ok(())
}

/// The directory's own name (after resolving `.` and symlinks when possible).
fn dir_name(dir: &Path) -> String {
    let resolved = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    resolved
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".to_string())
}
