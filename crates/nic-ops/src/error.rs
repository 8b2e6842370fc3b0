//! Errors of the operations toolkit. Each message says what was attempted and, where there is
//! one, what the operator can do about it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("process {pid} not found (it exited, or /proc/{pid} is not visible to this user)")]
    NoSuchProcess { pid: u32 },
    #[error(
        "cannot reach {url}: {reason} (is `nic serve` running and NOVA_BIND/NOVA_PORT right?)"
    )]
    Http { url: String, reason: String },
    #[error(
        "{url} is not a loopback address: NIC only talks to servers on this machine \
         (use http://127.0.0.1:PORT or http://localhost:PORT)"
    )]
    NotLoopback { url: String },
    #[error("unsupported URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("unexpected answer from {url}: {reason}")]
    BadResponse { url: String, reason: String },
    #[error("cannot draw the plot: {reason}")]
    Plot { reason: String },
    #[error("jemalloc control call {name} failed: {reason}")]
    Allocator { name: String, reason: String },
}

impl OpsError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
