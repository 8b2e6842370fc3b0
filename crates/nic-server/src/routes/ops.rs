//! Operator routes (DESIGN §5): `/health`, `/health/live`, `/health/ready`, `/metrics`,
//! `/debug/memory`.

use crate::state::SharedState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use nic_ops::memory::Status;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

fn check(status: Status, mut details: Value) -> Value {
    if let Some(o) = details.as_object_mut() {
        o.insert("status".into(), json!(status.as_str()));
    }
    details
}

/// Free and total bytes of the filesystem holding `path`.
fn disk_space(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::ffi::CString;
    let c = CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `s` a properly sized out-parameter.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut s) };
    if rc != 0 {
        return None;
    }
    let bs = s.f_frsize as u64;
    Some((s.f_bavail as u64 * bs, s.f_blocks as u64 * bs))
}

fn disk_check(state: &SharedState) -> Value {
    let dir = &state.config.data_dir;
    let writable = std::fs::metadata(dir)
        .map(|m| !m.permissions().readonly())
        .unwrap_or(false);
    match disk_space(dir) {
        Some((free, total)) => {
            let status = if !writable || free < 100 * 1024 * 1024 {
                Status::Fail
            } else if free < 1024 * 1024 * 1024 || free * 20 < total {
                Status::Warn
            } else {
                Status::Pass
            };
            check(
                status,
                json!({"path": dir, "free_bytes": free, "total_bytes": total, "writable": writable}),
            )
        }
        None => check(
            Status::Fail,
            json!({"path": dir, "error": "data dir missing or unreadable"}),
        ),
    }
}

pub fn health_value(state: &SharedState) -> (Value, StatusCode) {
    let mem = state.memory.snapshot();
    let memory = check(
        mem.status,
        json!({
            "rss_bytes": mem.rss_bytes, "anon_bytes": mem.anon_bytes, "file_bytes": mem.file_bytes,
            "shmem_bytes": mem.shmem_bytes, "vms_bytes": mem.vms_bytes, "peak_rss_bytes": mem.peak_rss_bytes,
            "limit_bytes": mem.limit_bytes, "limit_source": mem.limit_source,
            "usage_percent": (mem.usage_percent * 10.0).round() / 10.0,
            "warn_percent": mem.warn_percent, "fail_percent": mem.fail_percent,
            "shedding": mem.status == Status::Fail,
        }),
    );
    let r = state.engine.retriever();
    let g = r.generation();
    // The background checksum verification of this generation (None: not run yet).
    let verified = state
        .index_verified
        .lock()
        .as_ref()
        .filter(|(id, _)| *id == g.id())
        .map(|(_, p)| p.clone());
    let index = check(
        match &verified {
            Some(p) if !p.is_empty() => Status::Fail,
            _ if g.is_empty() => Status::Warn,
            _ => Status::Pass,
        },
        json!({
            "generation": g.id(), "documents": g.documents(), "chunks": g.len(),
            "vector_kind": g.manifest().vector_kind, "bytes": g.disk_bytes(),
            "verified": match &verified { None => json!("pending"), Some(p) if p.is_empty() => json!("ok"), Some(_) => json!("damaged") },
            "problems": verified.unwrap_or_default(),
        }),
    );
    let embedder = check(
        Status::Pass,
        json!({
            "model_id": r.embedder().model_id(),
            "state": if state.embedder.is_loaded() { "loaded" } else { "lazy" },
            "loaded": state.embedder.is_loaded(),
            "weight_bytes": state.embedder.weight_bytes(),
        }),
    );
    let llm_info = crate::observe::llm_status(state);
    let llm = match state.engine.llm() {
        None => check(
            Status::Pass,
            json!({"backend": "none", "reachable": null, "breaker": "closed",
                                         "detail": "no LLM configured; extractive answers"}),
        ),
        Some(_) => {
            let reachable = state.llm_reachable.load(Ordering::Relaxed);
            let open = llm_info["breaker"] != "closed";
            let mut v = llm_info.clone();
            v["reachable"] = json!(reachable);
            check(
                if reachable && !open {
                    Status::Pass
                } else {
                    Status::Warn
                },
                v,
            )
        }
    };
    let disk = disk_check(state);
    let audit = match (&state.audit, &state.audit_error) {
        (Some(w), _) => {
            let st = w.stats();
            let bad = st.dropped > 0 || st.failed > 0 || st.last_error.is_some();
            check(
                if bad { Status::Warn } else { Status::Pass },
                serde_json::to_value(&st).unwrap_or_default(),
            )
        }
        (None, err) => check(Status::Warn, json!({"error": err})),
    };
    let statuses = [&memory, &index, &embedder, &llm, &disk, &audit]
        .iter()
        .map(|c| c["status"].as_str().unwrap_or("fail").to_string())
        .collect::<Vec<_>>();
    let overall = if statuses.iter().any(|s| s == "fail") {
        "unhealthy"
    } else if statuses.iter().any(|s| s == "warn") {
        "degraded"
    } else {
        "healthy"
    };
    let code = if overall == "unhealthy" {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (
        json!({
            "status": overall,
            "version": nic_core::VERSION,
            "uptime_s": state.started.elapsed().as_secs(),
            "checks": {"memory": memory, "index": index, "embedder": embedder, "llm": llm, "disk": disk, "audit": audit},
        }),
        code,
    )
}

/// `/health`. With `NOVA_API_TOKEN` set, a caller without the token gets the overall status
/// and each check's status only: no paths, sizes, URLs or model names.
pub async fn health(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    let (v, code) = health_value(&state);
    let authorized = match &state.config.api_token {
        None => true,
        Some(expected) => crate::middleware::presented_token(&headers)
            .is_some_and(|t| crate::middleware::token_matches(t, expected)),
    };
    if authorized {
        (code, Json(v)).into_response()
    } else {
        (code, Json(status_only(&v))).into_response()
    }
}

/// The overall status and each check's status, nothing else.
pub fn status_only(v: &Value) -> Value {
    let checks: serde_json::Map<String, Value> = v["checks"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, c)| (k.clone(), json!({"status": c["status"].clone()})))
                .collect()
        })
        .unwrap_or_default();
    json!({"status": v["status"].clone(), "checks": checks})
}

pub async fn live() -> Response {
    Json(json!({"status": "alive"})).into_response()
}

/// Ready = the index is open (it is, or the server would not have started) and the
/// embedding model is loadable.
pub async fn ready(State(state): State<SharedState>) -> Response {
    let model_ok = crate::model_files_present(state.embedder.dir());
    let r = state.engine.retriever();
    let body = json!({"ready": model_ok, "generation": r.generation().id(),
                      "embedder": if state.embedder.is_loaded() { "loaded" } else { "lazy" }});
    let code = if model_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

pub async fn metrics(State(state): State<SharedState>) -> Response {
    crate::observe::refresh_gauges(&state);
    let mem = state.memory.snapshot();
    let body = state.metrics.render(Some(&mem));
    (
        [(header::CONTENT_TYPE, nic_ops::metrics::CONTENT_TYPE)],
        body,
    )
        .into_response()
}

pub async fn debug_memory(State(state): State<SharedState>) -> Response {
    let mem = state.memory.snapshot();
    let r = state.engine.retriever();
    let g = r.generation();
    let mut consumers: Vec<Value> = Vec::new();
    for c in state.engine.cache_stats() {
        consumers.push(
            json!({"kind": "cache", "name": c.name, "bytes": c.bytes, "entries": c.entries,
                              "budget_bytes": c.budget_bytes, "evictions": c.evictions,
                              "hits": c.hits, "misses": c.misses}),
        );
    }
    let s = state.engine.sessions().stats();
    consumers.push(
        json!({"kind": "sessions", "name": "session_store", "bytes": s.bytes,
                          "entries": s.active, "budget_entries": s.max, "evictions": s.evictions,
                          "expirations": s.expirations}),
    );
    consumers.push(json!({"kind": "model", "name": r.embedder().model_id(),
                          "bytes": if state.embedder.is_loaded() { state.embedder.weight_bytes() } else { 0 },
                          "loaded": state.embedder.is_loaded(), "weight_bytes": state.embedder.weight_bytes()}));
    consumers.push(
        json!({"kind": "index_heap", "name": format!("generation {}", g.id()),
                          "bytes": g.heap_bytes()}),
    );
    let mut files = Vec::new();
    for f in &g.manifest().files {
        let p = g.dir().join(&f.path);
        let (mapped, resident) = nic_ops::resident_bytes(&p).unwrap_or((0, 0));
        files.push(json!({"file": f.path, "bytes": f.bytes, "mapped_bytes": mapped, "resident_bytes": resident}));
    }
    files.sort_by_key(|f| std::cmp::Reverse(f["resident_bytes"].as_u64().unwrap_or(0)));
    consumers.sort_by_key(|c| std::cmp::Reverse(c["bytes"].as_u64().unwrap_or(0)));
    Json(json!({
        "process": {"rss_bytes": mem.rss_bytes, "anon_bytes": mem.anon_bytes, "file_bytes": mem.file_bytes,
                     "pss_bytes": mem.pss_bytes, "peak_rss_bytes": mem.peak_rss_bytes,
                     "limit_bytes": mem.limit_bytes, "usage_percent": mem.usage_percent},
        "allocator": nic_ops::jemalloc::allocator_stats(),
        "consumers": consumers,
        "index_files": files,
        "cgroup": mem.cgroup,
    }))
    .into_response()
}
