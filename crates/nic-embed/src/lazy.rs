//! An embedder that validates the model at start-up but loads the weights on first use.
//!
//! Why: `nic search --lexical`, `/health`, `nic config` and a server that has not yet received
//! a question should not pay ~90 MB of RSS and the load time. What *is* done eagerly is
//! everything that can be wrong with the directory cheaply — files present, config and pooling
//! valid, tokenizer parses — plus the model identity and dimension, which the index needs to
//! check compatibility before any query arrives. The tokenizer is loaded eagerly too, so
//! `count_tokens` (used heavily by the chunker) never triggers the weight load.
//!
//! Load errors are **not cached**: each `embed` call retries the load until one succeeds, so
//! an operator who fixes the model directory (`make model`) does not have to restart the
//! server. Once loaded, the model stays loaded for the life of the value.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use nic_core::{EmbedError, Embedder};
use tokenizers::Tokenizer;

use crate::candle::{count_with, load_tokenizers, CandleEmbedder};
use crate::files::{model_identity, ModelFiles};

/// Lazily loading [`CandleEmbedder`]; see the module docs.
pub struct LazyEmbedder {
    dir: PathBuf,
    model_id: String,
    dim: usize,
    weight_bytes: u64,
    counter: Tokenizer,
    inner: OnceLock<CandleEmbedder>,
    /// Serialises loads so concurrent first callers load the weights once.
    loading: Mutex<()>,
}

impl std::fmt::Debug for LazyEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyEmbedder")
            .field("dir", &self.dir)
            .field("model_id", &self.model_id)
            .field("dim", &self.dim)
            .field("loaded", &self.is_loaded())
            .finish_non_exhaustive()
    }
}

impl LazyEmbedder {
    /// Validates `dir` and computes identity and dimension without loading the weights.
    pub fn new(dir: &Path) -> Result<Self, EmbedError> {
        let files = ModelFiles::locate(dir)?;
        files.require_mean_pooling()?;
        let (dim, max_positions) = files.dims()?;
        let max_seq_len = files.max_seq_len(max_positions)?;
        let (_, counter) = load_tokenizers(&files, max_seq_len)?;
        Ok(LazyEmbedder {
            dir: dir.to_path_buf(),
            model_id: model_identity(dir)?,
            dim,
            weight_bytes: files.weight_bytes()?,
            counter,
            inner: OnceLock::new(),
            loading: Mutex::new(()),
        })
    }

    /// The model directory this embedder reads.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the weights are in memory (for `/health` and `/debug/memory`).
    pub fn is_loaded(&self) -> bool {
        self.inner.get().is_some()
    }

    /// Size of `model.safetensors`: roughly the RSS the weights add once loaded (f32).
    pub fn weight_bytes(&self) -> u64 {
        self.weight_bytes
    }

    /// The loaded model, loading it now if needed (e.g. to warm up at start-up).
    pub fn get(&self) -> Result<&CandleEmbedder, EmbedError> {
        if let Some(m) = self.inner.get() {
            return Ok(m);
        }
        // A poisoned lock only means another loader panicked; the OnceLock is still sound.
        let _guard = self.loading.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = self.inner.get() {
            return Ok(m);
        }
        let model = CandleEmbedder::load(&self.dir)?;
        if model.model_id() != self.model_id {
            return Err(crate::files::model_err(
                &self.dir,
                format!(
                    "model files changed since start-up (identity {} is now {}); restart NIC",
                    self.model_id,
                    model.model_id()
                ),
            ));
        }
        Ok(self.inner.get_or_init(|| model))
    }
}

impl Embedder for LazyEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        self.get()?.embed(texts)
    }

    fn count_tokens(&self, text: &str) -> usize {
        count_with(&self.counter, text)
    }
}
