//! One typed configuration for every command: defaults < `nic.toml` < environment < flags.
//!
//! The variable names are the ones operators' runbooks use (DESIGN §4); they are the
//! contract. A value that does not parse stops start-up with a message naming the variable;
//! an unknown `NOVA_*` variable is reported as a probable typo.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}={value:?} is not valid: {reason}")]
    Invalid {
        name: String,
        value: String,
        reason: String,
    },
    #[error("cannot read config file {path}: {reason}")]
    File { path: String, reason: String },
}

/// How lexical and vector candidates are fused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FusionMethod {
    /// Weighted sum of calibrated scores (absolute, comparable across queries).
    Weighted,
    /// Reciprocal rank fusion.
    Rrf,
}

impl FromStr for FusionMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "weighted" | "score" => Ok(Self::Weighted),
            "rrf" => Ok(Self::Rrf),
            _ => Err("expected `weighted` or `rrf`".into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LlmBackend {
    None,
    Ollama,
    Openai,
}

impl FromStr for LlmBackend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "" | "off" => Ok(Self::None),
            "ollama" => Ok(Self::Ollama),
            "openai" | "openai-compatible" | "llamacpp" | "vllm" => Ok(Self::Openai),
            _ => Err("expected `none`, `ollama` or `openai`".into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err("expected `text` or `json`".into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditQuestions {
    Text,
    Hash,
    None,
}

impl FromStr for AuditQuestions {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "hash" => Ok(Self::Hash),
            "none" | "redact" | "redacted" => Ok(Self::None),
            _ => Err("expected `text`, `hash` or `none`".into()),
        }
    }
}

/// A boolean that accepts the spellings operators use in env files.
fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected 1/0, true/false, yes/no or on/off".into()),
    }
}

fn parse_positive<T: FromStr + PartialOrd + Default>(s: &str) -> Result<T, String> {
    let v: T = s
        .trim()
        .parse()
        .map_err(|_| "expected a positive number".to_string())?;
    if v <= T::default() {
        return Err("must be greater than zero".into());
    }
    Ok(v)
}

/// `auto` or a vector kind `<flat|hnsw>-<f32|f16|i8>` (nic-index owns the meaning).
fn parse_vector_index(s: &str) -> Result<String, String> {
    let v = s.trim().to_ascii_lowercase();
    let ok = v == "auto"
        || v.split_once('-').is_some_and(|(l, q)| {
            matches!(l, "flat" | "hnsw") && matches!(q, "f32" | "f16" | "i8")
        });
    if ok {
        Ok(v)
    } else {
        Err(format!(
            "{s:?} is not auto, flat-f32, flat-f16, flat-i8, hnsw-f32, hnsw-f16 or hnsw-i8"
        ))
    }
}

fn parse_unit_interval(s: &str) -> Result<f32, String> {
    let v: f32 = s
        .trim()
        .parse()
        .map_err(|_| "expected a number between 0 and 1".to_string())?;
    if !(0.0..=1.0).contains(&v) || v.is_nan() {
        return Err("must be between 0 and 1".into());
    }
    Ok(v)
}

fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// The effective configuration. Field docs name the environment variable.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NicConfig {
    /// `NOVA_DATA_DIR`: index generations, catalog, audit log.
    pub data_dir: PathBuf,
    /// `NOVA_BIND`: listen address (may include a port).
    pub bind: String,
    /// `NOVA_PORT`: listen port (overrides a port in `bind`).
    pub port: u16,
    /// `EMBEDDING_MODEL`: model directory, or a name resolved under `models/`.
    pub embedding_model: String,
    /// `NOVA_BATCH_SIZE`: embedding batch size; lower = less memory. Default 4: on two
    /// cores ingest is as fast at 4 as at 8 (10.4 s against 10.6 s for 139 chunks of
    /// PDFs, `nic bench ingest`) with 110 MB less peak RSS.
    pub batch_size: usize,
    /// `NOVA_MAX_WORKERS`: concurrent answer pipelines / embedding threads.
    pub max_workers: usize,
    /// `NOVA_QUEUE_MAX`: requests waiting for a worker before 503.
    pub queue_max: usize,
    /// `NOVA_CACHE_MAX_MB`: byte budget of the query caches.
    pub cache_max_mb: u64,
    /// `NOVA_CACHE_TTL`: seconds a cache entry lives.
    pub cache_ttl_s: u64,
    /// `NOVA_SESSION_MAX`: sessions kept at most.
    pub session_max: usize,
    /// `NOVA_SESSION_TTL`: idle seconds before a session expires.
    pub session_ttl_s: u64,
    /// `NOVA_MEMORY_LIMIT_MB`: memory budget; 0 = cgroup `memory.max`, else physical RAM.
    pub memory_limit_mb: u64,
    /// `NOVA_HYBRID_SEARCH`: lexical + vector fusion (false: vector only).
    pub hybrid_search: bool,
    /// `NOVA_FUSION`: `weighted` (default) or `rrf`.
    pub fusion: FusionMethod,
    /// `NOVA_VECTOR_WEIGHT`: weight of the vector score in weighted fusion, in [0,1].
    pub vector_weight: f32,
    /// `NOVA_MMR_LAMBDA`: relevance vs diversity trade-off of MMR, in [0,1] (1 = no diversity).
    pub mmr_lambda: f32,
    /// `NOVA_DOMAIN_CAP`: at most this many results from one domain (0 = no cap).
    pub domain_cap: usize,
    /// `NOVA_CONFIDENCE_THRESHOLD`: abstain below this calibrated confidence.
    pub confidence_threshold: f32,
    /// `NOVA_TOP_K`: evidence chunks used for an answer.
    pub top_k: usize,
    /// `NOVA_LLM_BACKEND`: `none`, `ollama` or `openai`.
    pub llm_backend: LlmBackend,
    /// `NOVA_LLM_URL` (or `OLLAMA_HOST`): LLM server base URL.
    pub llm_url: String,
    /// `NOVA_LLM_MODEL`: model name passed to the LLM server.
    pub llm_model: Option<String>,
    /// `NOVA_LLM_TIMEOUT_S`: total time allowed for one generation.
    pub llm_timeout_s: u64,
    /// `OLLAMA_NUM_CTX`: context window sent with every Ollama request.
    pub num_ctx: usize,
    /// `NOVA_LLM_BREAKER_FAILURES`: consecutive failures that open the circuit breaker.
    pub llm_breaker_failures: u32,
    /// `NOVA_LLM_BREAKER_COOLDOWN_S`: seconds the breaker stays open.
    pub llm_breaker_cooldown_s: u64,
    /// `NOVA_API_TOKEN`: when set, required on `/api/*` and `/debug/*`.
    pub api_token: Option<String>,
    /// `NOVA_RATE_LIMIT_PER_MINUTE`: requests per client per minute (0 = off).
    pub rate_limit_per_minute: u32,
    /// `NOVA_AUTH_FAILURES_PER_MINUTE`: failed authentications (missing or wrong
    /// `NOVA_API_TOKEN`) a client address may make per minute; beyond them its `/api/*` and
    /// `/debug/*` requests get 429 until the allowance refills (0 = off).
    pub auth_failures_per_minute: u32,
    /// `NOVA_HTTP_HEADER_TIMEOUT_S`: seconds a client has to send a complete request head,
    /// counted from its first byte (from the connection for the first request).
    pub http_header_timeout_s: u64,
    /// `NOVA_HTTP_IDLE_TIMEOUT_S`: seconds a keep-alive connection may sit with no request
    /// in flight before the server closes it.
    pub http_idle_timeout_s: u64,
    /// `NOVA_HTTP_MAX_CONNECTIONS`: client connections served at once; further ones wait in
    /// the listen backlog (an idle keep-alive connection is closed to make room).
    pub http_max_connections: usize,
    /// `NOVA_LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
    /// `NOVA_KEEP_GENERATIONS`: published generations kept on disk for rollback.
    pub keep_generations: usize,
    /// `NOVA_VECTOR_INDEX`: vector tier an ingest publishes: `auto` (flat-i8 below
    /// `NOVA_HNSW_MIN_CHUNKS`, hnsw-f16 from there on) or `<flat|hnsw>-<f32|f16|i8>`.
    pub vector_index: String,
    /// `NOVA_HNSW_MIN_CHUNKS`: chunk count from which `auto` builds an HNSW graph (0 = never).
    pub hnsw_min_chunks: usize,
    /// `NOVA_PDF_TIMEOUT_S`: time limit for extracting one PDF.
    pub pdf_timeout_s: u64,
    /// `NOVA_MAX_FILE_MB`: files larger than this are rejected at ingest.
    pub max_file_mb: u64,
    /// `NOVA_AUDIT_QUESTIONS`: how questions are stored in the audit log.
    pub audit_questions: AuditQuestions,
    /// `NOVA_AUDIT_RETENTION_DAYS`: audit segments older than this are removed (0 = keep).
    pub audit_retention_days: u64,
}

impl Default for NicConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./nic-data"),
            bind: "127.0.0.1".into(),
            port: 5000,
            embedding_model: "models/all-MiniLM-L6-v2".into(),
            batch_size: 4,
            max_workers: default_workers(),
            queue_max: 64,
            cache_max_mb: 64,
            cache_ttl_s: 3600,
            session_max: 1000,
            session_ttl_s: 3600,
            memory_limit_mb: 0,
            hybrid_search: true,
            fusion: FusionMethod::Weighted,
            vector_weight: 0.6,
            mmr_lambda: 0.75,
            domain_cap: 0,
            confidence_threshold: 0.55,
            top_k: 5,
            llm_backend: LlmBackend::None,
            llm_url: "http://127.0.0.1:11434".into(),
            llm_model: None,
            llm_timeout_s: 60,
            num_ctx: 4096,
            llm_breaker_failures: 3,
            llm_breaker_cooldown_s: 30,
            api_token: None,
            rate_limit_per_minute: 60,
            auth_failures_per_minute: 10,
            http_header_timeout_s: 10,
            http_idle_timeout_s: 60,
            http_max_connections: 512,
            log_format: LogFormat::Text,
            keep_generations: 2,
            vector_index: "auto".into(),
            hnsw_min_chunks: 200_000,
            pdf_timeout_s: 60,
            max_file_mb: 256,
            audit_questions: AuditQuestions::Text,
            audit_retention_days: 0,
        }
    }
}

/// Every environment variable NIC reads. Anything else starting with `NOVA_` is a typo.
pub const ENV_VARS: &[&str] = &[
    "NOVA_DATA_DIR",
    "NOVA_BIND",
    "NOVA_PORT",
    "EMBEDDING_MODEL",
    "NOVA_BATCH_SIZE",
    "NOVA_MAX_WORKERS",
    "NOVA_QUEUE_MAX",
    "NOVA_CACHE_MAX_MB",
    "NOVA_CACHE_TTL",
    "NOVA_SESSION_MAX",
    "NOVA_SESSION_TTL",
    "NOVA_MEMORY_LIMIT_MB",
    "NOVA_HYBRID_SEARCH",
    "NOVA_FUSION",
    "NOVA_VECTOR_WEIGHT",
    "NOVA_MMR_LAMBDA",
    "NOVA_DOMAIN_CAP",
    "NOVA_CONFIDENCE_THRESHOLD",
    "NOVA_TOP_K",
    "NOVA_LLM_BACKEND",
    "NOVA_LLM_URL",
    "OLLAMA_HOST",
    "NOVA_LLM_MODEL",
    "NOVA_LLM_TIMEOUT_S",
    "OLLAMA_NUM_CTX",
    "NOVA_LLM_BREAKER_FAILURES",
    "NOVA_LLM_BREAKER_COOLDOWN_S",
    "NOVA_API_TOKEN",
    "NOVA_RATE_LIMIT_PER_MINUTE",
    "NOVA_AUTH_FAILURES_PER_MINUTE",
    "NOVA_HTTP_HEADER_TIMEOUT_S",
    "NOVA_HTTP_IDLE_TIMEOUT_S",
    "NOVA_HTTP_MAX_CONNECTIONS",
    "NOVA_LOG_FORMAT",
    "NOVA_KEEP_GENERATIONS",
    "NOVA_VECTOR_INDEX",
    "NOVA_HNSW_MIN_CHUNKS",
    "NOVA_PDF_TIMEOUT_S",
    "NOVA_MAX_FILE_MB",
    "NOVA_AUDIT_QUESTIONS",
    "NOVA_AUDIT_RETENTION_DAYS",
    "NOVA_CONFIG",
];

fn set<T>(
    name: &str,
    value: &str,
    slot: &mut T,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<(), ConfigError> {
    *slot = parse(value).map_err(|reason| ConfigError::Invalid {
        name: name.to_string(),
        value: value.to_string(),
        reason,
    })?;
    Ok(())
}

fn any<T: FromStr>(s: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    s.trim().parse::<T>().map_err(|e| e.to_string())
}

fn non_empty(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(s.trim().to_string())
    }
}

fn optional(s: &str) -> Result<Option<String>, String> {
    Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty()))
}

fn non_negative_u64(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| "expected a whole number ≥ 0".to_string())
}

impl NicConfig {
    /// Reads `nic.toml`-style configuration from a file on top of the defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Loads defaults < config file (explicit `path`, else `NOVA_CONFIG`, else `./nic.toml`
    /// when present) < environment. Flags are applied by the caller afterwards.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(path, &env)
    }

    /// [`NicConfig::load`] with an explicit environment (testable without touching the
    /// process environment).
    pub fn load_from(path: Option<&Path>, env: &[(String, String)]) -> Result<Self, ConfigError> {
        let lookup = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let file = path
            .map(Path::to_path_buf)
            .or_else(|| lookup("NOVA_CONFIG").map(PathBuf::from))
            .or_else(|| Some(PathBuf::from("nic.toml")).filter(|p| p.is_file()));
        let mut cfg = match file {
            Some(p) => Self::from_file(&p)?,
            None => Self::default(),
        };
        for (name, value) in env {
            cfg.apply_env(name, value)?;
        }
        Ok(cfg)
    }

    /// Applies one environment variable; unknown names are ignored here (see
    /// [`unknown_env_vars`]).
    pub fn apply_env(&mut self, name: &str, v: &str) -> Result<(), ConfigError> {
        match name {
            "NOVA_DATA_DIR" => set(name, v, &mut self.data_dir, |s| {
                non_empty(s).map(PathBuf::from)
            }),
            "NOVA_BIND" => set(name, v, &mut self.bind, non_empty),
            "NOVA_PORT" => set(name, v, &mut self.port, any::<u16>),
            "EMBEDDING_MODEL" => set(name, v, &mut self.embedding_model, non_empty),
            "NOVA_BATCH_SIZE" => set(name, v, &mut self.batch_size, parse_positive),
            "NOVA_MAX_WORKERS" => set(name, v, &mut self.max_workers, parse_positive),
            "NOVA_QUEUE_MAX" => set(name, v, &mut self.queue_max, any::<usize>),
            "NOVA_CACHE_MAX_MB" => set(name, v, &mut self.cache_max_mb, non_negative_u64),
            "NOVA_CACHE_TTL" => set(name, v, &mut self.cache_ttl_s, parse_positive),
            "NOVA_SESSION_MAX" => set(name, v, &mut self.session_max, parse_positive),
            "NOVA_SESSION_TTL" => set(name, v, &mut self.session_ttl_s, parse_positive),
            "NOVA_MEMORY_LIMIT_MB" => set(name, v, &mut self.memory_limit_mb, non_negative_u64),
            "NOVA_HYBRID_SEARCH" => set(name, v, &mut self.hybrid_search, parse_bool),
            "NOVA_FUSION" => set(name, v, &mut self.fusion, any::<FusionMethod>),
            "NOVA_VECTOR_WEIGHT" => set(name, v, &mut self.vector_weight, parse_unit_interval),
            "NOVA_MMR_LAMBDA" => set(name, v, &mut self.mmr_lambda, parse_unit_interval),
            "NOVA_DOMAIN_CAP" => set(name, v, &mut self.domain_cap, any::<usize>),
            "NOVA_CONFIDENCE_THRESHOLD" => {
                set(name, v, &mut self.confidence_threshold, parse_unit_interval)
            }
            "NOVA_TOP_K" => set(name, v, &mut self.top_k, parse_positive),
            "NOVA_LLM_BACKEND" => set(name, v, &mut self.llm_backend, any::<LlmBackend>),
            "NOVA_LLM_URL" | "OLLAMA_HOST" => set(name, v, &mut self.llm_url, |s| {
                let s = non_empty(s)?;
                Ok(if s.contains("://") {
                    s
                } else {
                    format!("http://{s}")
                })
            }),
            "NOVA_LLM_MODEL" => set(name, v, &mut self.llm_model, optional),
            "NOVA_LLM_TIMEOUT_S" => set(name, v, &mut self.llm_timeout_s, parse_positive),
            "OLLAMA_NUM_CTX" => set(name, v, &mut self.num_ctx, parse_positive),
            "NOVA_LLM_BREAKER_FAILURES" => {
                set(name, v, &mut self.llm_breaker_failures, parse_positive)
            }
            "NOVA_LLM_BREAKER_COOLDOWN_S" => {
                set(name, v, &mut self.llm_breaker_cooldown_s, parse_positive)
            }
            "NOVA_API_TOKEN" => set(name, v, &mut self.api_token, optional),
            "NOVA_RATE_LIMIT_PER_MINUTE" => {
                set(name, v, &mut self.rate_limit_per_minute, any::<u32>)
            }
            "NOVA_AUTH_FAILURES_PER_MINUTE" => {
                set(name, v, &mut self.auth_failures_per_minute, any::<u32>)
            }
            "NOVA_HTTP_HEADER_TIMEOUT_S" => {
                set(name, v, &mut self.http_header_timeout_s, parse_positive)
            }
            "NOVA_HTTP_IDLE_TIMEOUT_S" => {
                set(name, v, &mut self.http_idle_timeout_s, parse_positive)
            }
            "NOVA_HTTP_MAX_CONNECTIONS" => {
                set(name, v, &mut self.http_max_connections, parse_positive)
            }
            "NOVA_LOG_FORMAT" => set(name, v, &mut self.log_format, any::<LogFormat>),
            "NOVA_KEEP_GENERATIONS" => set(name, v, &mut self.keep_generations, parse_positive),
            "NOVA_VECTOR_INDEX" => set(name, v, &mut self.vector_index, parse_vector_index),
            "NOVA_HNSW_MIN_CHUNKS" => set(name, v, &mut self.hnsw_min_chunks, any::<usize>),
            "NOVA_PDF_TIMEOUT_S" => set(name, v, &mut self.pdf_timeout_s, parse_positive),
            "NOVA_MAX_FILE_MB" => set(name, v, &mut self.max_file_mb, parse_positive),
            "NOVA_AUDIT_QUESTIONS" => {
                set(name, v, &mut self.audit_questions, any::<AuditQuestions>)
            }
            "NOVA_AUDIT_RETENTION_DAYS" => {
                set(name, v, &mut self.audit_retention_days, non_negative_u64)
            }
            _ => Ok(()),
        }
    }

    /// The socket address to listen on: `NOVA_BIND` with `NOVA_PORT` (a port inside
    /// `NOVA_BIND` is replaced by `NOVA_PORT` unless the port is the default).
    pub fn listen_addr(&self) -> String {
        let host = self.bind.trim();
        if let Ok(sa) = host.parse::<std::net::SocketAddr>() {
            if self.port == 5000 {
                return sa.to_string();
            }
            return std::net::SocketAddr::new(sa.ip(), self.port).to_string();
        }
        if host.contains(':') && !host.starts_with('[') && host.matches(':').count() > 1 {
            return format!("[{host}]:{}", self.port);
        }
        format!("{host}:{}", self.port)
    }

    /// Resolves `EMBEDDING_MODEL`: an existing directory as given, else a bare name under
    /// `models/`.
    pub fn model_dir(&self) -> PathBuf {
        let p = PathBuf::from(&self.embedding_model);
        if p.is_dir() || p.components().count() > 1 {
            return p;
        }
        PathBuf::from("models").join(&self.embedding_model)
    }

    /// The config as TOML with secrets masked, for `nic config` and `nic diagnose`: the API
    /// token, and credentials in the LLM URL ([`mask_url_credentials`]).
    pub fn to_masked_toml(&self) -> String {
        let mut c = self.clone();
        if c.api_token.is_some() {
            c.api_token = Some("********".into());
        }
        c.llm_url = mask_url_credentials(&c.llm_url);
        toml::to_string_pretty(&c).unwrap_or_else(|e| format!("# cannot render config: {e}"))
    }
}

/// What replaces the user-info part of a URL (`user:password@`).
pub const MASKED_CREDENTIALS: &str = "***";

/// Text with the credentials of every URL in it masked, for anything printed, logged or
/// served: `http://user:pw@host:11434/v1` → `http://***@host:11434/v1`; works for any scheme
/// (`redis://:pw@cache`, `postgres://u:p@db/x`) and for URLs inside a longer message
/// (`error sending request for url (http://u:p@h/api/chat)`). A bare `user:pw@host` (an
/// `OLLAMA_HOST` without a scheme) is masked too. Text without credentials is unchanged.
pub fn mask_url_credentials(text: &str) -> String {
    let ends_authority = |c: char| {
        matches!(
            c,
            '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '(' | ')' | '[' | ']' | ','
        ) || c.is_whitespace()
    };
    if !text.contains("://") {
        // `user:pw@host[:port][/path]`, a single token.
        let authority_end = text.find(ends_authority).unwrap_or(text.len());
        if !text.trim().contains(char::is_whitespace) {
            if let Some(at) = text[..authority_end].rfind('@') {
                return format!("{MASKED_CREDENTIALS}{}", &text[at..]);
            }
        }
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let start = i + 3;
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let authority_end = after.find(ends_authority).unwrap_or(after.len());
        match after[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str(MASKED_CREDENTIALS);
                out.push_str(&after[at..authority_end]);
            }
            None => out.push_str(&after[..authority_end]),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

/// `NOVA_*` variables in `env` that NIC does not know (a typo guard, reported at start).
pub fn unknown_env_vars(env: &[(String, String)]) -> Vec<String> {
    env.iter()
        .map(|(n, _)| n)
        .filter(|n| n.starts_with("NOVA_") && !ENV_VARS.contains(&n.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn url_credentials_are_masked_in_any_text() {
        let cases = [
            ("http://user:password@host:11434", "http://***@host:11434"),
            ("https://u:p@api.example.com/v1/chat?x=1", "https://***@api.example.com/v1/chat?x=1"),
            ("redis://:secret@cache:6379/0", "redis://***@cache:6379/0"),
            ("postgres://nic:pw@db/nic", "postgres://***@db/nic"),
            ("user:pw@10.0.0.5:11434", "***@10.0.0.5:11434"),
            ("http://127.0.0.1:11434", "http://127.0.0.1:11434"),
            ("http://host/path@not-credentials", "http://host/path@not-credentials"),
            (
                "error sending request for url (http://a:b@h:1/api/chat): refused; retry http://c:d@h2",
                "error sending request for url (http://***@h:1/api/chat): refused; retry http://***@h2",
            ),
            ("write to ops@example.com please", "write to ops@example.com please"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(mask_url_credentials(input), want, "{input}");
        }
        // The password never survives, whatever its characters.
        let url = "http://us%40er:p@ss:w0rd@host/";
        assert!(!mask_url_credentials(url).contains("w0rd"));
    }

    #[test]
    fn masked_toml_hides_token_and_url_password() {
        let c = NicConfig {
            llm_url: "http://user:hunter2@llm:8080/v1".into(),
            api_token: Some("tok-secret".into()),
            ..NicConfig::default()
        };
        let t = c.to_masked_toml();
        assert!(!t.contains("hunter2") && !t.contains("tok-secret"), "{t}");
        assert!(t.contains("http://***@llm:8080/v1"), "{t}");
    }

    #[test]
    fn env_overrides_defaults() {
        let c = NicConfig::load_from(
            None,
            &env(&[("NOVA_BATCH_SIZE", "2"), ("OLLAMA_HOST", "localhost:11434")]),
        )
        .unwrap();
        assert_eq!(c.batch_size, 2);
        assert_eq!(c.llm_url, "http://localhost:11434");
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (k, v) in [
            ("NOVA_BATCH_SIZE", "abc"),
            ("NOVA_CACHE_MAX_MB", "-1"),
            ("NOVA_BATCH_SIZE", "0"),
            ("NOVA_CONFIDENCE_THRESHOLD", "1.5"),
            ("NOVA_LLM_BACKEND", "gpt"),
        ] {
            let err = NicConfig::load_from(None, &env(&[(k, v)])).unwrap_err();
            assert!(err.to_string().contains(k), "{err}");
        }
    }

    #[test]
    fn connection_and_auth_limits_are_configurable() {
        let d = NicConfig::default();
        assert_eq!(
            (
                d.http_header_timeout_s,
                d.http_idle_timeout_s,
                d.http_max_connections,
                d.auth_failures_per_minute
            ),
            (10, 60, 512, 10)
        );
        let c = NicConfig::load_from(
            None,
            &env(&[
                ("NOVA_HTTP_HEADER_TIMEOUT_S", "3"),
                ("NOVA_HTTP_IDLE_TIMEOUT_S", "30"),
                ("NOVA_HTTP_MAX_CONNECTIONS", "64"),
                ("NOVA_AUTH_FAILURES_PER_MINUTE", "0"),
            ]),
        )
        .unwrap();
        assert_eq!(c.http_header_timeout_s, 3);
        assert_eq!(c.http_idle_timeout_s, 30);
        assert_eq!(c.http_max_connections, 64);
        assert_eq!(c.auth_failures_per_minute, 0);
        for k in [
            "NOVA_HTTP_HEADER_TIMEOUT_S",
            "NOVA_HTTP_IDLE_TIMEOUT_S",
            "NOVA_HTTP_MAX_CONNECTIONS",
        ] {
            let err = NicConfig::load_from(None, &env(&[(k, "0")])).unwrap_err();
            assert!(err.to_string().contains(k), "{err}");
        }
        let err = NicConfig::load_from(None, &env(&[("NOVA_AUTH_FAILURES_PER_MINUTE", "-1")]))
            .unwrap_err();
        assert!(err.to_string().contains("NOVA_AUTH_FAILURES_PER_MINUTE"));
        assert!(unknown_env_vars(&env(&[
            ("NOVA_HTTP_HEADER_TIMEOUT_S", "3"),
            ("NOVA_HTTP_IDLE_TIMEOUT_S", "3"),
            ("NOVA_HTTP_MAX_CONNECTIONS", "3"),
            ("NOVA_AUTH_FAILURES_PER_MINUTE", "3"),
        ]))
        .is_empty());
    }

    #[test]
    fn unknown_nova_vars_are_reported() {
        let u = unknown_env_vars(&env(&[("NOVA_BACH_SIZE", "4"), ("PATH", "/bin")]));
        assert_eq!(u, vec!["NOVA_BACH_SIZE".to_string()]);
    }

    #[test]
    fn file_then_env() {
        let dir = std::env::temp_dir().join(format!("nic-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("nic.toml");
        std::fs::write(&f, "batch_size = 16\nport = 6000\n").unwrap();
        let c = NicConfig::load_from(Some(&f), &env(&[("NOVA_PORT", "7000")])).unwrap();
        assert_eq!(c.batch_size, 16);
        assert_eq!(c.port, 7000);
        assert_eq!(c.listen_addr(), "127.0.0.1:7000");
        std::fs::write(&f, "bogus_key = 1\n").unwrap();
        assert!(NicConfig::load_from(Some(&f), &[]).is_err());
    }

    #[test]
    fn masked_toml_hides_token() {
        let c = NicConfig {
            api_token: Some("s3cret".into()),
            ..Default::default()
        };
        let t = c.to_masked_toml();
        assert!(!t.contains("s3cret"));
    }
}
