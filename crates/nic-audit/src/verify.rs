//! Verification of the chain: every finding names the `seq` it concerns.
//!
//! The walk starts at the newest retention anchor (or the genesis hash) and checks, record by
//! record in `seq` order: no gap in `seq` (a deleted record), `prev_hash` equal to the hash
//! of the record before (a rewritten neighbour), the record's own hash over its stored body
//! (an edited record), a readable body, and index columns that agree with the hashed body.
//! At the end the newest record must be the head kept in `meta` (deleted newest records).
//! A finding does not stop the walk: the next record is checked against what is stored, so
//! one edit is reported once, at its own `seq`, rather than cascading down the chain.

use crate::error::{AuditError, SqlContext};
use crate::log::{raw_row, read_head, to_u64, AuditLog, RawRow, RAW_COLUMNS};
use crate::record::{chain_hash, StoredEntry, GENESIS_HASH};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// At most this many findings are listed; the rest are counted.
const MAX_PROBLEMS: usize = 1000;

/// Where the remaining chain starts after retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anchor {
    /// The last removed record.
    pub through_seq: u64,
    /// Its hash: the `prev_hash` the first remaining record must carry.
    pub hash: String,
    pub removed: u64,
    pub removed_at_unix_ms: u64,
    /// Whether the removed records passed verification when they were removed.
    pub intact: bool,
}

/// The outcome of [`AuditLog::verify`].
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub records: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// The hash of the newest record (publish it elsewhere to pin the log's state).
    pub head_hash: Option<String>,
    /// The newest retention anchor, when records were removed by retention.
    pub anchor: Option<Anchor>,
    /// Findings, each starting with the `seq` concerned; empty when the log is intact.
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The newest anchor, if retention ever removed records.
pub(crate) fn current_anchor(conn: &Connection) -> Result<Option<Anchor>, AuditError> {
    conn.query_row(
        "SELECT through_seq, hash, removed, removed_at_unix_ms, intact
         FROM anchors ORDER BY through_seq DESC LIMIT 1",
        [],
        |r| {
            Ok(Anchor {
                through_seq: to_u64(r.get(0)?),
                hash: r.get(1)?,
                removed: to_u64(r.get(2)?),
                removed_at_unix_ms: to_u64(r.get(3)?),
                intact: r.get::<_, i64>(4)? != 0,
            })
        },
    )
    .optional()
    .ctx("reading the retention anchor")
}

/// The record-by-record walk, shared by `verify` and by retention (which checks what it is
/// about to remove).
pub(crate) struct ChainCheck {
    anchor_seq: u64,
    expected_seq: u64,
    expected_prev: String,
    last_segment: u64,
    pub last_hash: String,
    pub records: u64,
    pub first_seq: Option<u64>,
    pub problems: Vec<String>,
    more_problems: usize,
}

impl ChainCheck {
    pub fn new(anchor: Option<Anchor>) -> Self {
        let (seq, hash) = anchor.map_or((0, GENESIS_HASH.to_string()), |a| (a.through_seq, a.hash));
        Self {
            anchor_seq: seq,
            expected_seq: seq + 1,
            expected_prev: hash.clone(),
            last_segment: 0,
            last_hash: hash,
            records: 0,
            first_seq: None,
            problems: Vec::new(),
            more_problems: 0,
        }
    }

    fn problem(&mut self, p: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        } else {
            self.more_problems += 1;
        }
    }

    /// The last seq seen (the anchor's when no record was seen).
    pub fn last_seq(&self) -> u64 {
        self.expected_seq - 1
    }

    pub fn push(&mut self, row: &RawRow) {
        let (seq, segment, time, prev_hash, hash, body) = row;
        let seq = *seq;
        self.records += 1;
        self.first_seq.get_or_insert(seq);
        if seq < self.expected_seq {
            self.problem(format!(
                "seq {seq}: present although retention removed records through seq {} \
                 (re-inserted record)",
                self.anchor_seq
            ));
            return;
        }
        if seq > self.expected_seq {
            let range = if seq - 1 == self.expected_seq {
                format!("seq {}", self.expected_seq)
            } else {
                format!("seq {}..={}", self.expected_seq, seq - 1)
            };
            self.problem(format!(
                "{range}: missing (records deleted before seq {seq})"
            ));
        } else if *prev_hash != self.expected_prev {
            let before = if seq - 1 == self.anchor_seq && self.anchor_seq > 0 {
                format!("the retention anchor (seq {})", self.anchor_seq)
            } else {
                format!("seq {}", seq - 1)
            };
            self.problem(format!(
                "seq {seq}: prev_hash does not match the hash of {before} \
                 (one of them was rewritten)"
            ));
        }
        if chain_hash(prev_hash, body, seq) != *hash {
            self.problem(format!(
                "seq {seq}: content does not match its hash (record edited)"
            ));
        }
        match serde_json::from_str::<StoredEntry>(body) {
            Ok(entry) if entry.time_unix_ms != *time => self.problem(format!(
                "seq {seq}: time column differs from the hashed record (index edited)"
            )),
            Ok(_) => {}
            Err(e) => self.problem(format!("seq {seq}: body is not a valid record: {e}")),
        }
        if *segment < self.last_segment {
            self.problem(format!(
                "seq {seq}: segment {segment} is older than the previous record's (index edited)"
            ));
        }
        self.last_segment = *segment;
        self.expected_seq = seq + 1;
        self.expected_prev = hash.clone();
        self.last_hash = hash.clone();
    }

    fn finish(mut self) -> Vec<String> {
        if self.more_problems > 0 {
            let n = self.more_problems;
            self.problems.push(format!("… and {n} more problems"));
        }
        self.problems
    }
}

impl AuditLog {
    /// Walks the whole chain; see the module docs for what is checked.
    pub fn verify(&self) -> Result<VerifyReport, AuditError> {
        let conn = self.conn.lock();
        let anchor = current_anchor(&conn)?;
        let head = read_head(&conn)?;
        let mut check = ChainCheck::new(anchor.clone());
        if let Some(a) = anchor.as_ref().filter(|a| !a.intact) {
            check.problem(format!(
                "seq ..={}: records removed by retention had failed verification",
                a.through_seq
            ));
        }
        let sql = format!("SELECT {RAW_COLUMNS} FROM records ORDER BY seq");
        let mut stmt = conn.prepare(&sql).ctx("reading records")?;
        let rows = stmt.query_map([], raw_row).ctx("reading records")?;
        let mut last: Option<u64> = None;
        for row in rows {
            let row = row.ctx("reading records")?;
            last = Some(row.0);
            check.push(&row);
        }
        let seen = check.last_seq();
        if head.seq > seen {
            let range = if head.seq == seen + 1 {
                format!("seq {}", head.seq)
            } else {
                format!("seq {}..={}", seen + 1, head.seq)
            };
            check.problem(format!(
                "{range}: missing (the newest records were deleted; the head is seq {})",
                head.seq
            ));
        } else if head.seq < seen {
            check.problem(format!(
                "seq {}..={seen}: appended outside the log (the head is seq {})",
                head.seq + 1,
                head.seq
            ));
        } else if head.seq > 0 && head.hash != check.last_hash {
            check.problem(format!(
                "seq {seen}: hash differs from the head kept in meta (record rewritten)"
            ));
        }
        let records = check.records;
        let first_seq = check.first_seq;
        let head_hash = (head.seq > 0).then(|| head.hash.clone());
        Ok(VerifyReport {
            records,
            first_seq,
            last_seq: last,
            head_hash,
            anchor,
            problems: check.finish(),
        })
    }
}
