//! A minimal HTTP/1.1 GET for talking to a NIC server on this machine.
//!
//! `nic monitor --url` and `nic diagnose` only ever fetch small JSON documents (`/health`,
//! `/debug/memory`) from a local server, so a blocking `TcpStream` with timeouts is enough and
//! keeps the CLI free of an async runtime. Only loopback hosts are accepted: NIC never opens a
//! non-loopback connection unless an LLM URL is configured (DESIGN §6).

use crate::error::OpsError;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Largest body accepted (a `/debug/memory` document is a few kB).
const MAX_RESPONSE: u64 = 8 * 1024 * 1024;

/// A parsed `http://host:port/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// Parses an `http://` URL (default port 80, default path `/`).
pub fn parse_http_url(url: &str) -> Result<HttpUrl, OpsError> {
    let bad = |reason: &str| OpsError::BadUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad("only http:// is supported (the server is on this machine)"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(bad("expected http://HOST:PORT"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("unclosed [ in host"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad("port is not a number"))?,
            None if after.is_empty() => 80,
            None => return Err(bad("garbage after ]")),
        };
        (h.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse().map_err(|_| bad("port is not a number"))?,
            ),
            None => (authority.to_string(), 80),
        }
    };
    Ok(HttpUrl {
        host,
        port,
        path: path.to_string(),
    })
}

/// The loopback addresses `url` resolves to; an error when any is not loopback.
fn loopback_addrs(url: &str, u: &HttpUrl) -> Result<Vec<SocketAddr>, OpsError> {
    let addrs: Vec<SocketAddr> = (u.host.as_str(), u.port)
        .to_socket_addrs()
        .map_err(|e| OpsError::Http {
            url: url.to_string(),
            reason: format!("cannot resolve {}: {e}", u.host),
        })?
        .collect();
    if addrs.is_empty() || addrs.iter().any(|a| !a.ip().is_loopback()) {
        return Err(OpsError::NotLoopback {
            url: url.to_string(),
        });
    }
    Ok(addrs)
}

/// Checks a URL without connecting: parseable `http://` and loopback.
pub fn check_loopback_url(url: &str) -> Result<HttpUrl, OpsError> {
    let u = parse_http_url(url)?;
    loopback_addrs(url, &u)?;
    Ok(u)
}

/// Status and body of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// `GET url`, with `X-API-TOKEN` when a token is given. Non-2xx statuses are returned, not
/// errors (`/health` answers 503 with a useful body when unhealthy).
pub fn http_get(
    url: &str,
    token: Option<&str>,
    timeout: Duration,
) -> Result<HttpResponse, OpsError> {
    let u = parse_http_url(url)?;
    let addrs = loopback_addrs(url, &u)?;
    let err = |reason: String| OpsError::Http {
        url: url.to_string(),
        reason,
    };
    let mut last = None;
    let mut stream = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut stream = stream.ok_or_else(|| {
        err(last
            .map(|e| e.to_string())
            .unwrap_or_else(|| "no address".into()))
    })?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| err(e.to_string()))?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| err(e.to_string()))?;
    let host = if u.host.contains(':') {
        format!("[{}]:{}", u.host, u.port)
    } else {
        format!("{}:{}", u.host, u.port)
    };
    let mut req = format!(
        "GET {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: nic/{}\r\nAccept: application/json\r\nConnection: close\r\n",
        u.path,
        env!("CARGO_PKG_VERSION")
    );
    if let Some(t) = token {
        if t.contains(['\r', '\n']) {
            return Err(err("the API token contains a line break".into()));
        }
        req.push_str(&format!("X-API-TOKEN: {t}\r\n"));
    }
    req.push_str("\r\n");
    stream
        .write_all(req.as_bytes())
        .map_err(|e| err(e.to_string()))?;
    let mut raw = Vec::new();
    stream
        .take(MAX_RESPONSE + 64 * 1024)
        .read_to_end(&mut raw)
        .map_err(|e| err(format!("reading the answer: {e}")))?;
    parse_response(&raw).map_err(|reason| OpsError::BadResponse {
        url: url.to_string(),
        reason,
    })
}

/// Parses a complete HTTP/1.x response (Content-Length, chunked, or read-to-close).
pub fn parse_response(raw: &[u8]) -> Result<HttpResponse, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| "headers are not UTF-8")?;
    let body = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.split_whitespace();
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(format!("not an HTTP/1 status line: {status_line:?}"));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("no status code")?;
    let mut chunked = false;
    let mut length = None;
    for l in lines {
        let Some((k, v)) = l.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
            chunked = true;
        } else if k == "content-length" {
            length = Some(v.parse::<usize>().map_err(|_| "bad Content-Length")?);
        }
    }
    let body = if chunked {
        decode_chunked(body)?
    } else if let Some(n) = length {
        body.get(..n)
            .ok_or("body shorter than Content-Length")?
            .to_vec()
    } else {
        body.to_vec()
    };
    Ok(HttpResponse {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn decode_chunked(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&data[..eol]).map_err(|_| "bad chunk size")?;
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| "bad chunk size")?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        data = data.get(size + 2..).ok_or("truncated chunk end")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn urls() {
        let u = parse_http_url("http://127.0.0.1:5000/health").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 5000, "/health")
        );
        let u = parse_http_url("http://[::1]:8080").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("::1", 8080, "/")
        );
        assert_eq!(parse_http_url("http://localhost").unwrap().port, 80);
        assert!(parse_http_url("https://x").is_err());
        assert!(parse_http_url("http://h:notaport/").is_err());
        assert!(parse_http_url("http://user:pw@h/").is_err());
        assert!(matches!(
            check_loopback_url("http://192.0.2.1:5000"),
            Err(OpsError::NotLoopback { .. })
        ));
        assert!(check_loopback_url("http://127.0.0.1:5000").is_ok());
    }

    #[test]
    fn responses() {
        let r =
            parse_response(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}xx")
                .unwrap();
        assert_eq!((r.status, r.body.as_str()), (503, "{}"));
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;x=1\r\n\":1}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, "{\"a\":1}");
        assert!(parse_response(b"garbage").is_err());
        assert!(parse_response(b"SMTP 220\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab").is_err());
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err()
        );
    }

    #[test]
    fn get_from_a_loopback_server_sends_the_token() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 2048];
            let n = s.read(&mut buf).unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).into_owned();
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")
                .unwrap();
            req
        });
        let url = format!("http://127.0.0.1:{port}/debug/memory");
        let r = http_get(&url, Some("s3cret"), Duration::from_secs(5)).unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "{\"ok\":true}"));
        let req = server.join().unwrap();
        assert!(req.starts_with("GET /debug/memory HTTP/1.1\r\n"), "{req}");
        assert!(req.contains("X-API-TOKEN: s3cret\r\n"));
    }

    #[test]
    fn closed_port_is_a_clear_error() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let e = http_get(
            &format!("http://127.0.0.1:{port}/health"),
            None,
            Duration::from_secs(2),
        )
        .unwrap_err();
        assert!(e.to_string().contains("nic serve"), "{e}");
    }
}
