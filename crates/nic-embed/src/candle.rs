//! The candle (pure-Rust, f32, CPU) sentence embedder.
//!
//! It reproduces sentence-transformers' `all-MiniLM-L6-v2` pipeline exactly: BERT forward
//! pass, mean pooling over the attention mask, L2 normalisation. Two details matter for
//! matching the reference vectors:
//!
//! * The shipped `tokenizer.json` pads *and* truncates to a fixed 128 tokens. We override it
//!   to pad to the longest input of the batch (padding is masked out, so it only costs time)
//!   and to truncate at sentence-transformers' `max_seq_length` (256), which is what the
//!   Python reference does.
//! * Token counting uses a second copy of the tokenizer with truncation and padding off and
//!   no special tokens, so chunk sizes are measured, not capped.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use nic_core::{EmbedError, Embedder};
use tokenizers::{
    PaddingParams, PaddingStrategy, Tokenizer, TruncationDirection, TruncationParams,
    TruncationStrategy,
};

use crate::files::{model_err, model_identity, ModelFiles};
use crate::threads;

/// Largest number of texts run through one forward pass. `embed` accepts any batch length,
/// but candle materialises several (batch × heads × seq × seq) attention tensors per layer:
/// measured peak RSS above the weights is ~14 MB per 222-token text (batch 8 ≈ +120 MB,
/// batch 32 ≈ +460 MB; glibc's default malloc settings retain roughly 100–200 MB more), so
/// longer batches are served in slices of this size. Throughput is flat from batch 8 upward
/// on 2 cores.
pub const MAX_FORWARD_BATCH: usize = 16;

/// A loaded all-MiniLM-style BERT model plus its tokenizer. Cheap to share (`&self` methods,
/// `Send + Sync`); concurrent calls simply run concurrently.
pub struct CandleEmbedder {
    model: BertModel,
    /// Pads to the batch's longest input, truncates at `max_seq_len`, adds [CLS]/[SEP].
    tokenizer: Tokenizer,
    /// No padding, no truncation; used by `count_tokens`.
    counter: Tokenizer,
    device: Device,
    dim: usize,
    max_seq_len: usize,
    model_id: String,
}

impl std::fmt::Debug for CandleEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CandleEmbedder")
            .field("model_id", &self.model_id)
            .field("dim", &self.dim)
            .field("max_seq_len", &self.max_seq_len)
            .finish_non_exhaustive()
    }
}

/// Loads the tokenizer twice: once configured for embedding, once for counting.
pub(crate) fn load_tokenizers(
    files: &ModelFiles,
    max_seq_len: usize,
) -> Result<(Tokenizer, Tokenizer), EmbedError> {
    let bytes = files.read(&files.tokenizer)?;
    let mut base = Tokenizer::from_bytes(&bytes)
        .map_err(|e| model_err(&files.tokenizer, format!("invalid tokenizer.json: {e}")))?;
    let pad = base.get_padding().cloned().unwrap_or_default();
    let mut counter = base.clone();
    counter.with_padding(None);
    counter
        .with_truncation(None)
        .map_err(|e| model_err(&files.tokenizer, format!("cannot disable truncation: {e}")))?;
    base.with_padding(Some(PaddingParams {
        strategy: PaddingStrategy::BatchLongest,
        pad_to_multiple_of: None,
        ..pad
    }));
    base.with_truncation(Some(TruncationParams {
        direction: TruncationDirection::Right,
        max_length: max_seq_len,
        strategy: TruncationStrategy::LongestFirst,
        stride: 0,
    }))
    .map_err(|e| model_err(&files.tokenizer, format!("cannot set truncation: {e}")))?;
    Ok((base, counter))
}

/// Counts tokens with the counting tokenizer. `count_tokens` cannot fail by contract, so an
/// encoding error (not expected for any UTF-8 text) falls back to a generous estimate of one
/// token per 3 bytes, which errs on the side of smaller chunks.
pub(crate) fn count_with(counter: &Tokenizer, text: &str) -> usize {
    match counter.encode_fast(text, false) {
        Ok(enc) => enc.len(),
        Err(e) => {
            tracing::warn!(error = %e, "tokenizer failed while counting tokens; estimating");
            text.len().div_ceil(3)
        }
    }
}

fn infer(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Inference(e.to_string())
}

impl CandleEmbedder {
    /// Loads `config.json`, `tokenizer.json`, `model.safetensors` and the pooling config from
    /// `dir` (and nothing else). Any missing or malformed file is an [`EmbedError::Model`]
    /// naming it.
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let files = ModelFiles::locate(dir)?;
        files.require_mean_pooling()?;
        let config: Config = serde_json::from_slice(&files.read(&files.config)?)
            .map_err(|e| model_err(&files.config, format!("invalid config.json: {e}")))?;
        let max_seq_len = files.max_seq_len(config.max_position_embeddings)?;
        let (tokenizer, counter) = load_tokenizers(&files, max_seq_len)?;
        let model_id = model_identity(dir)?;
        let device = Device::Cpu;
        // SAFETY: the mapping is only alive while `BertModel::load` copies the tensors into
        // owned CPU storage; `vb` (and the map) is dropped before this function returns. A
        // concurrent rewrite of the file during those milliseconds could corrupt the copied
        // weights but not memory safety of safe code reading them afterwards; `make model`
        // replaces the directory by rename, never in place.
        let vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[&files.weights], DType::F32, &device) }
                .map_err(|e| model_err(&files.weights, format!("cannot map weights: {e}")))?;
        let model = BertModel::load(vb, &config)
            .map_err(|e| model_err(&files.weights, format!("weights do not match config: {e}")))?;
        tracing::info!(%model_id, max_seq_len, "embedding model loaded");
        Ok(CandleEmbedder {
            model,
            tokenizer,
            counter,
            device,
            dim: config.hidden_size,
            max_seq_len,
            model_id,
        })
    }

    /// Maximum tokens per input (special tokens included); longer inputs are truncated.
    pub fn max_seq_len(&self) -> usize {
        self.max_seq_len
    }

    /// One forward pass over at most [`MAX_FORWARD_BATCH`] texts.
    fn embed_slice(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let encodings = self
            .tokenizer
            .encode_batch_fast(texts.to_vec(), true)
            .map_err(infer)?;
        let n = encodings.len();
        let len = encodings.first().map_or(0, |e| e.len());
        let mut ids = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for enc in &encodings {
            if enc.len() != len {
                return Err(infer("tokenizer did not pad the batch to one length"));
            }
            ids.extend_from_slice(enc.get_ids());
            mask.extend_from_slice(enc.get_attention_mask());
        }
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let ids = Tensor::from_vec(ids, (n, len), &self.device)?;
            let type_ids = ids.zeros_like()?;
            let mask = Tensor::from_vec(mask, (n, len), &self.device)?;
            let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?; // (n, len, dim)
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (n, len, 1)
            let summed = hidden.broadcast_mul(&mask)?.sum(1)?; // (n, dim)
            let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?; // (n, 1)
            let mean = summed.broadcast_div(&counts)?;
            let norm = mean
                .sqr()?
                .sum_keepdim(1)?
                .sqrt()?
                .clamp(1e-12f32, f32::MAX)?;
            mean.broadcast_div(&norm)?.to_vec2::<f32>()
        };
        threads::run(run).map_err(infer)
    }
}

impl Embedder for CandleEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for slice in texts.chunks(MAX_FORWARD_BATCH) {
            out.extend(self.embed_slice(slice)?);
        }
        Ok(out)
    }

    fn count_tokens(&self, text: &str) -> usize {
        count_with(&self.counter, text)
    }
}
