//! NIC's HTTP layer (axum): the DESIGN §3 routes, token auth, per-client rate limits,
//! admission control and the embedded web UI. The engine (nic-answer) knows nothing of
//! HTTP; this crate knows nothing of retrieval internals.

mod admission;
mod body;
mod conn;
mod error;
mod middleware;
mod observe;
mod ratelimit;
mod reload;
mod routes;
mod state;

pub use conn::MAX_HEADER_BYTES;
pub use error::ApiError;
pub use routes::api::{check_json_body, JSON_ROUTES};
pub use state::{AppState, SharedState};

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use nic_answer::session::MemorySessionStore;
use nic_answer::Engine;
use nic_core::{Embedder, NicConfig};
use nic_index::Generation;
use nic_retrieve::{Retriever, RetrieverConfig};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Startup(String),
    #[error(
        "cannot listen on {addr}: {reason}. Another process may be using it; set NOVA_BIND / NOVA_PORT to another address"
    )]
    Bind { addr: String, reason: String },
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Builds the shared state: opens the current generation (checked against the model),
/// the lazy embedder, the LLM client and the stores.
pub fn build_state(config: NicConfig) -> Result<SharedState, ServeError> {
    let model_dir = config.model_dir();
    let embedder = Arc::new(
        nic_embed::LazyEmbedder::new(&model_dir).map_err(|e| ServeError::Startup(e.to_string()))?,
    );
    let gen = Generation::open_current(&config.data_dir).map_err(|e| {
        ServeError::Startup(format!(
            "{e} (data dir {}: run `nic ingest DIR` first, or `nic index rollback` if the current generation is corrupt)",
            config.data_dir.display()
        ))
    })?;
    // Sizes (checked by open) and SQLite headers at start: a damaged generation is refused.
    let damaged = nic_index::quick_check_generation(gen.dir());
    if !damaged.is_empty() {
        let list: Vec<String> = damaged
            .iter()
            .map(|p| format!("{}: {}", p.path, p.problem))
            .collect();
        return Err(ServeError::Startup(format!(
            "index generation {} is damaged ({}); run `nic index verify`, then `nic index rollback` or `nic ingest`",
            gen.id(),
            list.join("; ")
        )));
    }
    gen.check_model(embedder.model_id())
        .map_err(|e| ServeError::Startup(e.to_string()))?;
    let dyn_embedder: Arc<dyn Embedder> = embedder.clone();
    let retriever = Retriever::new(
        Arc::new(gen),
        dyn_embedder,
        RetrieverConfig::from_config(&config),
    );
    let sessions = Arc::new(MemorySessionStore::new(
        config.session_max,
        Duration::from_secs(config.session_ttl_s),
    ));
    nic_safety::warm_up();
    let llm = nic_llm::from_config(&config).map_err(|e| ServeError::Startup(e.to_string()))?;
    let engine = Arc::new(Engine::new(retriever, config.clone(), sessions, llm));
    let limit = Some(config.memory_limit_mb).filter(|m| *m > 0);
    let metrics = nic_ops::metrics::NicMetrics::new();
    metrics.set_version(nic_core::VERSION);
    // Every labelled series exists from the start (at 0), so rate() and alert rules work
    // before the first event of a kind.
    for o in nic_llm::Outcome::ALL {
        metrics.llm_requests_total.with(&[o.as_str()]);
    }
    for r in [
        "memory_pressure",
        "queue_full",
        "queue_timeout",
        "unauthorized",
        "rate_limited",
        "auth_rate_limited",
    ] {
        metrics.requests_rejected_total.with(&[r]);
    }
    let server_metrics = Arc::new(observe::ServerMetrics::register(&metrics));
    for s in ["answered", "abstained", "refused", "emergency", "error"] {
        metrics.queries_total.with(&[s]);
    }
    for c in engine.cache_stats() {
        metrics.register_cache(c.name);
    }
    let client_key = match nic_audit::ClientKey::load_or_create(&config.data_dir) {
        Ok(k) => k,
        // A key file that is there but unusable is never replaced behind the operator's
        // back: client ids in the audit log would silently change.
        Err(e @ nic_audit::AuditError::Key { .. }) => {
            return Err(ServeError::Startup(e.to_string()))
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot create the audit key; token client ids are keyed for this run only");
            nic_audit::ClientKey::ephemeral()
        }
    };
    let (audit, audit_error) =
        match nic_audit::AuditLog::open(&config.data_dir, config.audit_questions, None) {
            Ok(log) => (
                Some(Arc::new(nic_audit::AuditWriter::start_with(
                    log,
                    nic_audit::WriterOptions {
                        retention_days: config.audit_retention_days,
                        ..Default::default()
                    },
                ))),
                None,
            ),
            Err(e) => {
                tracing::warn!(error = %e, "audit log unavailable; answering without it");
                (None, Some(e.to_string()))
            }
        };
    Ok(Arc::new(AppState {
        audit,
        audit_error,
        workers: Arc::new(Semaphore::new(config.max_workers)),
        waiting: AtomicUsize::new(0),
        inflight: AtomicUsize::new(0),
        rate: ratelimit::RateLimiter::new(config.rate_limit_per_minute),
        auth_failures: ratelimit::AuthFailureLimiter::new(config.auth_failures_per_minute),
        client_key,
        memory: nic_ops::memory::MemoryMonitor::new(limit),
        metrics,
        server_metrics,
        reload_lock: tokio::sync::Mutex::new(()),
        last_relief: parking_lot::Mutex::new(None),
        embedder,
        llm_reachable: AtomicBool::new(false),
        last_cache_counts: Default::default(),
        last_llm_counts: Default::default(),
        started: Instant::now(),
        index_verified: parking_lot::Mutex::new(None),
        engine,
        config,
    }))
}

pub fn router(state: SharedState) -> Router {
    use routes::{api, ops, ui};
    Router::new()
        .route("/", get(ui::index))
        .route("/assets/app.js", get(ui::app_js))
        .route("/assets/app.css", get(ui::app_css))
        .route("/assets/favicon.svg", get(ui::favicon))
        .route("/favicon.ico", get(ui::favicon))
        .route("/api/ask", post(api::ask))
        .route("/api/search", post(api::search))
        .route("/api/retrieve", post(api::retrieve))
        .route(
            "/api/sessions/{id}",
            get(api::get_session).delete(api::delete_session),
        )
        .route("/api/reload", post(api::reload))
        .route("/api/status", get(api::status))
        .route("/health", get(ops::health))
        .route("/health/live", get(ops::live))
        .route("/health/ready", get(ops::ready))
        .route("/metrics", get(ops::metrics))
        .route("/debug/memory", get(ops::debug_memory))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(body::MAX_BODY))
        .layer(axum::middleware::from_fn(middleware::declared_size))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::guard,
        ))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(axum::middleware::from_fn(middleware::request_id))
        .with_state(state)
}

/// The model directory still has what the embedder needs (readiness).
pub fn model_files_present(dir: &std::path::Path) -> bool {
    ["config.json", "tokenizer.json", "model.safetensors"]
        .iter()
        .all(|f| dir.join(f).is_file())
}

/// `--warm`: read every file of the generation once so its pages are in the page cache
/// before the first request.
fn prefault(dir: &std::path::Path) {
    fn walk(p: &std::path::Path) {
        let Ok(rd) = std::fs::read_dir(p) else { return };
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path);
            } else if let Ok(mut f) = std::fs::File::open(&path) {
                let mut buf = vec![0u8; 1 << 20];
                while matches!(std::io::Read::read(&mut f, &mut buf), Ok(n) if n > 0) {}
            }
        }
    }
    walk(dir);
}

/// Background upkeep: session expiry and the LLM reachability probe (the memory-pressure
/// response is `admission::spawn_pressure_watch`).
/// Recomputes the served generation's checksums in the background (a full read, so not on
/// the start-up path); `/health` reports what it finds. Reloads re-run it (see `reload`).
pub fn spawn_index_verification(state: SharedState) {
    let id = state.engine.retriever().generation().id();
    let data_dir = state.config.data_dir.clone();
    tokio::task::spawn_blocking(move || {
        let problems = match nic_index::verify_generation(&data_dir, Some(id)) {
            Ok((_, p)) => p
                .into_iter()
                .map(|p| format!("{}: {}", p.path, p.problem))
                .collect(),
            Err(e) => vec![e.to_string()],
        };
        if !problems.is_empty() {
            tracing::error!(generation = id, problems = ?problems, "the served index generation fails verification; /health is unhealthy; run `nic index rollback`");
        }
        *state.index_verified.lock() = Some((id, problems));
    });
}

fn spawn_upkeep(state: SharedState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(15));
        loop {
            tick.tick().await;
            state.engine.sessions().sweep();
            if let Some(llm) = state.engine.llm() {
                let h = llm.health().await;
                state
                    .llm_reachable
                    .store(h.reachable, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// Binds, prints `listening on http://ADDR` (the line scripts and tests wait for), and
/// serves until SIGTERM/SIGINT, letting in-flight requests finish.
pub async fn serve(state: SharedState, warm: bool) -> Result<(), ServeError> {
    let addr = state.config.listen_addr();
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| ServeError::Bind {
            addr: addr.clone(),
            reason: e.to_string(),
        })?;
    let local = listener.local_addr()?;
    if warm {
        let st = state.clone();
        tokio::task::spawn_blocking(move || {
            let _ = st.embedder.embed(&["warm-up"]);
            prefault(st.engine.retriever().generation().dir());
        })
        .await
        .ok();
    }
    if let Some(llm) = state.engine.llm() {
        let h = llm.health().await;
        state
            .llm_reachable
            .store(h.reachable, std::sync::atomic::Ordering::Relaxed);
        if !h.reachable {
            let detail = nic_core::config::mask_url_credentials(&h.detail);
            tracing::warn!(detail = %detail, "LLM not reachable at start; serving extractive answers (degraded)");
        }
    }
    spawn_upkeep(state.clone());
    admission::spawn_pressure_watch(state.clone());
    println!("listening on http://{local}");
    use std::io::Write;
    std::io::stdout().flush().ok();
    serve_on(listener, state, shutdown_signal()).await
}

/// Serves the API on a listener the caller already bound until `shutdown` resolves; then
/// stops accepting and lets in-flight requests finish. `serve` uses it with SIGTERM/SIGINT;
/// tests use it with an ephemeral loopback port and their own shutdown trigger. Header and
/// idle timeouts and the connection limit (`NOVA_HTTP_*`) are applied here, see `conn`.
pub async fn serve_on<F>(
    listener: tokio::net::TcpListener,
    state: SharedState,
    shutdown: F,
) -> Result<(), ServeError>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    spawn_index_verification(state.clone());
    let limits = conn::ConnLimits::from_config(&state.config);
    let metrics = state.server_metrics.clone();
    conn::serve(listener, router(state), limits, metrics, shutdown).await?;
    Ok(())
}
