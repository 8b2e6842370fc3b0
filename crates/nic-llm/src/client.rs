//! `LlmClient`: what the answer pipeline holds — a generator behind the circuit breaker,
//! with the deadline and the outcome counters the metrics export.

use crate::breaker::{BreakerSnapshot, CircuitBreaker};
use crate::error::{LlmConfigError, LlmError, Outcome};
use crate::generator::{GenerateOutput, Generator, LlmHealth};
use crate::ollama::OllamaGenerator;
use crate::openai::OpenAiGenerator;
use crate::prompt::{Prompt, PromptBudget};
use nic_core::config::{LlmBackend, NicConfig};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts of [`Outcome`]s since start.
#[derive(Debug, Default)]
struct Counters([AtomicU64; Outcome::ALL.len()]);

impl Counters {
    fn bump(&self, o: Outcome) {
        self.0[o.index()].fetch_add(1, Ordering::Relaxed);
    }
}

/// `(label, count)` for every outcome, zeros included, in [`Outcome::ALL`] order.
pub type OutcomeSnapshot = Vec<(&'static str, u64)>;

/// Everything `/health` and `/api/status` show about the LLM.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LlmStatus {
    pub backend: &'static str,
    pub url: String,
    pub model: Option<String>,
    pub health: LlmHealth,
    pub breaker: BreakerSnapshot,
}

pub struct LlmClient {
    generator: Box<dyn Generator>,
    breaker: CircuitBreaker,
    deadline: Duration,
    budget: PromptBudget,
    counters: Counters,
    last_health: Mutex<Option<(Instant, LlmHealth)>>,
}

/// Counts a generation as cancelled if its future is dropped before it finishes.
struct CancelGuard<'a> {
    counters: &'a Counters,
    armed: bool,
}

impl Drop for CancelGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.counters.bump(Outcome::Cancelled);
        }
    }
}

impl LlmClient {
    pub fn new(
        generator: Box<dyn Generator>,
        breaker: CircuitBreaker,
        deadline: Duration,
        budget: PromptBudget,
    ) -> Self {
        Self {
            generator,
            breaker,
            deadline,
            budget,
            counters: Counters::default(),
            last_health: Mutex::new(None),
        }
    }

    pub fn backend(&self) -> &'static str {
        self.generator.backend()
    }

    pub fn model(&self) -> Option<&str> {
        self.generator.model()
    }

    pub fn url(&self) -> &str {
        self.generator.url()
    }

    /// `NOVA_LLM_TIMEOUT_S`.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// The token budget prompts for this server must fit (`OLLAMA_NUM_CTX`).
    pub fn budget(&self) -> PromptBudget {
        self.budget
    }

    /// [`Self::generate_within`] with the configured deadline.
    pub async fn generate(&self, prompt: &Prompt) -> Result<GenerateOutput, LlmError> {
        self.generate_within(prompt, self.deadline).await
    }

    /// Breaker check → generation under `deadline` → breaker and counters updated.
    /// Dropping the returned future aborts the request (counted as `cancelled`).
    pub async fn generate_within(
        &self,
        prompt: &Prompt,
        deadline: Duration,
    ) -> Result<GenerateOutput, LlmError> {
        let permit = match self.breaker.try_acquire() {
            Ok(p) => p,
            Err(retry_in_s) => {
                self.counters.bump(Outcome::BreakerOpen);
                return Err(LlmError::BreakerOpen { retry_in_s });
            }
        };
        let mut guard = CancelGuard {
            counters: &self.counters,
            armed: true,
        };
        let result = self.generator.generate(prompt, deadline).await;
        guard.armed = false;
        match &result {
            Ok(_) => {
                self.breaker.record(permit, true);
                self.counters.bump(Outcome::Ok);
            }
            Err(e) => {
                tracing::warn!(backend = self.backend(), error = %e, "LLM generation failed");
                if matches!(e, LlmError::Cancelled) {
                    drop(permit);
                } else {
                    self.breaker.record(permit, false);
                }
                self.counters.bump(e.outcome());
            }
        }
        result
    }

    /// Probes the server now (does not touch the breaker; at most ~3 s).
    pub async fn health(&self) -> LlmHealth {
        let h = self.generator.health().await;
        *self.last_health.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), h.clone()));
        h
    }

    /// The last probe if younger than `max_age`, else a new one — so that frequent
    /// `/health` polling does not turn into a request to the LLM server each time.
    pub async fn health_cached(&self, max_age: Duration) -> LlmHealth {
        let cached = self
            .last_health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|(at, _)| at.elapsed() < max_age)
            .map(|(_, h)| h.clone());
        match cached {
            Some(h) => h,
            None => self.health().await,
        }
    }

    /// Health (probed at most every `max_age`) plus breaker state, for `/health` and
    /// `/api/status`.
    pub async fn status(&self, max_age: Duration) -> LlmStatus {
        LlmStatus {
            backend: self.backend(),
            url: self.url().to_string(),
            model: self.model().map(str::to_string),
            health: self.health_cached(max_age).await,
            breaker: self.breaker.snapshot(),
        }
    }

    pub fn breaker(&self) -> BreakerSnapshot {
        self.breaker.snapshot()
    }

    /// `nova_llm_requests_total{outcome}`.
    pub fn outcomes(&self) -> OutcomeSnapshot {
        Outcome::ALL
            .iter()
            .map(|o| {
                (
                    o.as_str(),
                    self.counters.0[o.index()].load(Ordering::Relaxed),
                )
            })
            .collect()
    }
}

/// Builds the client the configuration asks for; `Ok(None)` when `NOVA_LLM_BACKEND=none`.
pub fn from_config(cfg: &NicConfig) -> Result<Option<LlmClient>, LlmConfigError> {
    let generator: Box<dyn Generator> = match cfg.llm_backend {
        LlmBackend::None => return Ok(None),
        LlmBackend::Ollama => {
            let model = cfg
                .llm_model
                .as_deref()
                .ok_or(LlmConfigError::ModelRequired)?;
            Box::new(OllamaGenerator::new(&cfg.llm_url, model, cfg.num_ctx)?)
        }
        LlmBackend::Openai => Box::new(OpenAiGenerator::new(
            &cfg.llm_url,
            cfg.llm_model.as_deref(),
        )?),
    };
    Ok(Some(LlmClient::new(
        generator,
        CircuitBreaker::new(
            cfg.llm_breaker_failures,
            Duration::from_secs(cfg.llm_breaker_cooldown_s),
        ),
        Duration::from_secs(cfg.llm_timeout_s),
        PromptBudget::new(cfg.num_ctx),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_none_builds_nothing_and_ollama_needs_a_model() {
        let mut cfg = NicConfig::default();
        assert!(from_config(&cfg).unwrap().is_none());
        cfg.llm_backend = LlmBackend::Ollama;
        assert!(matches!(
            from_config(&cfg),
            Err(LlmConfigError::ModelRequired)
        ));
        cfg.llm_model = Some("llama3.2:3b".into());
        let c = from_config(&cfg).unwrap().unwrap();
        assert_eq!(c.backend(), "ollama");
        assert_eq!(c.deadline(), Duration::from_secs(60));
        assert_eq!(c.budget().num_ctx, 4096);
        cfg.llm_backend = LlmBackend::Openai;
        cfg.llm_url = "https://api.example.com".into();
        assert!(matches!(from_config(&cfg), Err(LlmConfigError::Https(_))));
        cfg.llm_url = "http://127.0.0.1:8080/v1/".into();
        let c = from_config(&cfg).unwrap().unwrap();
        assert_eq!(c.url(), "http://127.0.0.1:8080");
        assert!(c.outcomes().iter().all(|(_, n)| *n == 0));
    }
}
