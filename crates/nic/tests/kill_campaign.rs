//! A small kill campaign through the real binary (`nic bench kill`, issue 16 item 2): SIGKILL
//! at random moments (fixed seed) in ingests, in `POST /api/reload` under `/api/ask` load and
//! while answers are written to the audit log. After every kill the served generation must
//! verify, the next ingest must complete and hold exactly the corpus, a restarted server must
//! be healthy, and the audit chain must verify (a torn WAL tail discarded or reported, never
//! accepted). The full campaign (100 + 100 + 100 kills) is `nic bench kill`.
//!
//! Runs on three manuals of examples/manuals so that it stays well under two minutes; skipped
//! without the embedding model. A cleared environment keeps a developer's `NOVA_*` out.

use std::path::{Path, PathBuf};
use std::process::Command;

const NIC: &str = env!("CARGO_BIN_EXE_nic");
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/all-MiniLM-L6-v2");
const MANUALS: &[&str] = &[
    "vehicle/brakes.txt",
    "hvac/troubleshooting.md",
    "medical/cold_head_compressor.html",
];

fn model() -> Option<PathBuf> {
    let p = PathBuf::from(MODEL);
    if p.join("model.safetensors").is_file() {
        Some(p.canonicalize().unwrap())
    } else {
        eprintln!("skipped: no embedding model at {MODEL} (run `make model`)");
        None
    }
}

fn small_corpus(dir: &Path) -> PathBuf {
    let corpus = dir.join("corpus");
    for m in MANUALS {
        let to = corpus.join(m);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(Path::new(ROOT).join("examples/manuals").join(m), &to).unwrap();
    }
    corpus
}

/// `name=N` from the `summary:` line.
fn summary(stdout: &str, name: &str) -> usize {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("summary:"))
        .unwrap_or_else(|| panic!("no summary line in:\n{stdout}"));
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name}= in {line:?}"))
}

#[test]
fn killed_ingests_reloads_and_audit_writes_always_recover() {
    let Some(model) = model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let corpus = small_corpus(dir.path());
    let work = dir.path().join("campaign");
    let out = Command::new(NIC)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(dir.path())
        .arg("--data-dir")
        .arg(&work)
        .arg("--model")
        .arg(&model)
        .args([
            "bench",
            "kill",
            "--ingests",
            "8",
            "--reloads",
            "5",
            "--audit",
            "5",
        ])
        .args(["--seed", "7", "--clients", "2", "--audit-window-ms", "800"])
        .arg("--corpus")
        .arg(&corpus)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the kill campaign failed ({:?}):\n{stdout}\n{stderr}",
        out.status
    );
    assert_eq!(summary(&stdout, "failures"), 0, "{stdout}");
    // 8 ingest kills (runs that end before their kill is due are retried), 5 + 5 servers.
    let kills = summary(&stdout, "kills");
    assert_eq!(kills, 18, "{stdout}");
    // Every kill recovered (runs that ended on their own are checked and counted too).
    assert!(summary(&stdout, "recoveries_ok") >= kills, "{stdout}");
}
