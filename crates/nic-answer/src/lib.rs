//! Answers: the confidence gate, extractive and LLM answers, the citation audit, sessions
//! and caches — everything between retrieval and the HTTP layer.

pub mod audit;
pub mod cache;
pub mod compose;
pub mod confidence;
pub mod engine;
pub mod extractive;
pub mod response;
pub mod sections;
pub mod session;
pub mod text;

pub use engine::{AskError, Engine};
pub use response::*;
