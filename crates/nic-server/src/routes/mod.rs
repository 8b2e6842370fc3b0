//! The routes, and the JSON answers for a path or method that has none.

pub mod api;
pub mod ops;
pub mod ui;

use crate::error::ApiError;
use crate::middleware::RequestId;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

fn request_id(req: &Request) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

pub async fn not_found(req: Request) -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
        .with_request_id(&request_id(&req))
        .into_response()
}

pub async fn method_not_allowed(req: Request) -> Response {
    let msg = format!("{} is not allowed on {}", req.method(), req.uri().path());
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", msg)
        .with_request_id(&request_id(&req))
        .into_response()
}
