//! Every metric of DESIGN §5, pre-registered with its contract name and labels.
//!
//! The server owns one `NicMetrics` (no global), updates it from request handlers, and calls
//! [`NicMetrics::render`] on `GET /metrics` with the current memory snapshot, so the memory
//! gauges are always as fresh as the snapshot cache.

use super::{encode_process_metrics, Counter, CounterVec, Gauge, GaugeVec, HistogramVec, Registry};
use crate::memory::MemorySnapshot;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Latency buckets in seconds: from 1 ms (a cached search) to 120 s (a slow local LLM).
pub const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// The `phase` label of `nova_query_latency_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Embed,
    Retrieval,
    Llm,
    Total,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Embed, Phase::Retrieval, Phase::Llm, Phase::Total];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Embed => "embed",
            Phase::Retrieval => "retrieval",
            Phase::Llm => "llm",
            Phase::Total => "total",
        }
    }
}

/// The `kind` values of `nova_memory_usage_bytes`.
pub const MEMORY_KINDS: [&str; 4] = ["rss", "anon", "file", "heap"];

/// The answer statuses of the API (`/api/ask` `status`), plus `error`.
pub const QUERY_STATUSES: [&str; 5] = ["answered", "abstained", "refused", "emergency", "error"];

/// NIC's metrics. Fields are public so handlers can keep handles to hot children.
pub struct NicMetrics {
    registry: Registry,
    proc_root: PathBuf,
    pub memory_usage_bytes: Arc<GaugeVec>,
    pub memory_usage_percent: Arc<Gauge>,
    pub memory_limit_bytes: Arc<Gauge>,
    pub query_latency_seconds: Arc<HistogramVec>,
    pub queries_total: Arc<CounterVec>,
    pub cache_hits_total: Arc<CounterVec>,
    pub cache_misses_total: Arc<CounterVec>,
    pub cache_evictions_total: Arc<CounterVec>,
    pub cache_bytes: Arc<GaugeVec>,
    pub cache_entries: Arc<GaugeVec>,
    pub sessions_active: Arc<Gauge>,
    pub safety_checks_total: Arc<CounterVec>,
    pub index_chunks: Arc<Gauge>,
    pub index_generation: Arc<Gauge>,
    pub llm_requests_total: Arc<CounterVec>,
    pub requests_rejected_total: Arc<CounterVec>,
    pub inflight_requests: Arc<Gauge>,
    pub http_requests_total: Arc<CounterVec>,
    pub audit_dropped_total: Arc<Counter>,
    pub build_info: Arc<GaugeVec>,
}

impl Default for NicMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl NicMetrics {
    pub fn new() -> Self {
        let r = Registry::new();
        let m = Self {
            memory_usage_bytes: r.gauge_vec(
                "nova_memory_usage_bytes",
                "Process memory by kind: rss, anon (heap and caches), file (mapped index, reclaimable), heap (allocator).",
                &["kind"],
            ),
            memory_usage_percent: r.gauge(
                "nova_memory_usage_percent",
                "Anonymous memory as a percentage of the memory budget (NOVA_MEMORY_LIMIT_MB, cgroup or RAM).",
            ),
            memory_limit_bytes: r.gauge(
                "nova_memory_limit_bytes",
                "The memory budget in bytes.",
            ),
            query_latency_seconds: r.histogram_vec(
                "nova_query_latency_seconds",
                "Query latency by phase (embed, retrieval, llm, total).",
                &["phase"],
                LATENCY_BUCKETS,
            ),
            queries_total: r.counter_vec(
                "nova_queries_total",
                "Questions answered, by answer status.",
                &["status"],
            ),
            cache_hits_total: r.counter_vec("nova_cache_hits_total", "Cache hits.", &["cache"]),
            cache_misses_total: r.counter_vec(
                "nova_cache_misses_total",
                "Cache misses.",
                &["cache"],
            ),
            cache_evictions_total: r.counter_vec(
                "nova_cache_evictions_total",
                "Entries evicted by byte budget, TTL or memory pressure.",
                &["cache"],
            ),
            cache_bytes: r.gauge_vec("nova_cache_bytes", "Bytes held by each cache.", &["cache"]),
            cache_entries: r.gauge_vec(
                "nova_cache_entries",
                "Entries held by each cache.",
                &["cache"],
            ),
            sessions_active: r.gauge("nova_sessions_active", "Sessions currently held."),
            safety_checks_total: r.counter_vec(
                "nova_safety_checks_total",
                "Safety checks run, by check and whether the question passed.",
                &["check", "passed"],
            ),
            index_chunks: r.gauge("nova_index_chunks", "Chunks in the served index generation."),
            index_generation: r.gauge(
                "nova_index_generation",
                "Number of the served index generation.",
            ),
            llm_requests_total: r.counter_vec(
                "nova_llm_requests_total",
                "Requests to the LLM backend, by outcome.",
                &["outcome"],
            ),
            requests_rejected_total: r.counter_vec(
                "nova_requests_rejected_total",
                "Requests shed or refused before work started, by reason.",
                &["reason"],
            ),
            inflight_requests: r.gauge(
                "nova_inflight_requests",
                "Answer pipelines running now.",
            ),
            http_requests_total: r.counter_vec(
                "nova_http_requests_total",
                "HTTP requests by route template and status code.",
                &["route", "code"],
            ),
            audit_dropped_total: r.counter(
                "nova_audit_dropped_total",
                "Audit log records dropped because the writer could not keep up.",
            ),
            build_info: r.gauge_vec(
                "nova_build_info",
                "Always 1; the version label names the running build.",
                &["version"],
            ),
            registry: r,
            proc_root: PathBuf::from("/proc"),
        };
        for kind in MEMORY_KINDS {
            m.memory_usage_bytes.with(&[kind]);
        }
        for phase in Phase::ALL {
            m.query_latency_seconds.with(&[phase.as_str()]);
        }
        for status in QUERY_STATUSES {
            m.queries_total.with(&[status]);
        }
        m
    }

    /// Reads `process_*` figures from another `/proc` (tests).
    pub fn with_proc_root(mut self, proc_root: impl Into<PathBuf>) -> Self {
        self.proc_root = proc_root.into();
        self
    }

    /// The registry, to add metrics beyond the contract (rendered after these).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Sets `nova_build_info{version}` to 1.
    pub fn set_version(&self, version: &str) {
        self.build_info.with(&[version]).set(1.0);
    }

    /// Creates the series of one cache at zero, so dashboards see it before its first hit.
    pub fn register_cache(&self, cache: &str) {
        self.cache_hits_total.with(&[cache]);
        self.cache_misses_total.with(&[cache]);
        self.cache_evictions_total.with(&[cache]);
        self.cache_bytes.with(&[cache]);
        self.cache_entries.with(&[cache]);
    }

    /// Records the duration of one phase of a query.
    pub fn observe_phase(&self, phase: Phase, d: Duration) {
        self.query_latency_seconds
            .with(&[phase.as_str()])
            .observe_duration(d);
    }

    /// Copies a memory snapshot into the memory gauges.
    pub fn set_memory(&self, s: &MemorySnapshot) {
        let set = |kind: &str, v: u64| self.memory_usage_bytes.with(&[kind]).set(v as f64);
        set("rss", s.rss_bytes);
        set("anon", s.anon_bytes);
        set("file", s.file_bytes);
        set("heap", s.heap_bytes());
        self.memory_usage_percent.set(s.usage_percent);
        self.memory_limit_bytes.set(s.limit_bytes as f64);
    }

    /// The `/metrics` body: memory gauges refreshed from `memory` (when given), every
    /// registered metric, then the `process_*` metrics. Serve with [`super::CONTENT_TYPE`].
    pub fn render(&self, memory: Option<&MemorySnapshot>) -> String {
        if let Some(s) = memory {
            self.set_memory(s);
        }
        let mut out = self.registry.render();
        encode_process_metrics(&mut out, &self.proc_root);
        out
    }
}
