//! `nic … | head -1`: a reader that hangs up early ends the command quietly, never with a
//! panic on the broken pipe (issue 16).

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

const NIC: &str = env!("CARGO_BIN_EXE_nic");

#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // Far more outline than a pipe buffers (64 KiB), so the writer meets the closed pipe.
    let text: String = (1..=4000)
        .map(|i| {
            format!("SECTION {i}: PART NUMBER {i} INSPECTION AND ADJUSTMENT\n\nCheck part {i}.\n\n")
        })
        .collect();
    let doc = dir.path().join("long.txt");
    std::fs::write(&doc, text).unwrap();
    let mut child = Command::new(NIC)
        .arg("outline")
        .arg(&doc)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty());
    // The reader is gone now (dropped above), like `head -1` after its line.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.status.success() || out.status.signal() == Some(13),
        "{:?}: {stderr}",
        out.status
    );
}
