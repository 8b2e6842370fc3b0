//! The tamper-evident audit trail of NIC (issue 5 item 5).
//!
//! Every `/api/ask` that reached the pipeline — answers, abstentions, refusals, emergencies
//! and client errors — becomes one [`AuditRecord`]. The server hands it to an
//! [`AuditWriter`], which appends it from a background thread to an [`AuditLog`]: a SQLite
//! file under `<data_dir>/audit/` whose records are hash-chained, so editing or deleting
//! one is found by [`AuditLog::verify`] (`nic audit verify`) and named by its `seq`.
//!
//! Why this shape: an auditor must be able to trust that the log shows what NIC told
//! technicians, yet the log must never slow down or break an answer. Hence a chain anyone
//! can recompute (canonical JSON + SHA-256, see [`record`]), questions stored as text, a
//! salted hash or not at all (`NOVA_AUDIT_QUESTIONS`), retention that removes whole days
//! and leaves an anchor behind (`NOVA_AUDIT_RETENTION_DAYS`), and a writer that drops and
//! counts rather than blocks. Clients are named by a keyed hash of their token
//! ([`identity`]), so the log cannot be used to guess tokens.
//!
//! Wiring in the server:
//! ```no_run
//! # use nic_audit::*;
//! # fn f(cfg: &nic_core::NicConfig, rec: AuditRecord) -> Result<(), AuditError> {
//! let log = AuditLog::open(&cfg.data_dir, cfg.audit_questions, None)?;
//! let writer = AuditWriter::start_with(log, WriterOptions {
//!     retention_days: cfg.audit_retention_days,
//!     ..WriterOptions::default()
//! });
//! writer.submit(rec); // never blocks; /health reports writer.stats()
//! # Ok(()) }
//! ```

mod error;
pub mod identity;
mod log;
pub mod record;
pub mod time;
mod verify;
mod writer;

pub use error::AuditError;
pub use identity::ClientKey;
pub use log::{audit_path, AuditLog};
pub use record::{AuditCitation, AuditRecord, StoredEntry, StoredRecord};
pub use verify::{Anchor, VerifyReport};
pub use writer::{AuditWriter, PauseGuard, WriterOptions, WriterStats};
