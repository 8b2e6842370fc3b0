//! Request body handling with the API's error shape: 413 over 64 KiB, 415 for a wrong
//! content type, 400 for malformed JSON or wrongly typed fields — never a 500.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

pub const MAX_BODY: usize = 64 * 1024;
pub const MAX_QUESTION_CHARS: usize = 4000;

pub fn parse_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "application/json" && !(mime.starts_with("application/") && mime.ends_with("+json"))
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ));
    }
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than {} KiB", MAX_BODY / 1024),
            )
        } else {
            ApiError::bad_request("could not read the request body")
        }
    })?;
    if bytes.len() > MAX_BODY {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {} KiB", MAX_BODY / 1024),
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "a field is missing or has the wrong type",
            serde_json::error::Category::Eof => "the JSON ends too early",
            _ => "the body is not valid JSON",
        };
        // serde's message names the field and position, which helps and leaks nothing.
        ApiError::bad_request(format!("{what}: {e}"))
    })
}

/// Checks a question or query: non-empty, at most 4,000 characters, not control noise.
pub fn validate_text(field: &str, text: &str) -> Result<String, ApiError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ApiError::bad_request(format!(
            "`{field}` must not be empty"
        )));
    }
    if t.chars().count() > MAX_QUESTION_CHARS {
        return Err(ApiError::bad_request(format!(
            "`{field}` is longer than {MAX_QUESTION_CHARS} characters"
        )));
    }
    let visible = t
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .count();
    let control = t
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    if visible == 0 || control > visible {
        return Err(ApiError::bad_request(format!(
            "`{field}` is made of control characters"
        )));
    }
    Ok(t.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect())
}
