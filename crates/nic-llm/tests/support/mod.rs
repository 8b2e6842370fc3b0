//! A small, protocol-faithful fake LLM server for the tests: Ollama's `/api/chat` (NDJSON)
//! and `/api/tags`, and OpenAI's `/v1/chat/completions` (SSE) and `/v1/models`, on an
//! OS-chosen loopback port, with fault injection.
//!
//! Streams are written in small pieces with pauses, so lines (and multi-byte characters)
//! really arrive split across TCP reads, as they do from a real server.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// What the fake does on the next chat request.
#[derive(Clone, Debug)]
pub enum Mode {
    /// Stream this text as the answer, then the end marker.
    Answer(String),
    /// Send nothing at all for a minute (no status line, no byte).
    SlowFirstByte,
    /// HTTP 500.
    Status500,
    /// One good line, then a line that is not JSON.
    Malformed,
    /// Part of the answer, then the connection is closed without the end marker.
    Cut,
    /// The model is not on the server (Ollama: tags without it and 404; OpenAI: 404).
    ModelMissing,
    /// Part of the answer, then keep-alive newlines forever (until the client leaves).
    Hang,
}

pub const MODEL: &str = "fake-model:1b";

struct Inner {
    mode: Mutex<Mode>,
    chat_hits: AtomicUsize,
    all_hits: AtomicUsize,
    requests: Mutex<Vec<(String, Value)>>,
    client_left: AtomicBool,
    models_route: AtomicBool,
}

pub struct Fake {
    pub url: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fake {
    pub async fn start(mode: Mode) -> Fake {
        let inner = Arc::new(Inner {
            mode: Mutex::new(mode),
            chat_hits: AtomicUsize::new(0),
            all_hits: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            client_left: AtomicBool::new(false),
            models_route: AtomicBool::new(true),
        });
        let app = Router::new()
            .route("/api/chat", post(ollama_chat))
            .route("/api/tags", get(ollama_tags))
            .route("/v1/chat/completions", post(openai_chat))
            .route("/v1/models", get(openai_models))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fake {
            url: format!("http://{addr}"),
            inner,
            task,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.inner.mode.lock().unwrap() = mode;
    }

    /// Makes `/v1/models` answer 404 (servers without a model listing).
    pub fn without_models_route(&self) {
        self.inner.models_route.store(false, Ordering::SeqCst);
    }

    /// Chat requests received.
    pub fn chat_hits(&self) -> usize {
        self.inner.chat_hits.load(Ordering::SeqCst)
    }

    /// Requests of any kind received.
    pub fn hits(&self) -> usize {
        self.inner.all_hits.load(Ordering::SeqCst)
    }

    /// `(path, JSON body)` of every chat request.
    pub fn requests(&self) -> Vec<(String, Value)> {
        self.inner.requests.lock().unwrap().clone()
    }

    /// Whether a hanging stream noticed its client disconnect.
    pub fn client_left(&self) -> bool {
        self.inner.client_left.load(Ordering::SeqCst)
    }
}

/// A URL on which nothing listens (bound, then released).
pub async fn refused_url() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

type Chunk = Result<Bytes, std::io::Error>;

/// A streamed body fed by a task: `pieces` are written in 7-byte slices with short pauses;
/// then `tail` decides how it ends.
enum Tail {
    End,
    Cut,
    Hang,
}

fn streamed(inner: Arc<Inner>, content_type: &str, pieces: Vec<String>, tail: Tail) -> Response {
    let (tx, rx) = mpsc::channel::<Chunk>(4);
    tokio::spawn(async move {
        let bytes: Vec<u8> = pieces.concat().into_bytes();
        for (i, slice) in bytes.chunks(7).enumerate() {
            if tx.send(Ok(Bytes::copy_from_slice(slice))).await.is_err() {
                return;
            }
            if i % 8 == 7 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            } else {
                tokio::task::yield_now().await;
            }
        }
        match tail {
            Tail::End => {}
            Tail::Cut => {
                let _ = tx
                    .send(Err(std::io::Error::other("connection cut by the fake")))
                    .await;
            }
            Tail::Hang => loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if tx.send(Ok(Bytes::from_static(b"\n"))).await.is_err() {
                    inner.client_left.store(true, Ordering::SeqCst);
                    return;
                }
            },
        }
    });
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from_stream(stream))
        .unwrap()
}

/// Splits an answer into a few streamed pieces (words with their trailing space).
fn words(text: &str) -> Vec<String> {
    text.split_inclusive(' ').map(str::to_string).collect()
}

fn record(inner: &Inner, path: &str, body: &Value) -> Mode {
    inner.all_hits.fetch_add(1, Ordering::SeqCst);
    inner.chat_hits.fetch_add(1, Ordering::SeqCst);
    inner
        .requests
        .lock()
        .unwrap()
        .push((path.to_string(), body.clone()));
    inner.mode.lock().unwrap().clone()
}

async fn never() -> Response {
    tokio::time::sleep(Duration::from_secs(60)).await;
    StatusCode::OK.into_response()
}

async fn ollama_chat(State(inner): State<Arc<Inner>>, Json(body): Json<Value>) -> Response {
    let line = |content: &str, done: bool| {
        let mut v = json!({"model": MODEL, "created_at": "2024-01-01T00:00:00Z",
                           "message": {"role": "assistant", "content": content}, "done": done});
        if done {
            v["done_reason"] = json!("stop");
            v["eval_count"] = json!(12);
        }
        format!("{v}\n")
    };
    let ndjson = "application/x-ndjson";
    match record(&inner, "/api/chat", &body) {
        Mode::Answer(text) => {
            let mut pieces: Vec<String> = words(&text).iter().map(|w| line(w, false)).collect();
            pieces.push(line("", true));
            streamed(inner, ndjson, pieces, Tail::End)
        }
        Mode::SlowFirstByte => never().await,
        Mode::Status500 => {
            (StatusCode::INTERNAL_SERVER_ERROR, r#"{"error":"boom"}"#).into_response()
        }
        Mode::Malformed => {
            let pieces = vec![
                line("Torque ", false),
                "{\"message\": {\"content\": oops\n".into(),
            ];
            streamed(inner, ndjson, pieces, Tail::End)
        }
        Mode::Cut => streamed(inner, ndjson, vec![line("Torque the ", false)], Tail::Cut),
        Mode::ModelMissing => (
            StatusCode::NOT_FOUND,
            format!(r#"{{"error":"model \"{MODEL}\" not found, try pulling it first"}}"#),
        )
            .into_response(),
        Mode::Hang => streamed(inner, ndjson, vec![line("Torque ", false)], Tail::Hang),
    }
}

async fn ollama_tags(State(inner): State<Arc<Inner>>) -> Response {
    inner.all_hits.fetch_add(1, Ordering::SeqCst);
    let mode = inner.mode.lock().unwrap().clone();
    let mut models = vec![json!({"name": "other:7b", "model": "other:7b", "size": 1})];
    if !matches!(mode, Mode::ModelMissing) {
        models.push(json!({"name": MODEL, "model": MODEL, "size": 1}));
    }
    Json(json!({ "models": models })).into_response()
}

async fn openai_chat(State(inner): State<Arc<Inner>>, Json(body): Json<Value>) -> Response {
    let event = |content: Option<&str>, finish: Option<&str>| {
        let v = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": MODEL,
                       "choices": [{"index": 0, "delta": {"content": content},
                                    "finish_reason": finish}]});
        format!("data: {v}\n\n")
    };
    let sse = "text/event-stream";
    match record(&inner, "/v1/chat/completions", &body) {
        Mode::Answer(text) => {
            let mut pieces = vec![": keep-alive comment\n\n".to_string()];
            pieces.extend(words(&text).iter().map(|w| event(Some(w), None)));
            pieces.push(event(None, Some("stop")));
            pieces.push("data: [DONE]\n\n".into());
            streamed(inner, sse, pieces, Tail::End)
        }
        Mode::SlowFirstByte => never().await,
        Mode::Status500 => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        Mode::Malformed => {
            let pieces = vec![event(Some("Torque "), None), "data: {oops\n\n".into()];
            streamed(inner, sse, pieces, Tail::End)
        }
        Mode::Cut => streamed(
            inner,
            sse,
            vec![event(Some("Torque the "), None)],
            Tail::Cut,
        ),
        Mode::ModelMissing => (
            StatusCode::NOT_FOUND,
            Json(
                json!({"error": {"message": format!("The model `{MODEL}` does not exist."),
                                  "type": "invalid_request_error", "code": "model_not_found"}}),
            ),
        )
            .into_response(),
        Mode::Hang => streamed(inner, sse, vec![event(Some("Torque "), None)], Tail::Hang),
    }
}

async fn openai_models(State(inner): State<Arc<Inner>>) -> Response {
    inner.all_hits.fetch_add(1, Ordering::SeqCst);
    if !inner.models_route.load(Ordering::SeqCst) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mode = inner.mode.lock().unwrap().clone();
    let mut data = vec![json!({"id": "other", "object": "model"})];
    if !matches!(mode, Mode::ModelMissing) {
        data.push(json!({"id": MODEL, "object": "model"}));
    }
    Json(json!({"object": "list", "data": data})).into_response()
}
