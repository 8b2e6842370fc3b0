//! Shared harness of the HTTP tests: one index of `examples/manuals/` built with the real
//! embedding model per test binary, and a real server on an ephemeral loopback port.
//!
//! Each test starts its own server (axum over `nic_server::serve_on`) in its own runtime;
//! the index, and the default server state with its loaded model, are built once and
//! shared, so the suite pays for one ingest and one model load. Tests that need another
//! configuration (token, rate limit, workers, memory budget) build their own state over the
//! same index.

#![allow(dead_code)]

use nic_core::{Embedder, NicConfig};
use nic_server::SharedState;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

pub fn model_dir() -> PathBuf {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/all-MiniLM-L6-v2"
    ));
    std::fs::canonicalize(&p).unwrap_or(p)
}

pub fn manuals() -> PathBuf {
    repo().join("examples/manuals")
}

/// Copies a directory tree (a corpus) so a test can change it.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_name() == "audit" {
            // Live SQLite files other tests are writing: never copied (a copy could race
            // with the writer creating or removing its -wal file).
            continue;
        }
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// Ingests `corpus` into `data_dir` with the real model.
pub fn ingest(corpus: &Path, data_dir: &Path, embedder: &dyn Embedder) -> nic_index::IngestReport {
    let cfg = base_config(data_dir);
    let opts = nic_index::IngestOptions::from_config(&cfg, vec![corpus.to_path_buf()]);
    let report = nic_index::ingest(data_dir, &opts, embedder, &|_| {}).expect("ingest");
    assert!(
        report.failed.is_empty(),
        "ingest failures: {:?}",
        report.failed
    );
    report
}

struct SharedIndex {
    _dir: tempfile::TempDir,
    data_dir: PathBuf,
}

/// The data dir holding the index of `examples/manuals/` (built on first use).
pub fn index_dir() -> &'static Path {
    static INDEX: OnceLock<SharedIndex> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let data_dir = dir.path().join("data");
            let embedder = nic_embed::LazyEmbedder::new(&model_dir())
                .expect("embedding model missing: run `make model`");
            ingest(&manuals(), &data_dir, &embedder);
            SharedIndex {
                _dir: dir,
                data_dir,
            }
        })
        .data_dir
}

/// A config for tests: the real model, loopback, ephemeral port, no rate limit and no
/// failed-authentication limit (every test client is 127.0.0.1 and would share one bucket).
pub fn base_config(data_dir: &Path) -> NicConfig {
    NicConfig {
        data_dir: data_dir.to_path_buf(),
        embedding_model: model_dir().to_string_lossy().into_owned(),
        port: 0,
        bind: "127.0.0.1".into(),
        rate_limit_per_minute: 0,
        auth_failures_per_minute: 0,
        max_workers: 2,
        ..NicConfig::default()
    }
}

/// A config over the shared index.
pub fn config() -> NicConfig {
    base_config(index_dir())
}

/// The default state over the shared index, built once (its model loads once).
pub fn shared_state() -> SharedState {
    static STATE: OnceLock<SharedState> = OnceLock::new();
    STATE
        .get_or_init(|| nic_server::build_state(config()).expect("build_state"))
        .clone()
}

pub struct Server {
    pub base: String,
    pub addr: SocketAddr,
    pub state: SharedState,
    pub http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), nic_server::ServeError>>>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// POST /api/ask and the decoded JSON; panics unless 200.
    pub async fn ask(&self, body: Value) -> Value {
        let r = self.post_json("/api/ask", &body).await;
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "ask {body} -> {status}: {v}");
        v
    }

    /// Signals shutdown without waiting (graceful-shutdown tests).
    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Waits for the server task to end after `signal_shutdown`.
    pub async fn join(&mut self) -> Result<(), nic_server::ServeError> {
        let task = self.task.take().expect("server already joined");
        task.await.expect("server task panicked")
    }

    pub async fn stop(mut self) {
        self.signal_shutdown();
        self.join().await.expect("server error");
    }
}

/// Serves `state` on 127.0.0.1:0 in the current runtime.
pub async fn start_with(state: SharedState) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(nic_server::serve_on(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    Server {
        base: format!("http://{addr}"),
        addr,
        state,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap(),
        shutdown: Some(tx),
        task: Some(task),
    }
}

/// A server over the shared default state.
pub async fn start() -> Server {
    let state = tokio::task::spawn_blocking(shared_state).await.unwrap();
    start_with(state).await
}

/// A server with its own state built from `config` (a fresh model load if it asks).
pub async fn start_config(config: NicConfig) -> Server {
    let state = tokio::task::spawn_blocking(move || nic_server::build_state(config))
        .await
        .unwrap()
        .expect("build_state");
    start_with(state).await
}

/// Asserts the API's error shape and code; returns the body.
pub async fn expect_error(r: reqwest::Response, status: u16, code: &str) -> Value {
    let got = r.status().as_u16();
    let header_rid = r
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_string());
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "expected {status} {code}, got {got}: {text}");
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("error body is not JSON ({e}): {text:?}"));
    assert_eq!(v["error"]["code"], code, "{v}");
    let msg = v["error"]["message"].as_str().expect("error.message");
    assert!(!msg.is_empty(), "{v}");
    for leak in ["panicked", "/home/", "/tmp/", "src/", "RUST_BACKTRACE"] {
        assert!(!msg.contains(leak), "error message leaks internals: {msg}");
    }
    let rid = v["request_id"].as_str().expect("request_id");
    assert!(!rid.is_empty(), "{v}");
    if let Some(h) = header_rid {
        assert_eq!(h, rid, "request_id differs from X-Request-Id");
    }
    v
}

/// Waits (by polling state, not by timing) until `cond` holds; panics after a generous bound.
pub async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..2000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("condition never held: {what}");
}
