//! Shared server state: the engine, the admission control (workers, queue, rate limits,
//! memory shedding) and what `/health` and `/metrics` report.

use crate::observe::ServerMetrics;
use crate::ratelimit::{AuthFailureLimiter, RateLimiter};
use nic_answer::Engine;
use nic_core::NicConfig;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

pub struct AppState {
    pub engine: Arc<Engine>,
    pub config: NicConfig,
    pub started: Instant,
    pub workers: Arc<Semaphore>,
    pub waiting: AtomicUsize,
    pub inflight: AtomicUsize,
    pub rate: RateLimiter,
    /// Failed authentications per client address (`NOVA_AUTH_FAILURES_PER_MINUTE`).
    pub auth_failures: AuthFailureLimiter,
    /// Turns a presented token into the client id of sessions and the audit log (a keyed
    /// hash; `<data_dir>/audit.key`).
    pub client_key: nic_audit::ClientKey,
    pub memory: nic_ops::memory::MemoryMonitor,
    pub metrics: nic_ops::metrics::NicMetrics,
    /// Connection and authentication metrics, on `metrics`' registry.
    pub server_metrics: Arc<ServerMetrics>,
    /// When the fail-line relief last ran (admission).
    pub last_relief: parking_lot::Mutex<Option<Instant>>,
    /// Serialises `/api/reload` (one ingest at a time).
    pub reload_lock: tokio::sync::Mutex<()>,
    /// Weights of the embedding model, for `/health` and `/debug/memory`.
    pub embedder: Arc<nic_embed::LazyEmbedder>,
    /// The tamper-evident audit log writer (None when it could not be opened: answers go
    /// on, `/health` warns).
    pub audit: Option<Arc<nic_audit::AuditWriter>>,
    pub audit_error: Option<String>,
    /// Last LLM health probe (background task), for `/health`.
    pub llm_reachable: std::sync::atomic::AtomicBool,
    /// Counter values already exported to Prometheus (counters only add deltas).
    pub last_cache_counts:
        parking_lot::Mutex<std::collections::HashMap<&'static str, (u64, u64, u64)>>,
    pub last_llm_counts: parking_lot::Mutex<std::collections::HashMap<&'static str, u64>>,
    /// The background checksum verification of the served generation: `(generation,
    /// problems)`, `None` until it has run. Problems make `/health` unhealthy.
    pub index_verified: parking_lot::Mutex<Option<(u64, Vec<String>)>>,
}

pub type SharedState = Arc<AppState>;

/// Decrements a counter when dropped (in-flight and queue accounting that survives
/// cancellation: a client that goes away still releases its slot).
pub struct CountGuard<'a>(pub &'a AtomicUsize);

impl<'a> CountGuard<'a> {
    pub fn enter(c: &'a AtomicUsize) -> Self {
        c.fetch_add(1, Ordering::SeqCst);
        Self(c)
    }
}

impl Drop for CountGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
