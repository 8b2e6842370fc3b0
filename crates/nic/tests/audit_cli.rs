//! `nic audit verify|tail|export` driven through the real binary over a log written with the
//! library. Tampering is done the way an attacker with a hex editor would: by changing bytes
//! of the closed SQLite file (SQLite keeps no page checksums, so only the chain can notice).
//!
//! Every test gets its own data directory and a cleared environment.

use nic_audit::{AuditCitation, AuditLog, AuditRecord};
use nic_core::config::AuditQuestions;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const NIC: &str = env!("CARGO_BIN_EXE_nic");
const T0: u64 = 1_714_521_600_000; // 2024-05-01T00:00:00Z
const DAY: u64 = 86_400_000;

fn nic(data: &Path, args: &[&str]) -> Output {
    Command::new(NIC)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(data.parent().unwrap())
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn rec(i: u64) -> AuditRecord {
    AuditRecord {
        time_unix_ms: T0 + i * DAY,
        request_id: format!("req-{i}"),
        session_id: None,
        client: "127.0.0.1".into(),
        question: format!("What is the torque of caliper bolt {i:04}?"),
        status: if i == 3 { "refused" } else { "answered" }.into(),
        mode: "extractive".into(),
        risk_level: if i == 3 { "high" } else { "none" }.into(),
        triggers: if i == 3 {
            vec!["unsafe_intent".into()]
        } else {
            vec![]
        },
        confidence: 0.75,
        citations: vec![AuditCitation {
            doc: "brakes.pdf".into(),
            page: 12,
            section: "Caliper".into(),
            chunk_id: format!("c{i}"),
        }],
        model: None,
        timings_ms: serde_json::json!({"total": 9}),
        error_code: None,
    }
}

/// A data directory holding a closed log with records 1..=10, one per day from 2024-05-02.
fn fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = AuditLog::open(&data, AuditQuestions::Text, None).unwrap();
    for i in 1..=10 {
        log.append(&rec(i)).unwrap();
    }
    (dir, data)
}

#[test]
fn verify_passes_on_an_intact_log_and_names_the_seq_of_a_tampered_one() {
    let (_dir, data) = fixture();
    let ok = nic(&data, &["audit", "verify"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("records: 10 (seq 1..=10)"));

    // Flip one letter of record 7's question in the file itself.
    let file = data.join("audit/audit.sqlite");
    let mut bytes = std::fs::read(&file).unwrap();
    let needle = b"caliper bolt 0007";
    let hits: Vec<usize> = (0..bytes.len() - needle.len())
        .filter(|&i| &bytes[i..i + needle.len()] == needle)
        .collect();
    // Stale copies may linger in free space of a page; change every copy.
    assert!(!hits.is_empty(), "the closed log holds record 7");
    for i in hits {
        bytes[i] = b'C';
    }
    std::fs::write(&file, bytes).unwrap();

    let bad = nic(&data, &["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stdout(&bad).contains("seq 7: content does not match"),
        "{}",
        stdout(&bad)
    );

    let json = nic(&data, &["audit", "verify", "--json"]);
    assert_eq!(json.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["problems"][0].as_str().unwrap().starts_with("seq 7:"));
}

#[test]
fn tail_json_parses_and_shows_the_newest_records() {
    let (_dir, data) = fixture();
    let o = nic(&data, &["audit", "tail", "-n", "3", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let seqs: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![8, 9, 10]);
    assert_eq!(v[2]["question"], "What is the torque of caliper bolt 0010?");
    assert_eq!(v[2]["citations"][0]["page"], 12);

    let text = stdout(&nic(&data, &["audit", "tail", "-n", "8"]));
    assert_eq!(text.lines().count(), 8);
    assert!(
        text.contains("#3 2024-05-04T00:00:00.000Z refused"),
        "{text}"
    );
    assert!(text.contains("triggers=unsafe_intent"));
}

#[test]
fn export_since_selects_by_time_in_every_form() {
    let (dir, data) = fixture();
    // Records 6..=10 are on or after 2024-05-07.
    for since in ["2024-05-07", "2024-05-07T00:00:00Z", "1715040000"] {
        let o = nic(&data, &["audit", "export", "--since", since]);
        assert_eq!(o.status.code(), Some(0), "{since}");
        let seqs: Vec<u64> = stdout(&o)
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(seqs, vec![6, 7, 8, 9, 10], "{since}");
    }
    // Relative: the fixture's records are all from 2024, so "7d" selects none of them.
    let out = dir.path().join("recent.jsonl");
    let o = nic(
        &data,
        &[
            "audit",
            "export",
            "--since",
            "7d",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "");

    let bad = nic(&data, &["audit", "export", "--since", "last tuesday"]);
    assert_ne!(bad.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--since"));
}

#[test]
fn a_missing_log_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = nic(&data, &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no audit log at"));
    assert!(!data.join("audit/audit.sqlite").exists());
}
