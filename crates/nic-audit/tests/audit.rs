//! Behaviour of the audit log: the chain detects edits and deletions by seq, retention keeps
//! what remains verifiable, question modes keep the text out of the file, and the writer
//! never blocks.

use nic_audit::record::{canonical_json, chain_hash};
use nic_audit::*;
use nic_core::config::AuditQuestions;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const DAY: u64 = 86_400_000;
const T0: u64 = 1_714_521_600_000; // 2024-05-01T00:00:00Z
const FLUSH: Duration = Duration::from_secs(30);

fn rec(i: u64, time_unix_ms: u64) -> AuditRecord {
    AuditRecord {
        time_unix_ms,
        request_id: format!("req-{i}"),
        session_id: Some("sess-1".into()),
        client: "127.0.0.1".into(),
        question: format!("What is the torque of brake caliper bolt {i}?"),
        status: "answered".into(),
        mode: "extractive".into(),
        risk_level: "none".into(),
        triggers: vec![],
        confidence: 0.8123,
        citations: vec![AuditCitation {
            doc: "brakes.pdf".into(),
            page: 12,
            section: "Caliper".into(),
            chunk_id: format!("c{i}"),
        }],
        model: None,
        timings_ms: serde_json::json!({"retrieve": 3, "total": 9}),
        error_code: None,
    }
}

fn log_with(dir: &Path, n: u64) -> AuditLog {
    let log = AuditLog::open(dir, AuditQuestions::Text, None).unwrap();
    for i in 1..=n {
        assert_eq!(log.append(&rec(i, T0 + i * 1000)).unwrap(), i);
    }
    log
}

fn sql(dir: &Path) -> Connection {
    Connection::open(audit_path(dir)).unwrap()
}

fn names(report: &VerifyReport, needle: &str) -> bool {
    report.problems.iter().any(|p| p.starts_with(needle))
}

#[test]
fn appended_records_verify_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_with(dir.path(), 20);
    let r = log.verify().unwrap();
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!(
        (r.records, r.first_seq, r.last_seq),
        (20, Some(1), Some(20))
    );
    let tail = log.tail(3).unwrap();
    assert_eq!(
        tail.iter().map(|t| t.seq).collect::<Vec<_>>(),
        vec![18, 19, 20]
    );
    assert_eq!(tail[2].entry.request_id, "req-20");
    assert_eq!(tail[2].entry.confidence, 0.8123);
    assert_eq!(tail[1].hash, tail[2].prev_hash);
    assert_eq!(r.head_hash.as_deref(), Some(tail[2].hash.as_str()));
}

#[test]
fn editing_a_question_is_named_by_seq() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_with(dir.path(), 10);
    sql(dir.path())
        .execute(
            "UPDATE records SET body = replace(body, 'bolt 7', 'bolt 8') WHERE seq = 7",
            [],
        )
        .unwrap();
    let r = log.verify().unwrap();
    assert!(
        names(&r, "seq 7: content does not match"),
        "{:?}",
        r.problems
    );
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
}

#[test]
fn rewriting_a_record_with_a_fresh_hash_is_caught_at_the_next_link() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_with(dir.path(), 10);
    let c = sql(dir.path());
    let (prev, body): (String, String) = c
        .query_row(
            "SELECT prev_hash, body FROM records WHERE seq = 4",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let body = body.replace("answered", "refused");
    let hash = chain_hash(&prev, &body, 4);
    c.execute(
        "UPDATE records SET body = ?1, hash = ?2 WHERE seq = 4",
        [&body, &hash],
    )
    .unwrap();
    let r = log.verify().unwrap();
    assert!(
        names(&r, "seq 5: prev_hash does not match the hash of seq 4"),
        "{:?}",
        r.problems
    );
}

#[test]
fn deleting_a_middle_or_the_newest_record_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_with(dir.path(), 10);
    let c = sql(dir.path());
    c.execute("DELETE FROM records WHERE seq IN (5, 6)", [])
        .unwrap();
    let r = log.verify().unwrap();
    assert!(names(&r, "seq 5..=6: missing"), "{:?}", r.problems);

    c.execute("DELETE FROM records WHERE seq = 10", []).unwrap();
    let r = log.verify().unwrap();
    assert!(names(&r, "seq 10: missing"), "{:?}", r.problems);
}

#[test]
fn retention_removes_whole_old_days_and_what_remains_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), AuditQuestions::Text, None).unwrap();
    // Three records on each of days 0..10.
    for i in 0..30 {
        log.append(&rec(i, T0 + (i / 3) * DAY + i * 1000)).unwrap();
    }
    let now = T0 + 9 * DAY + 3_600_000; // during day 9
    assert_eq!(log.apply_retention_at(0, now).unwrap(), 0);
    // Keep day 9 and the 3 days before it: days 0..=5 go.
    assert_eq!(log.apply_retention_at(3, now).unwrap(), 18);
    assert_eq!(log.apply_retention_at(3, now).unwrap(), 0);
    let r = log.verify().unwrap();
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!((r.records, r.first_seq), (12, Some(19)));
    let anchor = r.anchor.unwrap();
    assert_eq!((anchor.through_seq, anchor.removed), (18, 18));
    assert!(anchor.intact);
    // The chain keeps growing past retention.
    log.append(&rec(99, now)).unwrap();
    assert!(log.verify().unwrap().ok());

    // What remains is still protected, including its first record.
    let c = sql(dir.path());
    c.execute(
        "UPDATE records SET body = replace(body, '127.0.0.1', '10.0.0.1') WHERE seq = 19",
        [],
    )
    .unwrap();
    let r = log.verify().unwrap();
    assert!(
        names(&r, "seq 19: content does not match"),
        "{:?}",
        r.problems
    );
    c.execute("DELETE FROM records WHERE seq = 19", []).unwrap();
    let r = log.verify().unwrap();
    assert!(names(&r, "seq 19: missing"), "{:?}", r.problems);
}

#[test]
fn retention_of_a_tampered_segment_leaves_a_permanent_finding() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), AuditQuestions::Text, None).unwrap();
    for i in 0..6 {
        log.append(&rec(i, T0 + (i / 2) * DAY)).unwrap();
    }
    sql(dir.path())
        .execute("DELETE FROM records WHERE seq = 2", [])
        .unwrap();
    // Days 0 and 1 (seq 1..=4, seq 2 already gone) are removed.
    assert_eq!(log.apply_retention_at(1, T0 + 3 * DAY).unwrap(), 3);
    let r = log.verify().unwrap();
    assert!(!r.ok());
    assert!(!r.anchor.as_ref().unwrap().intact);
    assert!(
        names(&r, "seq ..=4: records removed by retention had failed"),
        "{:?}",
        r.problems
    );
}

fn file_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir.join("audit")).unwrap() {
        all.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn hash_and_none_modes_never_store_the_question_text() {
    for mode in [AuditQuestions::Hash, AuditQuestions::None] {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path(), mode, None).unwrap();
        let mut r = rec(1, T0);
        r.question = "How do I bleed the hydraulic clutch zqxj?".into();
        log.append(&r).unwrap();
        let stored = log.tail(1).unwrap().remove(0).entry;
        assert_eq!(stored.question, None);
        assert_eq!(stored.question_mode, mode);
        match mode {
            AuditQuestions::Hash => {
                assert_eq!(stored.question_sha256, Some(log.question_hash(&r.question)))
            }
            _ => assert_eq!(stored.question_sha256, None),
        }
        assert!(log.verify().unwrap().ok());
        drop(log);
        assert!(!contains(
            &file_bytes(dir.path()),
            "bleed the hydraulic clutch zqxj"
        ));
    }
    // Text mode stores it (so the byte search above can find it when present).
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), AuditQuestions::Text, None).unwrap();
    let mut r = rec(1, T0);
    r.question = "How do I bleed the hydraulic clutch zqxj?".into();
    log.append(&r).unwrap();
    drop(log);
    assert!(contains(
        &file_bytes(dir.path()),
        "bleed the hydraulic clutch zqxj"
    ));
}

#[test]
fn the_salt_is_random_per_log_and_persisted() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let la = AuditLog::open(a.path(), AuditQuestions::Hash, None).unwrap();
    let lb = AuditLog::open(b.path(), AuditQuestions::Hash, None).unwrap();
    assert_ne!(la.question_hash("q"), lb.question_hash("q"));
    let h = la.question_hash("q");
    drop(la);
    let again = AuditLog::open(a.path(), AuditQuestions::Hash, None).unwrap();
    assert_eq!(again.question_hash("q"), h);
    let fixed = AuditLog::open(a.path(), AuditQuestions::Hash, Some("pepper")).unwrap();
    assert_ne!(fixed.question_hash("q"), h);
}

#[test]
fn export_since_writes_re_verifiable_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_with(dir.path(), 10); // times T0+1s .. T0+10s
    let mut out = Vec::new();
    assert_eq!(log.export_since(T0 + 6000, &mut out).unwrap(), 5);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["seq"], 6);
    for line in &lines {
        let mut body = line.clone();
        let obj = body.as_object_mut().unwrap();
        let seq = obj.remove("seq").unwrap().as_u64().unwrap();
        let prev = obj.remove("prev_hash").unwrap();
        let hash = obj.remove("hash").unwrap();
        let canon = canonical_json(&body).unwrap();
        assert_eq!(
            chain_hash(prev.as_str().unwrap(), &canon, seq),
            hash.as_str().unwrap()
        );
    }
}

#[test]
fn readers_never_create_a_log() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        AuditLog::open_existing(dir.path()),
        Err(AuditError::NotFound { .. })
    ));
    assert!(!audit_path(dir.path()).exists());
}

#[test]
fn concurrent_appends_through_the_log_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(AuditLog::open(dir.path(), AuditQuestions::Text, None).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for i in 0..25 {
                    log.append(&rec(t * 100 + i, T0)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let r = log.verify().unwrap();
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!(r.records, 100);
}

#[test]
fn a_full_queue_drops_and_counts_instead_of_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), AuditQuestions::Text, None).unwrap();
    let opts = WriterOptions {
        capacity: 4,
        ..WriterOptions::default()
    };
    let w = AuditWriter::start_with(log, opts);
    let pause = w.pause();
    let accepted = (0..50).filter(|i| w.submit(rec(*i, T0))).count() as u64;
    // The queue holds 4; the paused thread may hold one more.
    assert!((4..=5).contains(&accepted), "accepted {accepted}");
    assert_eq!(w.dropped(), 50 - accepted);
    assert_eq!(w.written(), 0);
    drop(pause);
    assert!(w.flush(FLUSH));
    assert_eq!(w.written(), accepted);
    assert_eq!(w.queue_len(), 0);
    let s = w.stats();
    assert_eq!(
        (s.dropped, s.failed, s.last_error),
        (50 - accepted, 0, None)
    );
    drop(w);
    let r = AuditLog::open_existing(dir.path())
        .unwrap()
        .verify()
        .unwrap();
    assert!(r.ok());
    assert_eq!(r.records, accepted);
}

#[test]
fn concurrent_submits_land_in_order_with_an_intact_chain() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), AuditQuestions::Text, None).unwrap();
    let w = Arc::new(AuditWriter::start(log));
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let w = Arc::clone(&w);
            std::thread::spawn(move || {
                for i in 0..200 {
                    let mut r = rec(i, T0);
                    r.request_id = format!("t{t}-{i:03}");
                    assert!(w.submit(r));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(w.flush(FLUSH));
    assert_eq!((w.written(), w.dropped()), (800, 0));
    let log = AuditLog::open_existing(dir.path()).unwrap();
    let all = log.tail(1000).unwrap();
    assert_eq!(
        all.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=800).collect::<Vec<_>>()
    );
    for t in 0..4 {
        let mine: Vec<&str> = all
            .iter()
            .map(|r| r.entry.request_id.as_str())
            .filter(|id| id.starts_with(&format!("t{t}-")))
            .collect();
        let mut sorted = mine.clone();
        sorted.sort();
        assert_eq!(mine.len(), 200);
        assert_eq!(mine, sorted, "thread {t}'s records out of order");
    }
    assert!(log.verify().unwrap().ok());
}

#[test]
fn a_failing_log_is_reported_not_raised() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), AuditQuestions::Text, None).unwrap();
    sql(dir.path()).execute("DROP TABLE records", []).unwrap();
    let w = AuditWriter::start(log);
    assert!(w.submit(rec(1, T0)));
    assert!(w.flush(FLUSH));
    assert_eq!((w.written(), w.failed()), (0, 1));
    assert!(w.last_error().unwrap().contains("append"));
}
