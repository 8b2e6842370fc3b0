//! The HTTP plumbing both backends share: a locked-down client, error mapping, and a
//! line reader over a streamed body.
//!
//! Why locked down: NIC is offline by design (DESIGN §6), so the client must contact the
//! configured URL and nothing else — no proxy taken from the environment, no redirects to
//! another host, plain http only (there is no TLS stack in this build; an https URL is a
//! configuration error, reported before any request).
//!
//! Why a hand-written line reader: both protocols stream one JSON document per line (Ollama's
//! NDJSON, OpenAI's SSE `data:` lines). Lines arrive split across TCP chunks at arbitrary
//! bytes — even inside a multi-byte UTF-8 character — so bytes are buffered until a newline,
//! and each complete line is handed on as soon as it exists (the first token is not held
//! back until the whole answer is there).
//!
//! Cancellation: nothing here spawns a task. The request, the response and its byte stream
//! live inside the caller's future; dropping that future drops the body, and hyper then
//! closes the connection, so the server stops generating for a client that went away.

use crate::error::{LlmConfigError, LlmError};
use futures_util::StreamExt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

/// Time allowed to open the TCP connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// A line longer than this is not a streaming protocol line.
const MAX_LINE_BYTES: usize = 1 << 20;
/// How much of an error body is kept for the message.
const SNIPPET_BYTES: usize = 300;

/// Checks the base URL and returns it without a trailing slash.
pub fn normalize_base_url(url: &str) -> Result<String, LlmConfigError> {
    let url = url.trim().trim_end_matches('/');
    if url.to_ascii_lowercase().starts_with("https://") {
        return Err(LlmConfigError::Https(url.to_string()));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| LlmConfigError::BadUrl {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    if parsed.scheme() != "http" || parsed.host_str().is_none() {
        return Err(LlmConfigError::BadUrl {
            url: url.to_string(),
            reason: "expected http://host:port".into(),
        });
    }
    Ok(url.to_string())
}

/// The reqwest client: connect timeout, no proxies, no redirects.
pub fn build_client() -> Result<reqwest::Client, LlmConfigError> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| LlmConfigError::Client(e.to_string()))
}

/// Maps a reqwest error to the caller's vocabulary.
pub fn map_reqwest(url: &str, e: reqwest::Error) -> LlmError {
    if e.is_connect() {
        let mut reason = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            reason = s.to_string();
            src = s.source();
        }
        LlmError::Connect {
            url: url.to_string(),
            reason,
        }
    } else if e.is_body() || e.is_decode() || e.is_request() {
        LlmError::Protocol(format!("the response stream broke off: {e}"))
    } else {
        LlmError::Protocol(e.to_string())
    }
}

/// Where a request is, so that a timeout can say what it was waiting for.
#[derive(Default)]
pub struct Stage(AtomicU8);

impl Stage {
    pub const CONNECTING: u8 = 0;
    pub const FIRST_TOKEN: u8 = 1;
    pub const STREAMING: u8 = 2;

    pub fn set(&self, s: u8) {
        self.0.store(s, Ordering::Relaxed);
    }

    pub fn describe(&self) -> &'static str {
        match self.0.load(Ordering::Relaxed) {
            Self::CONNECTING => "waiting for the server to start its response",
            Self::FIRST_TOKEN => "waiting for the first token",
            _ => "streaming the answer",
        }
    }
}

/// Runs `fut` under `deadline`; on expiry the future (and its connection) is dropped.
pub async fn with_deadline<T>(
    deadline: Duration,
    stage: &Stage,
    fut: impl std::future::Future<Output = Result<T, LlmError>>,
) -> Result<T, LlmError> {
    match tokio::time::timeout(deadline, fut).await {
        Ok(r) => r,
        Err(_) => Err(LlmError::timeout(deadline, stage.describe())),
    }
}

/// Turns a non-success response into [`LlmError::Http`] with a short body snippet.
pub async fn error_for_status(resp: reqwest::Response) -> Result<reqwest::Response, LlmError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let body = resp.bytes().await.unwrap_or_default();
    Err(LlmError::Http {
        status: status.as_u16(),
        body_snippet: snippet(&body),
    })
}

/// The first few hundred bytes of a body as text.
pub fn snippet(body: &[u8]) -> String {
    let cut = &body[..body.len().min(SNIPPET_BYTES)];
    String::from_utf8_lossy(cut).trim().to_string()
}

/// Whether the line handler wants more lines.
pub enum Flow {
    More,
    Stop,
}

/// Accumulates bytes and yields complete lines (without `\n` / `\r\n`).
#[derive(Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
}

impl LineBuffer {
    /// Appends a chunk and returns the complete lines it finished.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<String>, LlmError> {
        self.buf.extend_from_slice(chunk);
        let mut lines = Vec::new();
        while let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
            let rest = self.buf.split_off(pos + 1);
            let mut line = std::mem::replace(&mut self.buf, rest);
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            lines.push(decode(line)?);
        }
        if self.buf.len() > MAX_LINE_BYTES {
            return Err(LlmError::Protocol(format!(
                "a stream line exceeded {MAX_LINE_BYTES} bytes"
            )));
        }
        Ok(lines)
    }

    /// The unterminated rest at the end of the stream, if any.
    pub fn finish(&mut self) -> Result<Option<String>, LlmError> {
        let rest = std::mem::take(&mut self.buf);
        if rest.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        decode(rest).map(Some)
    }
}

fn decode(line: Vec<u8>) -> Result<String, LlmError> {
    String::from_utf8(line).map_err(|_| LlmError::Protocol("a stream line is not UTF-8".into()))
}

/// Feeds each line of the streamed body to `on_line` as it completes. Returns `true` when
/// the handler stopped the stream, `false` when the body ended first.
pub async fn for_each_line(
    url: &str,
    resp: reqwest::Response,
    mut on_line: impl FnMut(&str) -> Result<Flow, LlmError>,
) -> Result<bool, LlmError> {
    let mut stream = resp.bytes_stream();
    let mut lines = LineBuffer::default();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| map_reqwest(url, e))?;
        for line in lines.push(&chunk)? {
            if let Flow::Stop = on_line(&line)? {
                return Ok(true);
            }
        }
    }
    if let Some(line) = lines.finish()? {
        if let Flow::Stop = on_line(&line)? {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_anywhere_are_reassembled() {
        let text = "{\"a\":\"°C — ok\"}\r\n{\"b\":2}\n{\"c\":";
        let bytes = text.as_bytes();
        for cut in 1..bytes.len() {
            let mut lb = LineBuffer::default();
            let mut got = lb.push(&bytes[..cut]).unwrap();
            got.extend(lb.push(&bytes[cut..]).unwrap());
            assert_eq!(
                got,
                vec!["{\"a\":\"°C — ok\"}", "{\"b\":2}"],
                "cut at {cut}"
            );
            assert_eq!(lb.finish().unwrap().as_deref(), Some("{\"c\":"));
        }
    }

    #[test]
    fn https_and_garbage_urls_are_config_errors() {
        assert!(matches!(
            normalize_base_url("https://example.org"),
            Err(LlmConfigError::Https(_))
        ));
        assert!(matches!(
            normalize_base_url("not a url"),
            Err(LlmConfigError::BadUrl { .. })
        ));
        assert_eq!(
            normalize_base_url(" http://127.0.0.1:11434/ ").unwrap(),
            "http://127.0.0.1:11434"
        );
    }

    #[test]
    fn overlong_line_is_a_protocol_error() {
        let mut lb = LineBuffer::default();
        let big = vec![b'x'; MAX_LINE_BYTES + 1];
        assert!(matches!(lb.push(&big), Err(LlmError::Protocol(_))));
    }
}
