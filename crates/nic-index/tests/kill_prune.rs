//! A SIGKILL in the middle of pruning an old generation, which happens after `CURRENT` has
//! switched: every generation still listed must be complete. Pruning used to delete `gen-N`
//! in place, so a kill part-way left a half-deleted generation that `list_generations` (and
//! `nic index stats`) still showed as kept and that failed `nic index verify` until the next
//! ingest. Found by the kill campaign (`nic bench kill`) with a syscall-exact kill; random
//! kill times almost never land in the millisecond the prune takes.
//!
//! The kill is exact: the child ingest runs under `strace`, which delivers SIGKILL at its
//! second `unlinkat` (only `remove_dir_all` uses `unlinkat`; SQLite and tantivy `unlink`).
//! Skipped where strace is missing or ptrace is not permitted.

mod common;

use common::*;
use nic_index::{ingest, list_generations, verify_generation, Generation};
use std::path::Path;
use std::process::{Command, Stdio};

const CHILD_ENV: &str = "NIC_INDEX_PRUNE_KILL_CHILD";
const CHILD_TEST: &str = "prune_kill_child_ingest";

/// Not a test on its own: the child process of
/// [`a_kill_while_pruning_leaves_no_half_deleted_generation`].
#[test]
#[ignore = "child process of the prune kill test; runs only when spawned by it"]
fn prune_kill_child_ingest() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (data, corpus) = spec.split_once('|').expect("data|corpus");
    ingest(
        Path::new(data),
        &options(&[Path::new(corpus)]),
        &HashEmbedder::new(),
        &no_progress(),
    )
    .unwrap();
}

fn strace_works() -> bool {
    Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=none", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ingest_here(data: &Path, corpus: &Path) -> u64 {
    let r = ingest(
        data,
        &options(&[corpus]),
        &HashEmbedder::new(),
        &no_progress(),
    )
    .unwrap();
    r.generation.unwrap()
}

#[test]
fn a_kill_while_pruning_leaves_no_half_deleted_generation() {
    if !strace_works() {
        eprintln!("skipped: strace is not available or ptrace is not permitted");
        return;
    }
    let corpus = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let (root, data) = (corpus.path(), data.path());
    for i in 0..3 {
        write(
            root,
            &format!("hvac/unit{i}.txt"),
            manual_text(&format!("unit {i}"), &format!("alphamarker{i}x")),
        );
    }
    let g1 = ingest_here(data, root);
    write(root, "hvac/unit0.txt", manual_text("unit 0", "betamarkerx"));
    let g2 = ingest_here(data, root);
    // The third ingest publishes g3 and, keeping two, prunes g1: killed inside that prune.
    write(
        root,
        "hvac/unit1.txt",
        manual_text("unit 1", "gammamarkerx"),
    );
    let status = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=unlinkat"])
        .args(["-e", "inject=unlinkat:signal=KILL:when=2"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", CHILD_TEST, "--nocapture", "--include-ignored"])
        .env(CHILD_ENV, format!("{}|{}", data.display(), root.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the child was not killed ({status})");
    let served = Generation::open_current(data).unwrap().id();
    assert!(
        served > g2,
        "the kill landed before the switch, not in the prune"
    );

    let listed = list_generations(data).unwrap();
    assert!(
        listed.iter().all(|g| g.id != g1),
        "generation {g1} is still listed after its prune began: {:?}",
        listed.iter().map(|g| g.id).collect::<Vec<_>>()
    );
    for g in &listed {
        let (_, problems) = verify_generation(data, Some(g.id)).unwrap();
        assert!(
            problems.is_empty(),
            "generation {} damaged: {problems:?}",
            g.id
        );
    }

    // The next ingest clears what the kill left and publishes nothing new.
    assert_eq!(ingest_here(data, root), served);
    for e in std::fs::read_dir(data.join("generations")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "leftover {name}");
    }
    assert_eq!(list_generations(data).unwrap().len(), 2);
}
