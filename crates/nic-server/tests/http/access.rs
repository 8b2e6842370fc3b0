//! Token auth (`NOVA_API_TOKEN`) and the per-client rate limit (`NOVA_RATE_LIMIT_PER_MINUTE`).

use crate::common::*;
use nic_core::NicConfig;
use serde_json::json;

const TOKEN: &str = "s3cret-token-for-tests";

#[tokio::test]
async fn api_token_is_required_on_api_and_debug() {
    let s = start_config(NicConfig {
        api_token: Some(TOKEN.into()),
        ..config()
    })
    .await;
    for path in ["/api/status", "/debug/memory", "/api/sessions/abc"] {
        expect_error(s.get(path).await, 401, "unauthorized").await;
        let r = s
            .http
            .get(s.url(path))
            .header("x-api-token", "wrong")
            .send()
            .await
            .unwrap();
        expect_error(r, 401, "unauthorized").await;
        let r = s
            .http
            .get(s.url(path))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        expect_error(r, 401, "unauthorized").await;
    }
    let r = s
        .post_json("/api/ask", &json!({"question": "brakes"}))
        .await;
    expect_error(r, 401, "unauthorized").await;
    let r = s.post_json("/api/reload", &json!({})).await;
    expect_error(r, 401, "unauthorized").await;

    for path in ["/api/status", "/debug/memory"] {
        let r = s
            .http
            .get(s.url(path))
            .header("x-api-token", TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path} with X-API-TOKEN");
        let r = s
            .http
            .get(s.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path} with Bearer");
    }
    // Open routes stay open.
    for path in ["/health", "/health/live", "/health/ready", "/metrics", "/"] {
        let r = s.get(path).await;
        assert!(
            r.status() == 200,
            "{path} must not need the token, got {}",
            r.status()
        );
    }
    // The token never shows in the status or health output.
    let r = s
        .http
        .get(s.url("/api/status"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert!(!r.text().await.unwrap().contains(TOKEN));
    assert!(!s.get("/health").await.text().await.unwrap().contains(TOKEN));
    let m = s.get("/metrics").await.text().await.unwrap();
    // 3 routes x 3 bad credentials, the ask and the reload.
    assert!(
        m.contains("nova_requests_rejected_total{reason=\"unauthorized\"} 11\n"),
        "{m}"
    );
    s.stop().await;
}

#[tokio::test]
async fn fourth_request_in_a_minute_is_rate_limited() {
    let s = start_config(NicConfig {
        rate_limit_per_minute: 3,
        ..config()
    })
    .await;
    for i in 0..3 {
        assert_eq!(
            s.get("/api/status").await.status(),
            200,
            "request {}",
            i + 1
        );
    }
    let r = s.get("/api/status").await;
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .expect("Retry-After on 429")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    expect_error(r, 429, "rate_limited").await;
    // Other kinds of request are limited too, and the operator routes are not.
    let r = s
        .post_json("/api/ask", &json!({"question": "brakes"}))
        .await;
    expect_error(r, 429, "rate_limited").await;
    assert_eq!(s.get("/health").await.status(), 200);
    assert_eq!(s.get("/metrics").await.status(), 200);
    let m = s.get("/metrics").await.text().await.unwrap();
    assert!(
        m.contains("nova_requests_rejected_total{reason=\"rate_limited\"} 2\n"),
        "{m}"
    );
    s.stop().await;
}

#[tokio::test]
async fn presenting_new_tokens_does_not_escape_the_rate_limit() {
    // Without NOVA_API_TOKEN a presented token only names the client (sessions); the
    // limit follows the peer, so minting a token per request gains nothing.
    let s = start_config(NicConfig {
        rate_limit_per_minute: 2,
        ..config()
    })
    .await;
    let mut codes = Vec::new();
    for i in 0..4 {
        let r = s
            .http
            .get(s.url("/api/status"))
            .header("x-api-token", format!("fresh-{i}"))
            .send()
            .await
            .unwrap();
        codes.push(r.status().as_u16());
    }
    assert_eq!(codes, [200, 200, 429, 429]);
    s.stop().await;
}
