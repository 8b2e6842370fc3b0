//! Local sentence embeddings for NIC.
//!
//! NIC must run offline, so the embedder reads a sentence-transformers model directory
//! (`make model` puts all-MiniLM-L6-v2 in `models/all-MiniLM-L6-v2`) and nothing else: no hub
//! downloads, no Python. The backend is candle (pure Rust, f32 on CPU, no MKL), chosen so the
//! build needs no native libraries; it reproduces sentence-transformers' vectors (mean pooling
//! over the attention mask, L2-normalised).
//!
//! * [`CandleEmbedder`] loads everything at once; [`LazyEmbedder`] validates the directory and
//!   computes the identity eagerly but loads the weights on first `embed` (what the server and
//!   CLI should use).
//! * [`model_identity`] is recorded in every index generation so vectors of different models
//!   or backends never mix.
//! * [`set_threads`] caps the number of CPU threads (see [`threads`] for how candle threads).

mod candle;
mod files;
mod lazy;
pub mod threads;

pub use crate::candle::{CandleEmbedder, MAX_FORWARD_BATCH};
pub use crate::files::{model_identity, BACKEND_TAG, DEFAULT_MAX_SEQ_LEN};
pub use crate::lazy::LazyEmbedder;
pub use crate::threads::set_threads;
pub use nic_core::{EmbedError, Embedder};

use std::path::Path;

/// Loads the model in `dir` eagerly. Equivalent to [`CandleEmbedder::load`].
pub fn load(dir: &Path) -> Result<CandleEmbedder, EmbedError> {
    CandleEmbedder::load(dir)
}
