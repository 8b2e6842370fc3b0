//! The accept loop: HTTP/1.1 over hyper, with limits on what a client can hold.
//!
//! `axum::serve` has no header timeout, no idle timeout and no connection limit: 200 idle
//! keep-alive connections and 30 slow-header (slowloris) clients held 620 file descriptors
//! for a minute. Here each connection is served by hyper's HTTP/1.1 connection (what
//! `axum::serve` ran too: this build has no HTTP/2), next to a small watcher that knows
//! whether a request is in flight and enforces (DESIGN §4 names):
//!
//! - `NOVA_HTTP_HEADER_TIMEOUT_S` (default 10 s): a request head must be complete this long
//!   after its first byte arrived (for the first request of a connection: after the
//!   connection opened). The clock is not restarted by each byte, so trickling one byte at
//!   a time does not keep a connection. A browser sends its head in one packet; 10 s is
//!   generous for a slow link and short enough that stalled clients free their slots fast.
//! - `NOVA_HTTP_IDLE_TIMEOUT_S` (default 60 s): a keep-alive connection with no request in
//!   flight and none begun is closed. A request stays in flight until its response body has
//!   been handed to the socket, so a streamed answer (SSE) waiting on a slow LLM is never
//!   cut. 60 s keeps a technician's browser on one connection between questions (nginx
//!   uses 75 s); an idle connection costs one descriptor and a few KiB, and never blocks a
//!   newcomer (next point).
//! - `NOVA_HTTP_MAX_CONNECTIONS` (default 512): at the limit the loop stops accepting, so
//!   new connections wait in the kernel's listen backlog in arrival order, and one idle
//!   keep-alive connection is closed to make room for the one that waits. Why wait rather
//!   than accept-and-close: the connections holding the slots are either working (their
//!   answers keep flowing), idle (one is closed at once for the newcomer) or stalled
//!   (closed by the header timeout within seconds). Refusing would hand freed slots to
//!   whoever reconnects fastest, an attacker; waiting serves the legitimate client next,
//!   within one header timeout, and costs the process no descriptor meanwhile. 512 stays
//!   below the common soft `RLIMIT_NOFILE` of 1024, so connections cannot starve the index,
//!   catalog and audit log of descriptors, and is far above what a workshop's browsers open.
//!
//! Request heads are also capped at [`MAX_HEADER_BYTES`] (431 beyond), so the header
//! buffers of all connections together stay bounded.
//!
//! Why not hyper's `header_read_timeout`: its clock also runs while a keep-alive
//! connection waits for its next request, so it would close idle connections after the
//! header timeout and leave no room for a separate, longer idle timeout.
//!
//! Graceful shutdown: the listener is closed, connections with a request in flight finish
//! it (then close), idle ones close once their last response is written, and connections
//! still sending a head are closed at once (no request of theirs has started).

use crate::observe::ServerMetrics;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use nic_core::NicConfig;
use parking_lot::Mutex;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The largest request head (request line and headers) accepted; beyond it, 431. Browsers
/// send well under 8 KiB; nginx allows 4 x 8 KiB.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The three connection limits, from the config.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl ConnLimits {
    pub fn from_config(c: &NicConfig) -> Self {
        Self {
            header_timeout: Duration::from_secs(c.http_header_timeout_s.max(1)),
            idle_timeout: Duration::from_secs(c.http_idle_timeout_s.max(1)),
            max_connections: c.http_max_connections.max(1),
        }
    }
}

/// Why the server closed a connection (the `reason` of `nova_connections_closed_total`).
pub const CLOSE_REASONS: [&str; 3] = ["header_timeout", "idle_timeout", "evicted"];

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request head (or its rest) since this instant.
    Head(Instant),
    /// No request in flight and none begun since this instant.
    Idle(Instant),
    /// This many requests in flight, until their response bodies are done.
    Busy(usize),
}

/// The phase of one connection, moved by its socket (bytes read), its service (request
/// started) and its response bodies (request done); the watcher is woken on every move.
struct Track {
    phase: Mutex<Phase>,
    moved: Notify,
}

impl Track {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            phase: Mutex::new(Phase::Head(Instant::now())),
            moved: Notify::new(),
        })
    }

    fn phase(&self) -> Phase {
        *self.phase.lock()
    }

    fn bytes_read(&self) {
        let mut p = self.phase.lock();
        if let Phase::Idle(_) = *p {
            *p = Phase::Head(Instant::now());
            drop(p);
            self.moved.notify_one();
        }
    }

    fn request_started(self: &Arc<Self>) -> InFlight {
        {
            let mut p = self.phase.lock();
            *p = match *p {
                Phase::Busy(n) => Phase::Busy(n + 1),
                _ => Phase::Busy(1),
            };
        }
        self.moved.notify_one();
        InFlight(self.clone())
    }

    fn request_done(&self) {
        {
            let mut p = self.phase.lock();
            *p = match *p {
                Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
                _ => Phase::Idle(Instant::now()),
            };
        }
        self.moved.notify_one();
    }
}

/// A request in flight: created when hyper hands the request to the router, dropped with
/// the response body (sent, failed, or abandoned by a client that went away).
struct InFlight(Arc<Track>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_done();
    }
}

/// The response body, carrying the in-flight mark until hyper is done with it.
struct TrackedBody {
    inner: Body,
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, reporting bytes read to the connection's [`Track`].
struct TrackedIo {
    tcp: TcpStream,
    track: Arc<Track>,
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.tcp).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.track.bytes_read();
        }
        r
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// What the accept loop shares with its connections.
struct Shared {
    limits: ConnLimits,
    metrics: Arc<ServerMetrics>,
    /// Idle connections the accept loop wants closed to make room (0 or 1).
    evictions_wanted: AtomicUsize,
    /// Bumped when an eviction is wanted; wakes the connections' watchers.
    room_wanted: watch::Sender<u64>,
}

impl Shared {
    /// One idle connection takes the eviction on itself (only one of them succeeds).
    fn claim_eviction(&self) -> bool {
        self.evictions_wanted
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |w| w.checked_sub(1))
            .is_ok()
    }
}

/// Accepts connections until `shutdown` resolves, serves `router` on each, then waits for
/// the connections to finish (see the module docs).
pub(crate) async fn serve<F>(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    metrics: Arc<ServerMetrics>,
    shutdown: F,
) -> std::io::Result<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    metrics.connections_max.set(limits.max_connections as f64);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let shared = Arc::new(Shared {
        limits,
        metrics,
        evictions_wanted: AtomicUsize::new(0),
        room_wanted: watch::channel(0u64).0,
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task holds a sender; `recv` returns `None` once all have ended.
    let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.header_read_timeout(None) // ours, see the module docs
        .max_header_size(MAX_HEADER_BYTES)
        .keep_alive(true);
    tokio::pin!(shutdown);
    'accept: loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => break 'accept,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of descriptors or memory: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed; retrying shortly");
                    tokio::select! {
                        _ = &mut shutdown => break 'accept,
                        _ = tokio::time::sleep(Duration::from_millis(100)) => continue,
                    }
                }
            },
        };
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                shared.metrics.connections_limited_total.inc();
                shared.evictions_wanted.store(1, Ordering::SeqCst);
                shared.room_wanted.send_modify(|n| *n = n.wrapping_add(1));
                let p = tokio::select! {
                    _ = &mut shutdown => break 'accept,
                    p = slots.clone().acquire_owned() => p,
                };
                shared.evictions_wanted.store(0, Ordering::SeqCst);
                match p {
                    Ok(p) => p,
                    Err(_) => break 'accept,
                }
            }
        };
        shared.metrics.connections_accepted_total.inc();
        let _ = tcp.set_nodelay(true);
        tokio::spawn(serve_connection(
            Conn {
                tcp,
                peer,
                router: router.clone(),
                http: http.clone(),
                shared: shared.clone(),
                stop: stop_rx.clone(),
                room: shared.room_wanted.subscribe(),
            },
            permit,
            alive_tx.clone(),
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(alive_tx);
    let _ = alive_rx.recv().await;
    Ok(())
}

/// Errors of one incoming connection (it went away before we accepted it), not of the
/// listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

struct Conn {
    tcp: TcpStream,
    peer: SocketAddr,
    router: Router,
    http: hyper::server::conn::http1::Builder,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    room: watch::Receiver<u64>,
}

async fn serve_connection(c: Conn, _slot: OwnedSemaphorePermit, _alive: mpsc::Sender<()>) {
    let Conn {
        tcp,
        peer,
        router,
        http,
        shared,
        mut stop,
        mut room,
    } = c;
    let metrics = shared.metrics.clone();
    let _open = metrics.connections_open.track();
    let limits = shared.limits;
    let track = Track::new();
    let io = TokioIo::new(TrackedIo {
        tcp,
        track: track.clone(),
    });
    let svc_track = track.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let in_flight = svc_track.request_started();
        // What `into_make_service_with_connect_info` provided: handlers and middleware
        // read the peer address from here.
        req.extensions_mut().insert(ConnectInfo(peer));
        let mut router = router.clone();
        async move {
            let resp = match tower::Service::call(&mut router, req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(resp.map(|inner| TrackedBody {
                inner,
                _in_flight: in_flight,
            }))
        }
    });
    let conn = http.serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping = false;
    let mut closing = false;
    loop {
        let phase = track.phase();
        let now = Instant::now();
        // Shutdown: a head still arriving is no request yet; drop it. Otherwise let hyper
        // finish the response in flight (or the last one written) and close.
        if stopping && matches!(phase, Phase::Head(_)) {
            return;
        }
        if !closing {
            // At the connection limit with a newcomer waiting, an idle connection gives up
            // its slot: closed by hyper once its last response is written out.
            let evict = !stopping && matches!(phase, Phase::Idle(_)) && shared.claim_eviction();
            if evict {
                metrics.connections_closed_total.with(&["evicted"]).inc();
                tracing::debug!(%peer, "closing an idle connection to make room for a new one");
            }
            if stopping || evict {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
        let deadline = match phase {
            Phase::Head(t) => Some((t + limits.header_timeout, "header_timeout")),
            Phase::Idle(t) => Some((t + limits.idle_timeout, "idle_timeout")),
            Phase::Busy(_) => None,
        };
        if let Some((at, reason)) = deadline {
            if now >= at {
                metrics.connections_closed_total.with(&[reason]).inc();
                tracing::debug!(%peer, reason, "closing connection");
                return;
            }
        }
        let wake_at = deadline.map_or(now + Duration::from_secs(3600), |(at, _)| at);
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = track.moved.notified() => {}
            _ = tokio::time::sleep_until(wake_at) => {}
            _ = stop.changed(), if !stopping => stopping = true,
            _ = room.changed() => {}
        }
    }
}
