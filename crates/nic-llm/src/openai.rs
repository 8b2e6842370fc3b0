//! Any OpenAI-compatible server (llama.cpp server, vLLM, LM Studio):
//! `POST /v1/chat/completions` streamed as server-sent events, `GET /v1/models` for health.
//!
//! The stream is `data: {json}` lines separated by blank lines and ended by `data: [DONE]`;
//! comment (`:`), `event:` and `id:` lines are skipped. A stream that stops without `[DONE]`
//! counts as complete only if the last chunk carried a `finish_reason` (some servers omit
//! the marker); otherwise the connection was cut mid-answer and that is a protocol error.
//! A server that ignores `stream: true` and sends one JSON completion is accepted as well.
//!
//! Model listing differs between servers (llama.cpp lists the GGUF file name, some servers
//! have no `/v1/models` at all), so health treats a 404 there as "reachable, model unknown"
//! and asks llama.cpp's `/health` instead.

use crate::error::LlmError;
use crate::generator::{Accumulator, BoxFuture, GenerateOutput, Generator, LlmHealth};
use crate::http::{self, Flow, Stage};
use crate::ollama::{HEALTH_TIMEOUT, SEED, TEMPERATURE};
use crate::prompt::Prompt;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

pub struct OpenAiGenerator {
    client: reqwest::Client,
    /// Base URL without a trailing `/v1`.
    base: String,
    model: Option<String>,
}

#[derive(Deserialize)]
struct StreamChunk {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<StreamChoice>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct StreamChoice {
    #[serde(default)]
    delta: Option<Delta>,
    /// Present instead of `delta` in a non-streamed completion.
    #[serde(default)]
    message: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Models {
    #[serde(default)]
    data: Vec<ModelEntry>,
}

#[derive(Deserialize)]
struct ModelEntry {
    id: String,
}

fn parse_chunk(payload: &str) -> Result<StreamChunk, LlmError> {
    let chunk: StreamChunk = serde_json::from_str(payload).map_err(|e| {
        LlmError::Protocol(format!(
            "malformed JSON from /v1/chat/completions ({e}): {}",
            http::snippet(payload.as_bytes())
        ))
    })?;
    if let Some(err) = &chunk.error {
        return Err(LlmError::Protocol(format!(
            "the server reported an error mid-answer: {err}"
        )));
    }
    Ok(chunk)
}

impl OpenAiGenerator {
    /// `url` is the server base, with or without the `/v1` suffix.
    pub fn new(url: &str, model: Option<&str>) -> Result<Self, crate::error::LlmConfigError> {
        let base = http::normalize_base_url(url)?;
        let base = base.strip_suffix("/v1").unwrap_or(&base).to_string();
        Ok(Self {
            client: http::build_client()?,
            base,
            model: model.map(str::to_string),
        })
    }

    /// The JSON body of one `/v1/chat/completions` request.
    pub fn request_body(&self, prompt: &Prompt) -> serde_json::Value {
        let mut body = json!({
            "messages": prompt.messages,
            "stream": true,
            "temperature": TEMPERATURE,
            "seed": SEED,
            "max_tokens": prompt.max_tokens,
        });
        if let Some(m) = &self.model {
            body["model"] = json!(m);
        }
        body
    }

    async fn generate_inner(
        &self,
        prompt: &Prompt,
        stage: &Stage,
    ) -> Result<GenerateOutput, LlmError> {
        let mut acc = Accumulator::new();
        let resp = self
            .client
            .post(format!("{}/v1/chat/completions", self.base))
            .json(&self.request_body(prompt))
            .send()
            .await
            .map_err(|e| http::map_reqwest(&self.base, e))?;
        stage.set(Stage::FIRST_TOKEN);
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            let body = resp.bytes().await.unwrap_or_default();
            let text = http::snippet(&body);
            if text.contains("model") {
                return Err(LlmError::ModelMissing {
                    model: self.model.clone().unwrap_or_default(),
                    available: self.model_ids().await.unwrap_or_default(),
                });
            }
            return Err(LlmError::Http {
                status: 404,
                body_snippet: text,
            });
        }
        let resp = http::error_for_status(resp).await?;
        let is_json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if is_json {
            let body = resp
                .bytes()
                .await
                .map_err(|e| http::map_reqwest(&self.base, e))?;
            let chunk = parse_chunk(&String::from_utf8_lossy(&body))?;
            acc.model = chunk.model;
            for c in chunk.choices {
                if let Some(content) = c.message.and_then(|m| m.content) {
                    acc.push(&content);
                }
            }
            return Ok(acc.finish(self.model.as_deref()));
        }

        let mut finish_seen = false;
        let done = http::for_each_line(&self.base, resp, |line| {
            let Some(payload) = line.strip_prefix("data:") else {
                return Ok(Flow::More); // blank separator, comment, event:, id:, retry:
            };
            let payload = payload.trim();
            if payload == "[DONE]" {
                return Ok(Flow::Stop);
            }
            let chunk = parse_chunk(payload)?;
            if acc.model.is_none() {
                acc.model = chunk.model;
            }
            for c in chunk.choices {
                if let Some(content) = c.delta.and_then(|d| d.content) {
                    acc.push(&content);
                    if acc.has_text() {
                        stage.set(Stage::STREAMING);
                    }
                }
                finish_seen |= c.finish_reason.is_some();
            }
            Ok(Flow::More)
        })
        .await?;
        if !done && !finish_seen {
            return Err(LlmError::Protocol(
                "the stream ended before `data: [DONE]` (connection closed mid-answer)".into(),
            ));
        }
        Ok(acc.finish(self.model.as_deref()))
    }

    /// The model ids `/v1/models` lists.
    async fn model_ids(&self) -> Result<Vec<String>, LlmError> {
        let resp = self
            .client
            .get(format!("{}/v1/models", self.base))
            .send()
            .await
            .map_err(|e| http::map_reqwest(&self.base, e))?;
        let resp = http::error_for_status(resp).await?;
        let body = resp
            .bytes()
            .await
            .map_err(|e| http::map_reqwest(&self.base, e))?;
        let models: Models = serde_json::from_slice(&body).map_err(|e| {
            LlmError::Protocol(format!(
                "/v1/models is not a model list ({e}): {}",
                http::snippet(&body)
            ))
        })?;
        Ok(models.data.into_iter().map(|m| m.id).collect())
    }

    async fn probe(&self) -> Result<LlmHealth, LlmError> {
        let ids = match self.model_ids().await {
            Ok(ids) => ids,
            Err(LlmError::Http { status: 404, .. }) => {
                // No model listing: ask llama.cpp's /health (503 while the model loads).
                let health = self
                    .client
                    .get(format!("{}/health", self.base))
                    .send()
                    .await;
                let detail = match health {
                    Ok(h) if h.status().is_success() => {
                        "reachable (no /v1/models; /health ok)".to_string()
                    }
                    Ok(h) => format!("reachable (no /v1/models; /health answered {})", h.status()),
                    Err(_) => "reachable (no /v1/models)".to_string(),
                };
                return Ok(LlmHealth {
                    reachable: true,
                    model_present: None,
                    detail,
                });
            }
            Err(e) => return Err(e),
        };
        let present = self.model.as_ref().map(|m| ids.iter().any(|id| id == m));
        let listed = if ids.is_empty() {
            "no models".to_string()
        } else {
            ids.join(", ")
        };
        let detail = match (present, &self.model) {
            (Some(false), Some(m)) => format!(
                "the server lists {listed} but not the configured model {m:?} (a server serving one model may ignore the name)"
            ),
            _ => format!("reachable; models: {listed}"),
        };
        Ok(LlmHealth {
            reachable: true,
            model_present: present,
            detail,
        })
    }
}

impl Generator for OpenAiGenerator {
    fn backend(&self) -> &'static str {
        "openai"
    }

    fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    fn url(&self) -> &str {
        &self.base
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
            http::with_deadline(HEALTH_TIMEOUT, &stage, self.probe())
                .await
                .unwrap_or_else(|e| LlmHealth::from_error(&e))
        })
    }
}
