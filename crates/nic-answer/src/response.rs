//! The `/api/ask` request and response shapes (DESIGN §3). `model_used`, `traced_sources`
//! and `retrieval_score` keep clients of the original Python NIC working.

use crate::audit::AuditReport;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AskMode {
    #[default]
    Auto,
    Extractive,
    Generative,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Answered,
    Abstained,
    Refused,
    Emergency,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Answered => "answered",
            Status::Abstained => "abstained",
            Status::Refused => "refused",
            Status::Emergency => "emergency",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerMode {
    Generative,
    Extractive,
    None,
}

#[derive(Debug, Clone, Default)]
pub struct AskRequest {
    pub question: String,
    pub session_id: Option<String>,
    pub domain: Option<String>,
    pub mode: AskMode,
    pub top_k: Option<usize>,
    /// Identity of the client (API token hash or peer address): sessions are per client.
    pub client_id: String,
    pub request_id: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Citation {
    #[serde(rename = "ref")]
    pub reference: usize,
    pub doc: String,
    pub title: String,
    pub domain: String,
    pub page: u32,
    pub section: String,
    pub snippet: String,
    pub score: f32,
    pub chunk_id: String,
}

/// A section offered when the answer abstains, so the technician knows where to look.
#[derive(Debug, Clone, Serialize)]
pub struct Closest {
    pub doc: String,
    pub title: String,
    pub domain: String,
    pub page: u32,
    pub section: String,
    pub snippet: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct SafetyInfo {
    pub risk_level: String,
    pub triggers: Vec<String>,
    pub message: Option<String>,
}

/// One question of a multi-question message and what happened to it.
#[derive(Debug, Clone, Serialize)]
pub struct PartOutcome {
    pub question: String,
    pub status: Status,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct TimingsMs {
    pub embed: f64,
    pub retrieve: f64,
    pub generate: f64,
    pub total: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TracedSource {
    pub source: String,
    pub page: u32,
    pub confidence: f32,
    pub snippet: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AskResponse {
    pub status: Status,
    pub answer: String,
    pub mode: AnswerMode,
    pub confidence: f32,
    pub citations: Vec<Citation>,
    pub audit: AuditReport,
    pub safety: SafetyInfo,
    pub session_id: String,
    pub request_id: String,
    pub model: Option<String>,
    pub timings_ms: TimingsMs,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub closest: Vec<Closest>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartOutcome>,
    /// Why the answer is not what was asked for (LLM down, fallback after audit, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub model_used: String,
    pub traced_sources: Vec<TracedSource>,
    pub retrieval_score: f32,
    /// Other sections that fit about as well: one-click follow-ups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<crate::compose::Alternative>,
    /// Two manuals answer with different values (the text says so too).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sources_differ: bool,
    /// The question with its unknown words corrected to the manual's words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected_query: Option<String>,
}

impl AskResponse {
    /// Fills the upstream-compatible fields from the DESIGN fields.
    pub fn with_compat_fields(mut self) -> Self {
        self.model_used = self.model.clone().unwrap_or_else(|| match self.mode {
            AnswerMode::Extractive => "extractive".into(),
            AnswerMode::Generative => "llm".into(),
            AnswerMode::None => "none".into(),
        });
        self.traced_sources = self
            .citations
            .iter()
            .map(|c| TracedSource {
                source: c.doc.clone(),
                page: c.page,
                confidence: c.score,
                snippet: c.snippet.clone(),
            })
            .collect();
        self
    }
}
