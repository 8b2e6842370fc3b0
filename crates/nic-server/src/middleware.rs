//! Cross-cutting layers: request ids, token auth, rate limits, security headers.

use crate::error::ApiError;
use crate::state::SharedState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

/// The request id of this request (from `X-Request-Id` when sane, else generated).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Who is asking: used for sessions and rate limits.
#[derive(Debug, Clone)]
pub struct ClientId(pub String);

fn new_request_id() -> String {
    use rand::Rng;
    let b: [u8; 8] = rand::thread_rng().gen();
    hex::encode(b)
}

/// A body declared larger than the API reads is refused before any of it is read: 413 at
/// once, rather than holding the connection while a client uploads up to the length it
/// announced (the body limit alone only trips after 64 KiB have arrived).
pub async fn declared_size(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > crate::body::MAX_BODY as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the body is larger than {} KiB",
                crate::body::MAX_BODY / 1024
            ),
        )
        .with_request_id(&rid(&req))
        .into_response();
    }
    next.run(req).await
}

pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(String::from)
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    tracing::info!(
        request_id = %id,
        %method,
        path = %path,
        status = resp.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    resp
}

pub(crate) fn presented_token(h: &HeaderMap) -> Option<&str> {
    if let Some(t) = h.get("x-api-token").and_then(|v| v.to_str().ok()) {
        return Some(t.trim());
    }
    h.get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// Constant-time comparison of two secrets (hash both so lengths do not leak either).
pub fn token_matches(presented: &str, expected: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

fn rid(req: &Request) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// `NOVA_API_TOKEN` on `/api/*` and `/debug/*`; `/debug/*` is loopback-only without a token.
/// Failed authentications are limited per client address (`NOVA_AUTH_FAILURES_PER_MINUTE`;
/// see [`crate::ratelimit::AuthFailureLimiter`] for why a locked-out address is refused even
/// with the right token). Also derives the client identity and applies the per-client rate
/// limit on `/api/*`.
pub async fn guard(State(state): State<SharedState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let is_api = path.starts_with("/api/");
    let is_debug = path.starts_with("/debug/");
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let token = presented_token(req.headers()).map(String::from);
    if is_api || is_debug {
        match &state.config.api_token {
            Some(expected) => {
                let peer_ip = peer.map(|p| p.ip());
                if let Some(Err(wait)) = peer_ip.map(|ip| state.auth_failures.check(ip)) {
                    state.server_metrics.auth_rate_limited_total.inc();
                    state
                        .metrics
                        .requests_rejected_total
                        .with(&["auth_rate_limited"])
                        .inc();
                    let mut e = ApiError::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        "rate_limited",
                        format!(
                            "too many failed authentications from this address; retry in {wait} s (NOVA_AUTH_FAILURES_PER_MINUTE)"
                        ),
                    )
                    .with_request_id(&rid(&req));
                    e.retry_after_s = Some(wait);
                    return e.into_response();
                }
                let ok = token.as_deref().is_some_and(|t| token_matches(t, expected));
                if !ok {
                    if let Some(ip) = peer_ip {
                        state.auth_failures.record_failure(ip);
                    }
                    state.server_metrics.auth_failures_total.inc();
                    state
                        .metrics
                        .requests_rejected_total
                        .with(&["unauthorized"])
                        .inc();
                    return ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "unauthorized",
                        "missing or wrong API token (send X-API-TOKEN or Authorization: Bearer)",
                    )
                    .with_request_id(&rid(&req))
                    .into_response();
                }
            }
            None if is_debug && !peer.is_some_and(|p| p.ip().is_loopback()) => {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "/debug is only served to loopback clients unless NOVA_API_TOKEN is set",
                )
                .with_request_id(&rid(&req))
                .into_response();
            }
            None => {}
        }
    }
    let client = match (&token, peer) {
        // A keyed hash: the audit log must not let its readers test token guesses.
        (Some(t), _) => state.client_key.client_id(t),
        (None, Some(p)) => format!("ip:{}", p.ip()),
        (None, None) => "local".to_string(),
    };
    if is_api {
        // Rate-limit by peer address: a presented token only names the client, and without
        // NOVA_API_TOKEN anyone could mint a fresh "identity" per request to evade the limit.
        let rate_key = peer
            .map(|p| format!("ip:{}", p.ip()))
            .unwrap_or_else(|| client.clone());
        if let Err(wait) = state.rate.check(&rate_key) {
            state
                .metrics
                .requests_rejected_total
                .with(&["rate_limited"])
                .inc();
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests; retry in {wait} s (NOVA_RATE_LIMIT_PER_MINUTE)"),
            )
            .with_request_id(&rid(&req));
            e.retry_after_s = Some(wait);
            return e.into_response();
        }
    }
    req.extensions_mut().insert(ClientId(client));
    next.run(req).await
}

/// Security headers on every response; the UI's strict CSP (no inline script or style).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    resp
}
