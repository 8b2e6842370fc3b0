//! The web UI, embedded in the binary: no CDN, no external fonts, works offline.

use axum::http::header;
use axum::response::{IntoResponse, Response};

const INDEX_HTML: &str = include_str!("../../assets/index.html");
const APP_JS: &str = include_str!("../../assets/app.js");
const APP_CSS: &str = include_str!("../../assets/app.css");
const FAVICON: &str = include_str!("../../assets/favicon.svg");

fn asset(ct: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, ct),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

pub async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}
pub async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}
pub async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}
pub async fn favicon() -> Response {
    asset("image/svg+xml", FAVICON)
}
