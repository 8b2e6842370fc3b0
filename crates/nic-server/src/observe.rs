//! What the server records about each answer (metrics) and reports about the LLM.

use crate::state::SharedState;
use nic_answer::AskResponse;
use nic_ops::metrics::{Counter, CounterVec, Gauge, NicMetrics, Phase};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Metrics of the HTTP layer beyond DESIGN §5's list, on the same registry (rendered after
/// the contract metrics): connections (`conn.rs`) and failed authentications
/// (`middleware::guard`).
pub struct ServerMetrics {
    /// `nova_connections_open`: client connections being served.
    pub connections_open: Arc<Gauge>,
    /// `nova_connections_max`: `NOVA_HTTP_MAX_CONNECTIONS`.
    pub connections_max: Arc<Gauge>,
    /// `nova_connections_accepted_total`.
    pub connections_accepted_total: Arc<Counter>,
    /// `nova_connections_limited_total`: connections that found every slot taken and
    /// waited in the listen backlog.
    pub connections_limited_total: Arc<Counter>,
    /// `nova_connections_closed_total{reason}`: closed by the server, by
    /// [`crate::conn::CLOSE_REASONS`].
    pub connections_closed_total: Arc<CounterVec>,
    /// `nova_auth_failures_total`: requests with a missing or wrong `NOVA_API_TOKEN`.
    pub auth_failures_total: Arc<Counter>,
    /// `nova_auth_rate_limited_total`: requests refused (429) because their address used up
    /// `NOVA_AUTH_FAILURES_PER_MINUTE`.
    pub auth_rate_limited_total: Arc<Counter>,
}

impl ServerMetrics {
    pub fn register(m: &NicMetrics) -> Self {
        let r = m.registry();
        let s = Self {
            connections_open: r.gauge(
                "nova_connections_open",
                "Client connections being served now.",
            ),
            connections_max: r.gauge(
                "nova_connections_max",
                "Connections served at once at most (NOVA_HTTP_MAX_CONNECTIONS).",
            ),
            connections_accepted_total: r.counter(
                "nova_connections_accepted_total",
                "Client connections accepted.",
            ),
            connections_limited_total: r.counter(
                "nova_connections_limited_total",
                "Connections that found NOVA_HTTP_MAX_CONNECTIONS reached and waited in the listen backlog for a slot.",
            ),
            connections_closed_total: r.counter_vec(
                "nova_connections_closed_total",
                "Connections closed by the server: header_timeout (NOVA_HTTP_HEADER_TIMEOUT_S), idle_timeout (NOVA_HTTP_IDLE_TIMEOUT_S), evicted (idle, closed to make room at the connection limit).",
                &["reason"],
            ),
            auth_failures_total: r.counter(
                "nova_auth_failures_total",
                "Requests with a missing or wrong API token (NOVA_API_TOKEN).",
            ),
            auth_rate_limited_total: r.counter(
                "nova_auth_rate_limited_total",
                "Requests refused with 429 because their client address exceeded NOVA_AUTH_FAILURES_PER_MINUTE failed authentications.",
            ),
        };
        for reason in crate::conn::CLOSE_REASONS {
            s.connections_closed_total.with(&[reason]);
        }
        s
    }
}

pub fn record_answer(state: &SharedState, r: &AskResponse, total: Duration) {
    let m = &state.metrics;
    m.queries_total.with(&[r.status.as_str()]).inc();
    let ms = |v: f64| Duration::from_secs_f64((v / 1000.0).max(0.0));
    m.observe_phase(Phase::Embed, ms(r.timings_ms.embed));
    m.observe_phase(Phase::Retrieval, ms(r.timings_ms.retrieve));
    if r.timings_ms.generate > 0.0 {
        m.observe_phase(Phase::Llm, ms(r.timings_ms.generate));
    }
    m.observe_phase(Phase::Total, total);
    // Every ask passes the triage; record which checks fired.
    let t = &r.safety.triggers;
    let fired = |prefix: &str| t.iter().any(|x| x.starts_with(prefix));
    for (check, prefix) in [
        ("emergency", "emergency"),
        ("unsafe_intent", "unsafe"),
        ("prompt_injection", "injection"),
        ("false_premise", "false_premise"),
    ] {
        let passed = if fired(prefix) || (check == "prompt_injection" && fired("prompt_injection"))
        {
            "false"
        } else {
            "true"
        };
        m.safety_checks_total.with(&[check, passed]).inc();
    }
}

pub fn llm_status(state: &SharedState) -> Value {
    match state.engine.llm() {
        None => json!({"backend": "none", "model": null, "breaker": "closed"}),
        Some(llm) => {
            let b = llm.breaker();
            json!({
                "backend": llm.backend(),
                "model": llm.model(),
                "url": nic_core::config::mask_url_credentials(llm.url()),
                "breaker": b.state.as_str(),
                "retry_in_s": b.retry_in_s,
            })
        }
    }
}

/// Copies the engine's counters into the Prometheus gauges and counters before a render.
/// Counters only move forward: the delta since the last render is added.
pub fn refresh_gauges(state: &SharedState) {
    let m = &state.metrics;
    let mut last = state.last_cache_counts.lock();
    for c in state.engine.cache_stats() {
        let name = c.name;
        m.cache_bytes.with(&[name]).set(c.bytes as f64);
        m.cache_entries.with(&[name]).set(c.entries as f64);
        let prev = last.entry(name).or_insert((0, 0, 0));
        m.cache_hits_total
            .with(&[name])
            .inc_by(c.hits.saturating_sub(prev.0));
        m.cache_misses_total
            .with(&[name])
            .inc_by(c.misses.saturating_sub(prev.1));
        m.cache_evictions_total
            .with(&[name])
            .inc_by(c.evictions.saturating_sub(prev.2));
        *prev = (
            c.hits.max(prev.0),
            c.misses.max(prev.1),
            c.evictions.max(prev.2),
        );
    }
    let s = state.engine.sessions().stats();
    m.sessions_active.set(s.active as f64);
    let r = state.engine.retriever();
    m.index_chunks.set(r.generation().len() as f64);
    m.index_generation.set(r.generation().id() as f64);
    if let Some(llm) = state.engine.llm() {
        let mut last = state.last_llm_counts.lock();
        for (outcome, n) in llm.outcomes() {
            let prev = last.entry(outcome).or_insert(0);
            m.llm_requests_total
                .with(&[outcome])
                .inc_by(n.saturating_sub(*prev));
            *prev = n.max(*prev);
        }
    }
}

fn submit(state: &SharedState, rec: nic_audit::AuditRecord) {
    if let Some(w) = &state.audit {
        if !w.submit(rec) {
            state.metrics.audit_dropped_total.inc();
        }
    }
}

/// Appends the audit record of an answer (never blocks: a full queue drops and counts).
pub fn audit_answer(state: &SharedState, client: &str, question: &str, r: &AskResponse) {
    submit(
        state,
        nic_audit::AuditRecord {
            time_unix_ms: nic_audit::time::now_unix_ms(),
            request_id: r.request_id.clone(),
            session_id: Some(r.session_id.clone()),
            client: client.to_string(),
            question: question.to_string(),
            status: r.status.as_str().to_string(),
            mode: serde_json::to_value(r.mode)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            risk_level: r.safety.risk_level.clone(),
            triggers: r.safety.triggers.clone(),
            confidence: r.confidence,
            citations: r
                .citations
                .iter()
                .map(|c| nic_audit::AuditCitation {
                    doc: c.doc.clone(),
                    page: c.page,
                    section: c.section.clone(),
                    chunk_id: c.chunk_id.clone(),
                })
                .collect(),
            model: r.model.clone(),
            timings_ms: serde_json::to_value(&r.timings_ms).unwrap_or_default(),
            error_code: None,
        },
    );
}

pub fn audit_error(
    state: &SharedState,
    client: &str,
    request_id: &str,
    question: &str,
    session_id: Option<String>,
    code: &str,
) {
    submit(
        state,
        nic_audit::AuditRecord {
            time_unix_ms: nic_audit::time::now_unix_ms(),
            request_id: request_id.to_string(),
            session_id,
            client: client.to_string(),
            question: question.chars().take(4000).collect(),
            status: "error".into(),
            mode: "none".into(),
            risk_level: "none".into(),
            triggers: vec![],
            confidence: 0.0,
            citations: vec![],
            model: None,
            timings_ms: serde_json::Value::Null,
            error_code: Some(code.to_string()),
        },
    );
}
