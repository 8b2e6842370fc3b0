//! Errors of the audit log. Each message says what happened and, where there is one, what the
//! operator can do about it; the SQLite error is kept as the source.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log file does not exist (readers never create one).
    #[error(
        "no audit log at {}: the server creates it on its first /api/ask \
         (check the data directory: --data-dir or NOVA_DATA_DIR)",
        path.display()
    )]
    NotFound { path: PathBuf },

    /// The audit directory could not be created or read.
    #[error("audit directory {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A SQLite operation failed; `what` names the operation.
    #[error("audit log: {what} failed: {source}")]
    Sqlite {
        what: &'static str,
        #[source]
        source: rusqlite::Error,
    },

    /// The file is a SQLite database but not an audit log this build understands.
    #[error("audit log {}: {reason}", path.display())]
    Incompatible { path: PathBuf, reason: String },

    /// A record could not be turned into its canonical JSON.
    #[error("audit record could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),

    /// A stored record cannot be read back (damaged or edited by hand).
    #[error("audit record seq {seq} is unreadable: {reason} (run `nic audit verify`)")]
    Corrupt { seq: u64, reason: String },

    /// The client-identity key file (`<data_dir>/audit.key`) exists but is unusable.
    #[error(
        "audit key {}: {reason}. Restore it from a backup, or delete it to start a new key \
         (client ids in the audit log change from then on)",
        path.display()
    )]
    Key { path: PathBuf, reason: String },

    /// Writing an export failed.
    #[error("writing the export failed: {0}")]
    Write(#[source] std::io::Error),
}

/// Attaches the name of the failed operation to a SQLite error.
pub(crate) trait SqlContext<T> {
    fn ctx(self, what: &'static str) -> Result<T, AuditError>;
}

impl<T> SqlContext<T> for Result<T, rusqlite::Error> {
    fn ctx(self, what: &'static str) -> Result<T, AuditError> {
        self.map_err(|source| AuditError::Sqlite { what, source })
    }
}
