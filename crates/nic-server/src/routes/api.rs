//! `/api/*`: ask, search, retrieve (upstream-compatible), sessions, reload, status.

use crate::admission::admit;
use crate::body::{parse_json, validate_text};
use crate::error::ApiError;
use crate::middleware::{ClientId, RequestId};
use crate::state::SharedState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use nic_answer::{AskMode, AskRequest};
use serde::Deserialize;
use serde_json::json;
use std::time::Instant;

#[derive(Deserialize)]
struct AskBody {
    question: String,
    session_id: Option<String>,
    domain: Option<String>,
    mode: Option<String>,
    top_k: Option<usize>,
    /// Upstream clients send `fallback`; extractive fallback is always on here.
    #[allow(dead_code)]
    fallback: Option<serde_json::Value>,
}

/// Every `mode` value accepted at `/api/ask`, NIC's own first, then those the clients of the
/// Python prototype send (DESIGN §3 promises its request shape `{question, mode, fallback}`).
pub const ACCEPTED_MODES: &str =
    "auto, extractive, generative (upstream: retrieval-only, llm, fallback)";

/// NIC's behaviour for a `mode` value. Case, `-` and `_` do not matter. Upstream meanings:
/// `retrieval-only` answers from the manuals without the LLM (extractive); `llm` asks for a
/// generated answer (still extractive when the LLM is missing or fails, as upstream's
/// `fallback: true` did); `fallback` asks for the fallback answerer itself (extractive);
/// `auto` is the LLM when available, else extractive. The separate `fallback` field needs
/// no mapping: NIC always falls back to an extractive answer.
fn parse_mode(m: Option<&str>) -> Result<AskMode, ApiError> {
    let norm = m.map(|s| s.trim().to_ascii_lowercase().replace('_', "-"));
    match norm.as_deref() {
        None | Some("") | Some("auto") => Ok(AskMode::Auto),
        Some(
            "extractive" | "retrieval" | "retrieval-only" | "retrieve" | "offline" | "fallback"
            | "no-llm",
        ) => Ok(AskMode::Extractive),
        Some("generative" | "llm" | "generate" | "llm-only") => Ok(AskMode::Generative),
        Some(_) => Err(ApiError::bad_request(format!(
            "`mode` must be one of {ACCEPTED_MODES}"
        ))),
    }
}

pub async fn ask(
    State(state): State<SharedState>,
    Extension(rid): Extension<RequestId>,
    Extension(client): Extension<ClientId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let rid_s = rid.0.clone();
    let client_s = client.0.clone();
    let b: AskBody = match parse_json(&headers, body) {
        Ok(b) => b,
        Err(e) => {
            state.metrics.queries_total.with(&["error"]).inc();
            return e.with_request_id(&rid_s).into_response();
        }
    };
    let question_raw = b.question.clone();
    let session_raw = b.session_id.clone();
    match ask_inner(&state, rid, client, b).await {
        Ok((mut resp, elapsed)) => {
            // An LLM error note may quote the LLM URL, credentials included.
            for n in &mut resp.notes {
                *n = nic_core::config::mask_url_credentials(n);
            }
            crate::observe::record_answer(&state, &resp, elapsed);
            crate::observe::audit_answer(&state, &client_s, &question_raw, &resp);
            Json(resp).into_response()
        }
        Err(e) => {
            state.metrics.queries_total.with(&["error"]).inc();
            // Client errors that reached the pipeline are audited too.
            crate::observe::audit_error(
                &state,
                &client_s,
                &rid_s,
                &question_raw,
                session_raw,
                e.code,
            );
            e.with_request_id(&rid_s).into_response()
        }
    }
}

/// The checks of an `/api/ask` body before the engine: the question, `mode`, `top_k`.
fn check_ask(b: &AskBody) -> Result<(String, AskMode), ApiError> {
    let question = validate_text("question", &b.question)?;
    let mode = parse_mode(b.mode.as_deref())?;
    if let Some(k) = b.top_k {
        if k == 0 || k > 20 {
            return Err(ApiError::bad_request("`top_k` must be between 1 and 20"));
        }
    }
    Ok((question, mode))
}

async fn ask_inner(
    state: &SharedState,
    rid: RequestId,
    client: ClientId,
    b: AskBody,
) -> Result<(nic_answer::AskResponse, std::time::Duration), ApiError> {
    let (question, mode) = check_ask(&b)?;
    let _permit = admit(state).await?;
    let started = Instant::now();
    let req = AskRequest {
        question,
        session_id: b.session_id,
        domain: b.domain,
        mode,
        top_k: b.top_k,
        client_id: client.0,
        request_id: rid.0,
    };
    let resp = state.engine.ask(req).await.map_err(ApiError::internal)?;
    Ok((resp, started.elapsed()))
}

#[derive(Deserialize)]
struct SearchBody {
    query: String,
    k: Option<usize>,
    domain: Option<String>,
}

async fn run_search(
    state: &SharedState,
    query: String,
    k: usize,
    domain: Option<String>,
) -> Result<nic_retrieve::SearchOutcome, ApiError> {
    let _permit = admit(state).await?;
    let engine = state.engine.clone();
    let t = Instant::now();
    let out =
        tokio::task::spawn_blocking(move || engine.retrieve_blocking(&query, k, domain.as_deref()))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
    state
        .metrics
        .observe_phase(nic_ops::metrics::Phase::Retrieval, t.elapsed());
    Ok(out)
}

fn check_k(k: Option<usize>, default: usize) -> Result<usize, ApiError> {
    match k {
        None => Ok(default),
        Some(k) if (1..=100).contains(&k) => Ok(k),
        Some(_) => Err(ApiError::bad_request("`k` must be between 1 and 100")),
    }
}

/// The checks of a `/api/search` or `/api/retrieve` body before retrieval: the query, `k`.
fn check_search(b: &SearchBody) -> Result<(String, usize), ApiError> {
    Ok((validate_text("query", &b.query)?, check_k(b.k, 5)?))
}

/// The JSON routes whose bodies [`check_json_body`] knows.
pub const JSON_ROUTES: &[&str] = &["/api/ask", "/api/search", "/api/retrieve"];

/// Everything a JSON route does with its body before the engine sees it: the content type,
/// the size limit, deserialisation into the route's request type and its validation.
/// `None` for a route not in [`JSON_ROUTES`]. For the stable fuzz harness (nic-fuzz), which
/// cannot build a whole server per input.
pub fn check_json_body(
    route: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> Option<Result<(), ApiError>> {
    Some(match route {
        "/api/ask" => {
            parse_json::<AskBody>(headers, Ok(body)).and_then(|b| check_ask(&b).map(drop))
        }
        "/api/search" | "/api/retrieve" => {
            parse_json::<SearchBody>(headers, Ok(body)).and_then(|b| check_search(&b).map(drop))
        }
        _ => return None,
    })
}

pub async fn search(
    State(state): State<SharedState>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let inner = async {
        let b: SearchBody = parse_json(&headers, body)?;
        let (query, k) = check_search(&b)?;
        let out = run_search(&state, query.clone(), k, b.domain).await?;
        let results: Vec<_> = out
            .hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let c = &h.chunk.chunk;
                json!({
                    "rank": i + 1, "score": h.score, "cosine": h.cosine, "bm25": h.bm25,
                    "doc": c.doc, "title": c.title, "domain": c.domain, "page": c.page,
                    "section": c.section_display(), "chunk_id": h.chunk.chunk_id,
                    "snippet": nic_answer::engine::snippet(&c.text, 400),
                })
            })
            .collect();
        Ok::<_, ApiError>(Json(json!({
            "query": query, "results": results, "request_id": rid.0,
            "timings_ms": {"embed": out.timings.embed_ms, "lexical": out.timings.lexical_ms,
                           "vector": out.timings.vector_ms, "fuse": out.timings.fuse_ms},
        })))
    };
    match inner.await {
        Ok(j) => j.into_response(),
        Err(e) => e.with_request_id(&rid.0).into_response(),
    }
}

/// Upstream-compatible retrieval: `[{text, source, page, confidence}]`.
pub async fn retrieve(
    State(state): State<SharedState>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let inner = async {
        let b: SearchBody = parse_json(&headers, body)?;
        let (query, k) = check_search(&b)?;
        let out = run_search(&state, query, k, b.domain).await?;
        let items: Vec<_> = out
            .hits
            .iter()
            .map(|h| {
                json!({"text": h.chunk.chunk.text, "source": h.chunk.chunk.doc,
                       "page": h.chunk.chunk.page, "confidence": h.score})
            })
            .collect();
        Ok::<_, ApiError>(Json(serde_json::Value::Array(items)))
    };
    match inner.await {
        Ok(j) => j.into_response(),
        Err(e) => e.with_request_id(&rid.0).into_response(),
    }
}

fn valid_session_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub async fn get_session(
    State(state): State<SharedState>,
    Extension(rid): Extension<RequestId>,
    Extension(client): Extension<ClientId>,
    Path(id): Path<String>,
) -> Response {
    if !valid_session_id(&id) {
        return ApiError::bad_request("malformed session id")
            .with_request_id(&rid.0)
            .into_response();
    }
    match state.engine.sessions().get(&id, &client.0) {
        Some(s) => Json(s).into_response(),
        None => ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such session")
            .with_request_id(&rid.0)
            .into_response(),
    }
}

pub async fn delete_session(
    State(state): State<SharedState>,
    Extension(rid): Extension<RequestId>,
    Extension(client): Extension<ClientId>,
    Path(id): Path<String>,
) -> Response {
    if !valid_session_id(&id) {
        return ApiError::bad_request("malformed session id")
            .with_request_id(&rid.0)
            .into_response();
    }
    if state.engine.sessions().delete(&id, &client.0) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such session")
            .with_request_id(&rid.0)
            .into_response()
    }
}

pub async fn status(State(state): State<SharedState>) -> Response {
    let r = state.engine.retriever();
    let g = r.generation();
    let domains: Vec<_> = g
        .domains()
        .into_iter()
        .map(|(name, chunks)| json!({"name": name, "chunks": chunks}))
        .collect();
    Json(json!({
        "version": nic_core::VERSION,
        "uptime_s": state.started.elapsed().as_secs(),
        "generation": g.id(),
        "documents": g.documents(),
        "chunks": g.len(),
        "domains": domains,
        "embedder": {"model_id": r.embedder().model_id(), "loaded": state.embedder.is_loaded()},
        "llm": crate::observe::llm_status(&state),
        "confidence_threshold": state.config.confidence_threshold,
        "sessions": state.engine.sessions().stats(),
    }))
    .into_response()
}

/// Re-scans the catalog's corpus roots and publishes a new generation; requests in
/// flight keep the generation they started with.
pub async fn reload(
    State(state): State<SharedState>,
    Extension(rid): Extension<RequestId>,
) -> Response {
    let Ok(_guard) = state.reload_lock.try_lock() else {
        return ApiError::busy("reload_in_progress", "a reload is already running", 30)
            .with_request_id(&rid.0)
            .into_response();
    };
    let st = state.clone();
    let res = tokio::task::spawn_blocking(move || crate::reload::reload_blocking(&st)).await;
    match res {
        Ok(Ok(report)) => Json(report).into_response(),
        Ok(Err(e)) => ApiError::new(StatusCode::CONFLICT, "reload_failed", e)
            .with_request_id(&rid.0)
            .into_response(),
        Err(e) => ApiError::internal(e)
            .with_request_id(&rid.0)
            .into_response(),
    }
}

#[cfg(test)]
mod mode_tests {
    use super::*;

    #[test]
    fn upstream_and_own_modes_map_to_nic_behaviour() {
        let cases = [
            (None, AskMode::Auto),
            (Some(""), AskMode::Auto),
            (Some("auto"), AskMode::Auto),
            (Some("AUTO"), AskMode::Auto),
            (Some("retrieval-only"), AskMode::Extractive),
            (Some("retrieval_only"), AskMode::Extractive),
            (Some("Retrieval-Only"), AskMode::Extractive),
            (Some("fallback"), AskMode::Extractive),
            (Some("extractive"), AskMode::Extractive),
            (Some("llm"), AskMode::Generative),
            (Some(" LLM "), AskMode::Generative),
            (Some("generative"), AskMode::Generative),
        ];
        for (m, want) in cases {
            assert_eq!(parse_mode(m).ok(), Some(want), "{m:?}");
        }
        for bad in ["rag", "llm+retrieval", "chat"] {
            assert!(parse_mode(Some(bad)).is_err(), "{bad}");
        }
    }
}
