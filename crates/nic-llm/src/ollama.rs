//! Ollama's native API: `POST /api/chat` streaming NDJSON, `GET /api/tags` for health.
//!
//! Why the native API and not Ollama's OpenAI shim: only the native API takes `num_ctx`
//! per request. Without it Ollama runs the model at its default context (2048 tokens on
//! many versions) and silently cuts a longer prompt — exactly the evidence NIC built the
//! prompt around. So every request carries `options.num_ctx`, plus a low temperature and a
//! fixed seed (the same question gets the same answer, which makes answers auditable) and
//! `keep_alive` (the model stays loaded between technicians' questions).
//!
//! A missing model is an error naming the models that *are* there — never a silent
//! substitute. Presence is checked once against `/api/tags` before the first generation
//! and re-checked whenever `/api/chat` says the model is gone (e.g. `ollama rm`).

use crate::error::LlmError;
use crate::generator::{Accumulator, BoxFuture, GenerateOutput, Generator, LlmHealth};
use crate::http::{self, Flow, Stage};
use crate::prompt::Prompt;
use serde::Deserialize;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Sampling settings sent with every request.
pub const TEMPERATURE: f64 = 0.1;
pub const SEED: u64 = 42;
pub const KEEP_ALIVE: &str = "10m";
/// Deadline of a health probe.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);

pub struct OllamaGenerator {
    client: reqwest::Client,
    url: String,
    model: String,
    num_ctx: usize,
    model_verified: AtomicBool,
}

#[derive(Deserialize)]
struct ChatLine {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    message: Option<ChatDelta>,
    #[serde(default)]
    done: bool,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct ChatDelta {
    #[serde(default)]
    content: String,
}

#[derive(Deserialize)]
struct Tags {
    #[serde(default)]
    models: Vec<TagModel>,
}

#[derive(Deserialize)]
struct TagModel {
    name: String,
}

/// Whether `wanted` names `have` (`llama3.2` means `llama3.2:latest`).
fn same_model(wanted: &str, have: &str) -> bool {
    wanted == have || (!wanted.contains(':') && have == format!("{wanted}:latest"))
}

impl OllamaGenerator {
    /// `url` is the server base (e.g. `http://127.0.0.1:11434`); see [`http::normalize_base_url`].
    pub fn new(
        url: &str,
        model: &str,
        num_ctx: usize,
    ) -> Result<Self, crate::error::LlmConfigError> {
        Ok(Self {
            client: http::build_client()?,
            url: http::normalize_base_url(url)?,
            model: model.to_string(),
            num_ctx,
            model_verified: AtomicBool::new(false),
        })
    }

    /// The JSON body of one `/api/chat` request.
    pub fn request_body(&self, prompt: &Prompt) -> serde_json::Value {
        json!({
            "model": self.model,
            "messages": prompt.messages,
            "stream": true,
            "keep_alive": KEEP_ALIVE,
            "options": {
                "num_ctx": self.num_ctx,
                "num_predict": prompt.max_tokens,
                "temperature": TEMPERATURE,
                "seed": SEED,
            },
        })
    }

    async fn tags(&self) -> Result<Vec<String>, LlmError> {
        let url = format!("{}/api/tags", self.url);
        let resp = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| http::map_reqwest(&self.url, e))?;
        let resp = http::error_for_status(resp).await?;
        let body = resp
            .bytes()
            .await
            .map_err(|e| http::map_reqwest(&self.url, e))?;
        let tags: Tags = serde_json::from_slice(&body).map_err(|e| {
            LlmError::Protocol(format!(
                "/api/tags is not Ollama's model list ({e}): {}",
                http::snippet(&body)
            ))
        })?;
        Ok(tags.models.into_iter().map(|m| m.name).collect())
    }

    fn missing(&self, available: Vec<String>) -> LlmError {
        LlmError::ModelMissing {
            model: self.model.clone(),
            available,
        }
    }

    async fn ensure_model(&self) -> Result<(), LlmError> {
        if self.model_verified.load(Ordering::Relaxed) {
            return Ok(());
        }
        let available = self.tags().await?;
        if available.iter().any(|m| same_model(&self.model, m)) {
            self.model_verified.store(true, Ordering::Relaxed);
            Ok(())
        } else {
            Err(self.missing(available))
        }
    }

    async fn generate_inner(
        &self,
        prompt: &Prompt,
        stage: &Stage,
    ) -> Result<GenerateOutput, LlmError> {
        self.ensure_model().await?;
        let mut acc = Accumulator::new();
        let resp = self
            .client
            .post(format!("{}/api/chat", self.url))
            .json(&self.request_body(prompt))
            .send()
            .await
            .map_err(|e| http::map_reqwest(&self.url, e))?;
        stage.set(Stage::FIRST_TOKEN);
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            let body = resp.bytes().await.unwrap_or_default();
            let text = http::snippet(&body);
            if text.contains("not found") {
                self.model_verified.store(false, Ordering::Relaxed);
                let available = self.tags().await.unwrap_or_default();
                return Err(self.missing(available));
            }
            return Err(LlmError::Http {
                status: 404,
                body_snippet: text,
            });
        }
        let resp = http::error_for_status(resp).await?;
        let finished = http::for_each_line(&self.url, resp, |line| {
            if line.trim().is_empty() {
                return Ok(Flow::More);
            }
            let chunk: ChatLine = serde_json::from_str(line).map_err(|e| {
                LlmError::Protocol(format!(
                    "malformed JSON line from /api/chat ({e}): {}",
                    http::snippet(line.as_bytes())
                ))
            })?;
            if let Some(err) = chunk.error {
                return Err(LlmError::Protocol(format!(
                    "the server reported an error mid-answer: {err}"
                )));
            }
            if acc.model.is_none() {
                acc.model = chunk.model;
            }
            if let Some(m) = chunk.message {
                acc.push(&m.content);
                if acc.has_text() {
                    stage.set(Stage::STREAMING);
                }
            }
            Ok(if chunk.done { Flow::Stop } else { Flow::More })
        })
        .await?;
        if !finished {
            return Err(LlmError::Protocol(
                "the stream ended before `done: true` (connection closed mid-answer)".into(),
            ));
        }
        Ok(acc.finish(Some(&self.model)))
    }
}

impl Generator for OllamaGenerator {
    fn backend(&self) -> &'static str {
        "ollama"
    }

    fn model(&self) -> Option<&str> {
        Some(&self.model)
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn generate<'a>(
        &'a self,
        prompt: &'a Prompt,
        deadline: Duration,
    ) -> BoxFuture<'a, Result<GenerateOutput, LlmError>> {
        Box::pin(async move {
            let stage = Stage::default();
            http::with_deadline(deadline, &stage, self.generate_inner(prompt, &stage)).await
        })
    }

    fn health(&self) -> BoxFuture<'_, LlmHealth> {
        Box::pin(async move {
            let stage = Stage::default();
            match http::with_deadline(HEALTH_TIMEOUT, &stage, self.tags()).await {
                Ok(models) => {
                    let present = models.iter().any(|m| same_model(&self.model, m));
                    let detail = if present {
                        format!("model {} is available", self.model)
                    } else {
                        self.missing(models).to_string()
                    };
                    LlmHealth {
                        reachable: true,
                        model_present: Some(present),
                        detail,
                    }
                }
                Err(e) => LlmHealth::from_error(&e),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::same_model;

    #[test]
    fn untagged_name_means_latest() {
        assert!(same_model("llama3.2", "llama3.2:latest"));
        assert!(same_model("llama3.2:3b", "llama3.2:3b"));
        assert!(!same_model("llama3.2:3b", "llama3.2:1b"));
        assert!(!same_model("llama3.2", "llama3.2:3b"));
    }
}
