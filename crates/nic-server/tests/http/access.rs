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

async fn get_with(http: &reqwest::Client, url: &str, token: Option<&str>) -> reqwest::Response {
    let mut rb = http.get(url);
    if let Some(t) = token {
        rb = rb.header("x-api-token", t);
    }
    rb.send().await.unwrap()
}

/// Issue 16: failed authentications are limited per client address
/// (`NOVA_AUTH_FAILURES_PER_MINUTE`). Past the allowance the address gets 429 with
/// `Retry-After` on the protected routes — with the right token too, or a brute-forcer
/// would learn which guess was right — while other addresses and the open routes are
/// unaffected.
#[tokio::test]
async fn failed_authentications_are_rate_limited_per_client_address() {
    let s = start_config(NicConfig {
        api_token: Some(TOKEN.into()),
        auth_failures_per_minute: 3,
        ..config()
    })
    .await;
    let status = s.url("/api/status");
    // Successes do not count against the allowance.
    for _ in 0..5 {
        assert_eq!(get_with(&s.http, &status, Some(TOKEN)).await.status(), 200);
    }
    // 3 failures (missing, wrong, wrong Bearer) are answered 401 ...
    expect_error(get_with(&s.http, &status, None).await, 401, "unauthorized").await;
    expect_error(
        get_with(&s.http, &status, Some("guess-1")).await,
        401,
        "unauthorized",
    )
    .await;
    let r = s
        .http
        .get(s.url("/debug/memory"))
        .bearer_auth("guess-2")
        .send()
        .await
        .unwrap();
    expect_error(r, 401, "unauthorized").await;
    // ... then the address is locked out: wrong token, right token, any protected route.
    for token in [Some("guess-3"), Some(TOKEN), None] {
        let r = get_with(&s.http, &status, token).await;
        let retry: u64 = r
            .headers()
            .get("retry-after")
            .expect("Retry-After on 429")
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=20).contains(&retry), "Retry-After {retry}");
        let v = expect_error(r, 429, "rate_limited").await;
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains("NOVA_AUTH_FAILURES_PER_MINUTE"), "{msg}");
    }
    let r = s
        .post_json("/api/ask", &serde_json::json!({"question": "brakes"}))
        .await;
    expect_error(r, 429, "rate_limited").await;
    // Open routes stay open for the locked-out address.
    assert_eq!(s.get("/health/live").await.status(), 200);
    // Another address (127.0.0.2 is loopback too on Linux) is not affected.
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    assert_eq!(get_with(&other, &status, Some(TOKEN)).await.status(), 200);
    expect_error(
        get_with(&other, &status, Some("x")).await,
        401,
        "unauthorized",
    )
    .await;

    let m = s.get("/metrics").await.text().await.unwrap();
    for line in [
        "nova_auth_failures_total 4\n",
        "nova_auth_rate_limited_total 4\n",
        "nova_requests_rejected_total{reason=\"auth_rate_limited\"} 4\n",
        "nova_requests_rejected_total{reason=\"unauthorized\"} 4\n",
    ] {
        assert!(m.contains(line), "{line} not in\n{m}");
    }
    s.stop().await;
}

/// Issue 16: the audit log names a token client by a keyed hash (HMAC-SHA256 under the
/// data dir's `audit.key`), not by a bare SHA-256 prefix a reader could test guesses
/// against; the same key is used across restarts.
#[tokio::test]
async fn token_clients_are_named_by_a_keyed_hash_in_the_audit_log() {
    use sha2::Digest;
    let data = tempfile::tempdir().unwrap();
    copy_tree(index_dir(), data.path());
    let _ = std::fs::remove_dir_all(data.path().join("audit"));
    let _ = std::fs::remove_file(data.path().join("audit.key"));
    let cfg = NicConfig {
        api_token: Some(TOKEN.into()),
        ..base_config(data.path())
    };
    let mut ids = Vec::new();
    // Two server lifetimes over the same data dir.
    for _ in 0..2 {
        let s = start_config(cfg.clone()).await;
        // A blank question is a client error that is still audited, with its client.
        let r = s
            .http
            .post(s.url("/api/ask"))
            .header("x-api-token", TOKEN)
            .json(&serde_json::json!({"question": "   "}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let writer = s.state.audit.clone().expect("audit writer");
        assert!(writer.flush(std::time::Duration::from_secs(30)));
        s.stop().await;
        let log = nic_audit::AuditLog::open_existing(data.path()).unwrap();
        let last = log.tail(1).unwrap().pop().expect("an audit record");
        ids.push(last.entry.client.clone());
    }
    assert_eq!(ids[0], ids[1], "same token, same data dir, same id");
    let key = nic_audit::ClientKey::load_or_create(data.path()).unwrap();
    assert_eq!(ids[0], key.client_id(TOKEN));
    let bare = format!("tok:{}", &hex::encode(sha2::Sha256::digest(TOKEN))[..16]);
    assert_eq!(ids[0].len(), bare.len());
    assert_ne!(ids[0], bare);
}

/// A damaged `audit.key` stops the start with a message naming the file and the way out.
#[tokio::test]
async fn a_malformed_audit_key_refuses_the_start() {
    let data = tempfile::tempdir().unwrap();
    copy_tree(index_dir(), data.path());
    std::fs::write(data.path().join("audit.key"), "not a key\n").unwrap();
    let cfg = base_config(data.path());
    let err = tokio::task::spawn_blocking(move || nic_server::build_state(cfg))
        .await
        .unwrap()
        .err()
        .expect("the start must fail");
    let msg = err.to_string();
    assert!(
        msg.contains("audit.key") && msg.contains("malformed"),
        "{msg}"
    );
}
