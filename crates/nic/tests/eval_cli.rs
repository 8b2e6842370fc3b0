//! `nic eval` through the real binary: examples/manuals ingested with the real model, a small
//! evaluation file written here, the summary figures of `--json`, floors (exit 1) and the
//! error for a malformed line.
//!
//! Every run gets its own data directory and a cleared environment (so a developer's
//! `NOVA_*` variables or `nic.toml` cannot change the outcome).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NIC: &str = env!("CARGO_BIN_EXE_nic");
const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/all-MiniLM-L6-v2");
const MANUALS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/manuals");

fn model() -> Option<PathBuf> {
    let p = PathBuf::from(MODEL);
    if p.join("model.safetensors").is_file() {
        Some(p.canonicalize().unwrap())
    } else {
        eprintln!("skipped: no embedding model at {MODEL} (run `make model`)");
        None
    }
}

fn nic(dir: &Path, model: &Path, args: &[&str]) -> Output {
    Command::new(NIC)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(dir)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--model")
        .arg(model)
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Two answerable questions whose phrases today's extractive answers hold (written with other
/// case, spacing and an en dash, which the comparison folds), one the manuals do not cover,
/// and one answerable question with a phrase no answer contains (so useful is 2 of 3).
const QUESTIONS: &str = r#"{"id":"alt-output","question":"How do I test the alternator output?","kind":"procedure","status":"answered","root":"examples","doc":"vehicle/charging_system.md","pages":[2],"must_contain":["2,000 RPM","carbon   pile"],"split":"tune","note":"first and last step"}
{"id":"caliper-torque","question":"torque for caliper bracket bolts","kind":"specification","status":"answered","root":"examples","doc":"vehicle/brakes.txt","pages":[2],"must_contain":["85–95 ft-lbs"],"split":"heldout","reviewer":"ignored field"}

{"id":"printer","question":"How do I reset the password on the office printer?","kind":"unrelated","status":"abstained","root":"examples","split":"heldout"}
{"id":"impossible","question":"torque for caliper bracket bolts","kind":"specification","status":"answered","root":"examples","doc":"vehicle/brakes.txt","must_contain":["zebra crossing 42"],"split":"tune"}
"#;

#[test]
fn eval_scores_the_pipeline_and_enforces_floors() {
    let Some(m) = model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = nic(d, &m, &["ingest", MANUALS, "-q"]);
    assert!(out.status.success(), "ingest failed: {}", text(&out.stderr));
    std::fs::write(d.join("q.jsonl"), QUESTIONS).unwrap();

    let out = nic(
        d,
        &m,
        &[
            "eval",
            "q.jsonl",
            "--json",
            "r1.json",
            "--min-useful",
            "0.6",
            "--min-abstain",
            "1",
            "--min-complete",
            "1",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    for table in [
        "== tune: 2 questions",
        "== heldout: 2 questions",
        "== all: 4",
    ] {
        assert!(stdout.contains(table), "no {table:?} table:\n{stdout}");
    }
    assert!(stdout.contains("impossible"), "failures listed:\n{stdout}");

    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r1.json")).unwrap()).unwrap();
    let s = &r["summary"];
    assert_eq!(s["n"], 4, "{s}");
    assert_eq!(s["answerable"], 3, "{s}");
    assert_eq!(s["useful"], 2, "{s}");
    assert!((s["useful_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(s["procedures"], 1);
    assert_eq!(s["complete"], 1);
    assert_eq!(s["complete_rate"], 1.0);
    assert_eq!(s["should_abstain"], 1);
    assert_eq!(s["abstained"], 1);
    assert_eq!(s["abstain_rate"], 1.0);
    assert_eq!(s["false_abstentions"], 0);
    assert_eq!(s["wrongly_answered"], 0);
    assert_eq!(s["refused_legit"], 0);
    assert_eq!(s["per_kind"]["specification"]["n"], 2);
    assert_eq!(s["per_kind"]["specification"]["useful"], 1);
    assert_eq!(r["splits"]["tune"]["n"], 2);
    assert_eq!(r["splits"]["heldout"]["answerable"], 1);
    assert_eq!(r["splits"]["heldout"]["useful"], 1);
    assert_eq!(r["splits"]["heldout"]["abstained"], 1);
    let qs = r["questions"].as_array().unwrap();
    assert_eq!(qs.len(), 4);
    let by_id = |id: &str| qs.iter().find(|q| q["id"] == id).unwrap();
    assert_eq!(by_id("alt-output")["citation_ok"], true);
    assert_eq!(by_id("caliper-torque")["useful"], true);
    assert_eq!(by_id("alt-output")["complete"], true);
    assert_eq!(by_id("printer")["got"], "abstained");
    assert_eq!(by_id("impossible")["got"], "answered");
    assert_eq!(
        by_id("impossible")["missing"],
        serde_json::json!(["zebra crossing 42"])
    );

    // A floor above the achievable figure: exit 1, and the message names the floor. The
    // baseline diff shows no change.
    let out = nic(
        d,
        &m,
        &[
            "eval",
            "q.jsonl",
            "--min-useful",
            "0.7",
            "--baseline",
            "r1.json",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        text(&out.stderr).contains("--min-useful"),
        "{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("against the baseline"), "{stdout}");
    assert!(stdout.contains("no longer useful: 0"), "{stdout}");

    // --split restricts the questions and the figures the floors see.
    let out = nic(
        d,
        &m,
        &["eval", "q.jsonl", "--split", "heldout", "--min-useful", "1"],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("== heldout: 2 questions"), "{stdout}");
    assert!(!stdout.contains("== tune"), "{stdout}");
}

#[test]
fn a_malformed_line_is_an_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = r#"{"id":"a","question":"How do I test the alternator?","kind":"procedure","status":"answered","root":"examples"}"#;
    let bad =
        r#"{"id":"b","question":"Torque?","kind":"procedure","status":"maybe","root":"examples"}"#;
    std::fs::write(d.join("bad.jsonl"), format!("{good}\n{bad}\n")).unwrap();
    // No model or index is needed: the file is checked before anything is loaded.
    let out = Command::new(NIC)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(d)
        .args([
            "--data-dir",
            "data",
            "eval",
            "bad.jsonl",
            "--json",
            "r.json",
        ])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("bad.jsonl:2:"), "{stderr}");
    assert!(stderr.contains("maybe"), "{stderr}");
    assert!(!d.join("r.json").exists());
}
