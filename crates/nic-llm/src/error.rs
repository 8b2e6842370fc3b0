//! What can go wrong when asking an LLM, and the outcome labels the metrics count.
//!
//! Every failure here is *recoverable* for NIC: the answer pipeline falls back to an
//! extractive answer and attaches the error's message as the reason. So the messages are
//! written for the operator who reads that note or the log: they say what to check.

use std::time::Duration;

/// A generation or health-check failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// The TCP connection could not be made (nothing listening, host down, connect timeout).
    #[error("cannot connect to the LLM server at {url}: {reason} — is it running? (NOVA_LLM_URL)")]
    Connect { url: String, reason: String },
    /// The deadline passed before the answer was complete.
    #[error("the LLM server did not finish within {after_s:.1} s (while {stage}) — raise NOVA_LLM_TIMEOUT_S or use a smaller model")]
    Timeout { after_s: f64, stage: &'static str },
    /// The server answered with a non-success HTTP status.
    #[error("the LLM server answered HTTP {status}: {body_snippet}")]
    Http { status: u16, body_snippet: String },
    /// The server spoke, but not the protocol: malformed JSON, an error object mid-stream,
    /// or a stream that ended before its end marker (`done: true` / `data: [DONE]`).
    #[error("the LLM server broke the protocol: {0}")]
    Protocol(String),
    /// The configured model is not on the server. Never silently replaced by another one.
    #[error("model {model:?} is not available on the LLM server (available: {}) — pull it (`ollama pull {model}`) or set NOVA_LLM_MODEL to one of them", list_or_none(.available))]
    ModelMissing {
        model: String,
        available: Vec<String>,
    },
    /// The circuit breaker is open after repeated failures; the server was not contacted.
    #[error("LLM skipped for {retry_in_s} s after repeated failures (circuit breaker open)")]
    BreakerOpen { retry_in_s: u64 },
    /// The caller went away; the request was aborted.
    #[error("the request was cancelled")]
    Cancelled,
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

impl LlmError {
    /// The metrics label of this failure (`nova_llm_requests_total{outcome}`).
    pub fn outcome(&self) -> Outcome {
        match self {
            Self::Connect { .. } => Outcome::ConnectError,
            Self::Timeout { .. } => Outcome::Timeout,
            Self::Http { .. } => Outcome::HttpError,
            Self::Protocol(_) => Outcome::ProtocolError,
            Self::ModelMissing { .. } => Outcome::ModelMissing,
            Self::BreakerOpen { .. } => Outcome::BreakerOpen,
            Self::Cancelled => Outcome::Cancelled,
        }
    }

    /// Builds a timeout error for a deadline.
    pub(crate) fn timeout(deadline: Duration, stage: &'static str) -> Self {
        Self::Timeout {
            after_s: deadline.as_secs_f64(),
            stage,
        }
    }
}

/// Outcome of one [`crate::LlmClient::generate`] call, as counted for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Ok,
    Timeout,
    ConnectError,
    HttpError,
    ProtocolError,
    ModelMissing,
    BreakerOpen,
    Cancelled,
}

impl Outcome {
    /// Every outcome, in a stable order (so metrics always list all labels, zeros included).
    pub const ALL: [Outcome; 8] = [
        Outcome::Ok,
        Outcome::Timeout,
        Outcome::ConnectError,
        Outcome::HttpError,
        Outcome::ProtocolError,
        Outcome::ModelMissing,
        Outcome::BreakerOpen,
        Outcome::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Timeout => "timeout",
            Outcome::ConnectError => "connect_error",
            Outcome::HttpError => "http_error",
            Outcome::ProtocolError => "protocol_error",
            Outcome::ModelMissing => "model_missing",
            Outcome::BreakerOpen => "breaker_open",
            Outcome::Cancelled => "cancelled",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Configuration problems found when building a client from [`nic_core::NicConfig`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmConfigError {
    #[error("NOVA_LLM_URL={0:?} uses https, which NIC does not speak to LLM servers: use http:// (LLM servers run on loopback or the local network)")]
    Https(String),
    #[error("NOVA_LLM_URL={url:?} is not a usable http URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("NOVA_LLM_BACKEND=ollama needs NOVA_LLM_MODEL (for example `llama3.2:3b`; see `ollama list`)")]
    ModelRequired,
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}
