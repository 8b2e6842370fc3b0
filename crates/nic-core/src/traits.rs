//! The seams between pipeline stages (DESIGN §7).
//!
//! Fusion, gating, audit and the API only see these traits, so an OpenSearch lexical index,
//! a Qdrant vector index or a remote embedder can slot in without touching them.

use crate::types::ScoredOrdinal;

/// Errors from an embedding backend.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(
        "embedding model not usable at {path}: {reason}. Run `make model` (or set EMBEDDING_MODEL to a sentence-transformers model directory)"
    )]
    Model { path: String, reason: String },
    #[error("embedding failed: {0}")]
    Inference(String),
}

/// Turns text into unit-length vectors. Implementations must be deterministic for a given
/// model identity: vectors from different `model_id`s never mix in one index.
pub trait Embedder: Send + Sync {
    /// Identity recorded in every index generation, e.g. `all-MiniLM-L6-v2/candle-f32/53aa5117`.
    fn model_id(&self) -> &str;
    fn dim(&self) -> usize;
    /// Embeds a batch; returns one L2-normalised vector per input, in order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
    /// Token count of `text` with the model's tokenizer (no truncation), used as an estimate
    /// for chunk sizes and LLM prompt budgets.
    fn count_tokens(&self, text: &str) -> usize;
}

/// BM25-style lexical retrieval over chunk ordinals.
pub trait LexicalIndex: Send + Sync {
    /// Top `k` chunks for `query`, optionally restricted to a domain. Scores are raw BM25.
    fn search(
        &self,
        query: &str,
        k: usize,
        domain: Option<&str>,
    ) -> Result<Vec<ScoredOrdinal>, String>;
}

/// Nearest-neighbour retrieval over unit vectors; scores are cosine similarities.
pub trait VectorIndex: Send + Sync {
    fn dim(&self) -> usize;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Top `k` ordinals by cosine similarity, restricted to ordinals accepted by `filter`.
    fn search(
        &self,
        query: &[f32],
        k: usize,
        filter: Option<&dyn Fn(u32) -> bool>,
    ) -> Vec<ScoredOrdinal>;
    /// The stored (full-precision when available) vector of an ordinal, for MMR.
    fn vector(&self, ordinal: u32) -> Option<Vec<f32>>;
}
