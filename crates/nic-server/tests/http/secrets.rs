//! Credentials in URLs never leave the server, and `/health` without the token (when one is
//! configured) shows statuses only (issue 16, item 8).

use crate::common::*;
use nic_core::config::LlmBackend;
use serde_json::Value;

const TOKEN: &str = "tok-for-secrets-test";
const PASSWORD: &str = "hunter2-in-url";

fn llm_config(token: Option<&str>) -> nic_core::NicConfig {
    nic_core::NicConfig {
        llm_backend: LlmBackend::Ollama,
        // Port 9 (discard) on loopback: nothing answers, nothing leaves the machine.
        llm_url: format!("http://nic:{PASSWORD}@127.0.0.1:9"),
        llm_model: Some("test-model".into()),
        api_token: token.map(String::from),
        ..config()
    }
}

#[tokio::test]
async fn llm_url_password_is_masked_in_status_and_health() {
    let s = start_config(llm_config(Some(TOKEN))).await;
    for path in ["/api/status", "/health"] {
        let r = s
            .http
            .get(s.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        assert!(
            !text.contains(PASSWORD),
            "{path} leaks the password: {text}"
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        let url = if path == "/health" {
            &v["checks"]["llm"]["url"]
        } else {
            &v["llm"]["url"]
        };
        assert_eq!(url, "http://***@127.0.0.1:9", "{path}: {v}");
        if path == "/health" {
            // With the token: the full report, paths included.
            assert!(v["checks"]["disk"]["path"].is_string(), "{v}");
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn health_without_the_token_shows_status_not_paths() {
    let s = start_config(llm_config(Some(TOKEN))).await;
    for wrong in [None, Some("not-the-token")] {
        let mut req = s.http.get(s.url("/health"));
        if let Some(t) = wrong {
            req = req.header("x-api-token", t);
        }
        let r = req.send().await.unwrap();
        assert!(r.status() == 200 || r.status() == 503, "{}", r.status());
        let text = r.text().await.unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(v["status"].is_string(), "{v}");
        for (name, check) in v["checks"].as_object().expect("checks") {
            let keys: Vec<&String> = check.as_object().unwrap().keys().collect();
            assert_eq!(keys, vec!["status"], "{name}: {check}");
        }
        let data_dir = s.state.config.data_dir.to_string_lossy().into_owned();
        for leak in [
            data_dir.as_str(),
            "127.0.0.1:9",
            PASSWORD,
            "test-model",
            "/tmp/",
        ] {
            assert!(
                !text.contains(leak),
                "unauthenticated /health shows {leak}: {text}"
            );
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn health_without_a_configured_token_is_full_but_masked() {
    let s = start_config(llm_config(None)).await;
    let text = s.get("/health").await.text().await.unwrap();
    assert!(!text.contains(PASSWORD), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["checks"]["llm"]["url"], "http://***@127.0.0.1:9", "{v}");
    s.stop().await;
}
