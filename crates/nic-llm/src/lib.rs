//! The LLM generation layer of NIC.
//!
//! The answer pipeline (nic-answer) decides *whether* to generate (confidence gate, mode) and
//! *judges* what comes back (citation audit); this crate only turns evidence into a prompt
//! that fits the model's context ([`build_prompt`]) and streams an answer from a local LLM
//! server ([`LlmClient`]) — Ollama's native API or any OpenAI-compatible server.
//!
//! Every failure is a typed [`LlmError`] the pipeline turns into an extractive answer with a
//! note; none is fatal. A deadline bounds every request, dropping the future aborts it (the
//! server stops generating for a client that left), and a [`CircuitBreaker`] stops waiting
//! on a server that keeps failing. Only the configured URL is ever contacted (DESIGN §6).

pub mod breaker;
pub mod client;
pub mod error;
pub mod generator;
mod http;
pub mod ollama;
pub mod openai;
pub mod prompt;

pub use breaker::{BreakerSnapshot, BreakerState, CircuitBreaker};
pub use client::{from_config, LlmClient, LlmStatus, OutcomeSnapshot};
pub use error::{LlmConfigError, LlmError, Outcome};
pub use generator::{BoxFuture, GenerateOutput, Generator, LlmHealth};
pub use http::CONNECT_TIMEOUT;
pub use ollama::OllamaGenerator;
pub use openai::OpenAiGenerator;
pub use prompt::{
    build_prompt, evidence_header, ChatMessage, Evidence, Prompt, PromptBudget, SYSTEM_PROMPT,
};
