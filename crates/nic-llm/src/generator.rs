//! The seam between NIC and an LLM server: one trait, one implementation per wire protocol.
//!
//! The trait returns boxed futures (rather than `async fn`) so it can be used as a trait
//! object (`Box<dyn Generator>`): the backend is chosen at start-up from configuration.

use crate::error::LlmError;
use crate::prompt::Prompt;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A complete generated answer. The text is returned verbatim: judging it (the citation
/// audit) is the caller's job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerateOutput {
    pub text: String,
    /// The model that answered (as the server names it, else as configured).
    pub model: String,
    /// Milliseconds from sending the request to the first non-empty piece of text.
    pub first_token_ms: f64,
    pub total_ms: f64,
    /// Number of streamed pieces that carried text (> 1 shows the answer really streamed).
    pub chunks: usize,
}

/// What a health probe found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LlmHealth {
    pub reachable: bool,
    /// `None` when the server cannot tell (e.g. no model listing).
    pub model_present: Option<bool>,
    pub detail: String,
}

impl LlmHealth {
    /// The health of a server whose probe failed: a connect failure or timeout means
    /// unreachable; any answer at all (even an HTTP error) means reachable.
    pub fn from_error(e: &LlmError) -> Self {
        let reachable = !matches!(e, LlmError::Connect { .. } | LlmError::Timeout { .. });
        Self {
            reachable,
            model_present: None,
            detail: e.to_string(),
        }
    }
}

/// One LLM wire protocol.
pub trait Generator: Send + Sync {
    /// `ollama` or `openai`.
    fn backend(&self) -> &'static str;
    /// The configured model name, if any.
    fn model(&self) -> Option<&str>;
    /// The server base URL (the only address this generator ever contacts).
    fn url(&self) -> &str;
    /// Streams one answer; the whole exchange must end within `deadline`.
    fn generate<'a>(
        &'a self,
        prompt: &'a Prompt,
        deadline: Duration,
    ) -> BoxFuture<'a, Result<GenerateOutput, LlmError>>;
    /// Probes the server (and model presence where the protocol allows).
    fn health(&self) -> BoxFuture<'_, LlmHealth>;
}

/// Accumulates streamed text and the timing of the first piece.
pub(crate) struct Accumulator {
    started: Instant,
    pub text: String,
    pub model: Option<String>,
    first_token_ms: Option<f64>,
    pub chunks: usize,
}

impl Accumulator {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            text: String::new(),
            model: None,
            first_token_ms: None,
            chunks: 0,
        }
    }

    pub fn push(&mut self, piece: &str) {
        if piece.is_empty() {
            return;
        }
        if self.first_token_ms.is_none() {
            self.first_token_ms = Some(ms(self.started.elapsed()));
        }
        self.chunks += 1;
        self.text.push_str(piece);
    }

    pub fn has_text(&self) -> bool {
        self.first_token_ms.is_some()
    }

    pub fn finish(self, configured_model: Option<&str>) -> GenerateOutput {
        let total_ms = ms(self.started.elapsed());
        GenerateOutput {
            text: self.text.trim().to_string(),
            model: self
                .model
                .or_else(|| configured_model.map(str::to_string))
                .unwrap_or_default(),
            first_token_ms: self.first_token_ms.unwrap_or(total_ms),
            total_ms,
            chunks: self.chunks,
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
