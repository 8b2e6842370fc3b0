//! The audit log file: `<data_dir>/audit/audit.sqlite`, one row per answered request.
//!
//! Why SQLite: appends are durable and atomic (WAL, one transaction per batch), reviewers can
//! query it with any SQLite tool, and the server and the `nic audit` commands can use it at
//! the same time (WAL readers never block the writer).
//!
//! Layout:
//! - `records(seq, segment, time_unix_ms, prev_hash, hash, body)`: `body` is the canonical
//!   JSON of a [`StoredEntry`]; `hash` chains it to the previous record (see [`crate::record`]).
//!   `time_unix_ms` and `segment` are copies for indexing; verification checks them.
//! - `segment` is the UTC day of the record, never less than the previous record's segment,
//!   so every segment is a contiguous run of `seq` and retention can drop whole days.
//! - `anchors(through_seq, hash, …)`: one row per retention pass — the seq and hash of the
//!   last removed record — so the first remaining record still links to something.
//! - `meta(key, value)`: schema version, the question salt, and the head of the chain
//!   (`head_seq`, `head_hash`), which makes deleting the newest records detectable.
//!
//! What this does *not* defend against: someone who can write the file and recomputes every
//! later hash and the head. Publishing the head hash elsewhere (`nic audit verify` prints it)
//! turns such a rewrite into a detectable one too.

use crate::error::{AuditError, SqlContext};
use crate::record::{canonical_json, chain_hash, question_hash, StoredEntry, StoredRecord};
use crate::record::{AuditRecord, GENESIS_HASH};
use crate::time::now_unix_ms;
use nic_core::config::AuditQuestions;
use parking_lot::Mutex;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::io::Write;
use std::path::{Path, PathBuf};

pub(crate) const MS_PER_DAY: u64 = 86_400_000;
const SCHEMA_VERSION: &str = "1";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    segment INTEGER NOT NULL,
    time_unix_ms INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_time ON records(time_unix_ms);
CREATE INDEX IF NOT EXISTS records_segment ON records(segment);
CREATE TABLE IF NOT EXISTS anchors (
    through_seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    segment INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    removed_at_unix_ms INTEGER NOT NULL,
    intact INTEGER NOT NULL
);
";

/// The path of the audit log under a data directory.
pub fn audit_path(data_dir: &Path) -> PathBuf {
    data_dir.join("audit").join("audit.sqlite")
}

/// The hash-chained audit log. Cheap to share behind an `Arc`; appends are serialised.
pub struct AuditLog {
    pub(crate) conn: Mutex<Connection>,
    path: PathBuf,
    questions: AuditQuestions,
    salt: String,
}

/// The end of the chain: what the next record links to.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub seq: u64,
    pub hash: String,
    pub segment: u64,
}

pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>, AuditError> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
        .ctx("reading meta")
}

fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<(), AuditError> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
    .map(|_| ())
    .ctx("writing meta")
}

pub(crate) fn read_head(conn: &Connection) -> Result<Head, AuditError> {
    let num = |k| -> Result<u64, AuditError> {
        Ok(meta_get(conn, k)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    };
    Ok(Head {
        seq: num("head_seq")?,
        hash: meta_get(conn, "head_hash")?.unwrap_or_else(|| GENESIS_HASH.to_string()),
        segment: num("head_segment")?,
    })
}

/// Reads one `records` row as (seq, segment, time, prev_hash, hash, body).
pub(crate) type RawRow = (u64, u64, u64, String, String, String);

pub(crate) fn raw_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        to_u64(r.get(0)?),
        to_u64(r.get(1)?),
        to_u64(r.get(2)?),
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

pub(crate) const RAW_COLUMNS: &str = "seq, segment, time_unix_ms, prev_hash, hash, body";

fn stored(row: RawRow) -> Result<StoredRecord, AuditError> {
    let (seq, _, _, prev_hash, hash, body) = row;
    let entry: StoredEntry = serde_json::from_str(&body).map_err(|e| AuditError::Corrupt {
        seq,
        reason: e.to_string(),
    })?;
    Ok(StoredRecord {
        seq,
        prev_hash,
        hash,
        entry,
    })
}

impl AuditLog {
    /// Opens (creating when needed) `<data_dir>/audit/audit.sqlite` for appending.
    /// `salt` overrides the salt of question hashes; without it the log's own salt is used,
    /// generated randomly on first open and kept in `meta`.
    pub fn open(
        data_dir: &Path,
        questions: AuditQuestions,
        salt: Option<&str>,
    ) -> Result<Self, AuditError> {
        let path = audit_path(data_dir);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| AuditError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(&path).ctx("opening the audit log")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .ctx("setting the busy timeout")?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .ctx("enabling WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .ctx("setting synchronous")?;
        conn.execute_batch(SCHEMA).ctx("creating the schema")?;
        check_schema(&conn, &path, true)?;
        let stored_salt = match meta_get(&conn, "salt")? {
            Some(s) => s,
            None => {
                let s = hex::encode(rand::random::<[u8; 32]>());
                meta_set(&conn, "salt", &s)?;
                s
            }
        };
        let salt = salt.map_or(stored_salt, str::to_string);
        Ok(Self {
            conn: Mutex::new(conn),
            path,
            questions,
            salt,
        })
    }

    /// Opens an existing log for reading and verification; never creates one.
    /// Appends through this handle store no question text (mode `none`).
    pub fn open_existing(data_dir: &Path) -> Result<Self, AuditError> {
        let path = audit_path(data_dir);
        if !path.is_file() {
            return Err(AuditError::NotFound { path });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags).ctx("opening the audit log")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .ctx("setting the busy timeout")?;
        check_schema(&conn, &path, false)?;
        let salt = meta_get(&conn, "salt")?.unwrap_or_default();
        Ok(Self {
            conn: Mutex::new(conn),
            path,
            questions: AuditQuestions::None,
            salt,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn questions(&self) -> AuditQuestions {
        self.questions
    }

    /// The stored hash of `question` under this log's salt, so a reviewer can check whether
    /// a given question was asked without the log holding its text.
    pub fn question_hash(&self, question: &str) -> String {
        question_hash(&self.salt, question)
    }

    /// Appends one record and returns its `seq`.
    pub fn append(&self, rec: &AuditRecord) -> Result<u64, AuditError> {
        let seqs = self.append_batch(std::slice::from_ref(rec))?;
        Ok(seqs.first().copied().unwrap_or(0))
    }

    /// Appends records in order in one transaction (all or none) and returns their `seq`s.
    pub fn append_batch(&self, recs: &[AuditRecord]) -> Result<Vec<u64>, AuditError> {
        let mut conn = self.conn.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx("starting an append")?;
        let mut head = read_head(&tx)?;
        let mut seqs = Vec::with_capacity(recs.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO records(seq, segment, time_unix_ms, prev_hash, hash, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .ctx("preparing an append")?;
            for rec in recs {
                let entry = StoredEntry::from_record(rec, self.questions, &self.salt);
                let body = canonical_json(&entry)?;
                let seq = head.seq + 1;
                let segment = (rec.time_unix_ms / MS_PER_DAY).max(head.segment);
                let hash = chain_hash(&head.hash, &body, seq);
                insert
                    .execute(params![
                        to_i64(seq),
                        to_i64(segment),
                        to_i64(rec.time_unix_ms),
                        head.hash,
                        hash,
                        body
                    ])
                    .ctx("appending a record")?;
                seqs.push(seq);
                head = Head { seq, hash, segment };
            }
        }
        meta_set(&tx, "head_seq", &head.seq.to_string())?;
        meta_set(&tx, "head_hash", &head.hash)?;
        meta_set(&tx, "head_segment", &head.segment.to_string())?;
        tx.commit().ctx("committing an append")?;
        Ok(seqs)
    }

    /// The newest `n` records, oldest first.
    pub fn tail(&self, n: usize) -> Result<Vec<StoredRecord>, AuditError> {
        let conn = self.conn.lock();
        let sql = format!("SELECT {RAW_COLUMNS} FROM records ORDER BY seq DESC LIMIT ?1");
        let mut stmt = conn.prepare(&sql).ctx("reading the tail")?;
        let rows = stmt
            .query_map([to_i64(n as u64)], raw_row)
            .ctx("reading the tail")?
            .collect::<Result<Vec<_>, _>>()
            .ctx("reading the tail")?;
        rows.into_iter().rev().map(stored).collect()
    }

    /// Writes every record with `time_unix_ms >= since_unix_ms` as one JSON line (canonical
    /// JSON of [`StoredRecord`]), in `seq` order, and returns how many were written.
    /// Removing `seq`, `prev_hash` and `hash` from a line and taking the canonical JSON of the
    /// rest gives the hashed body, so an export can be re-verified on its own.
    pub fn export_since(
        &self,
        since_unix_ms: u64,
        out: &mut dyn Write,
    ) -> Result<usize, AuditError> {
        let conn = self.conn.lock();
        let sql =
            format!("SELECT {RAW_COLUMNS} FROM records WHERE time_unix_ms >= ?1 ORDER BY seq");
        let mut stmt = conn.prepare(&sql).ctx("reading for export")?;
        let rows = stmt
            .query_map([to_i64(since_unix_ms)], raw_row)
            .ctx("reading for export")?;
        let mut n = 0;
        for row in rows {
            let rec = stored(row.ctx("reading for export")?)?;
            let line = canonical_json(&rec)?;
            writeln!(out, "{line}").map_err(AuditError::Write)?;
            n += 1;
        }
        out.flush().map_err(AuditError::Write)?;
        Ok(n)
    }

    /// Removes the whole segments (UTC days) that ended more than `days` days ago and anchors
    /// the chain at the last removed record. `days == 0` keeps everything.
    pub fn apply_retention(&self, days: u64) -> Result<usize, AuditError> {
        self.apply_retention_at(days, now_unix_ms())
    }

    /// [`Self::apply_retention`] as if the time were `now_unix_ms` (for tests and replays).
    pub fn apply_retention_at(&self, days: u64, now_unix_ms: u64) -> Result<usize, AuditError> {
        if days == 0 {
            return Ok(0);
        }
        let cutoff = (now_unix_ms / MS_PER_DAY).saturating_sub(days);
        let mut conn = self.conn.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx("starting retention")?;
        let last: Option<(i64, i64)> = tx
            .query_row(
                "SELECT seq, segment FROM records WHERE segment < ?1 ORDER BY seq DESC LIMIT 1",
                [to_i64(cutoff)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ctx("finding old segments")?;
        let Some((through, segment)) = last else {
            return Ok(0);
        };
        let (through, segment) = (to_u64(through), to_u64(segment));
        // Segments are contiguous seq runs, so this removes a prefix of the chain. Check that
        // prefix first: removing it must not silently erase evidence of tampering.
        let start = crate::verify::current_anchor(&tx)?;
        let mut check = crate::verify::ChainCheck::new(start);
        let hash = {
            let sql = format!("SELECT {RAW_COLUMNS} FROM records WHERE seq <= ?1 ORDER BY seq");
            let mut stmt = tx.prepare(&sql).ctx("checking old segments")?;
            let rows = stmt
                .query_map([to_i64(through)], raw_row)
                .ctx("checking old segments")?;
            for row in rows {
                check.push(&row.ctx("checking old segments")?);
            }
            check.last_hash.clone()
        };
        let intact = check.problems.is_empty();
        if !intact {
            tracing::warn!(
                problems = ?check.problems,
                "audit retention removes records that fail verification; the anchor records this"
            );
        }
        let removed = tx
            .execute("DELETE FROM records WHERE seq <= ?1", [to_i64(through)])
            .ctx("removing old segments")?;
        tx.execute(
            "INSERT OR REPLACE INTO anchors(through_seq, hash, segment, removed, removed_at_unix_ms, intact)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                to_i64(through),
                hash,
                to_i64(segment),
                removed as i64,
                to_i64(now_unix_ms),
                i64::from(intact)
            ],
        )
        .ctx("recording the retention anchor")?;
        tx.commit().ctx("committing retention")?;
        tracing::info!(
            removed,
            through_seq = through,
            "audit retention removed old segments"
        );
        Ok(removed)
    }
}

fn check_schema(conn: &Connection, path: &Path, create: bool) -> Result<(), AuditError> {
    let has_meta: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .ctx("reading the schema")?
        > 0;
    let version = if has_meta {
        meta_get(conn, "schema_version")?
    } else {
        None
    };
    match version.as_deref() {
        Some(SCHEMA_VERSION) => Ok(()),
        None if create => meta_set(conn, "schema_version", SCHEMA_VERSION),
        None => Err(AuditError::Incompatible {
            path: path.to_path_buf(),
            reason: "not a NIC audit log (no schema version); check the path".into(),
        }),
        Some(v) => Err(AuditError::Incompatible {
            path: path.to_path_buf(),
            reason: format!(
                "schema version {v}, this build reads version {SCHEMA_VERSION}; \
                 use the nic release that wrote it"
            ),
        }),
    }
}
