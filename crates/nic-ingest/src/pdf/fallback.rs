//! `pdftotext` (poppler-utils) as a fallback extractor, when installed.
//!
//! Poppler copes with fonts and damaged cross-reference tables that the pure-Rust path does
//! not. It runs as a child process with a deadline: a pathological file gets the child
//! killed, not the ingest stuck. Its output separates pages with form feeds.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// `None` when `pdftotext` is not installed; else the pages or why it failed.
pub(crate) fn pdftotext(
    path: &Path,
    timeout: Duration,
) -> Option<Result<Vec<(u32, String)>, String>> {
    if super::worker::take_refused() {
        // Refused as hostile (nesting, decompression bomb): not handed to another parser.
        return Some(Err("refused before extraction".into()));
    }
    // A relative path starting with '-' would be read as an option.
    let arg: PathBuf = if path.is_relative() {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    };
    let mut child = match Command::new("pdftotext")
        .args(["-q", "-enc", "UTF-8"])
        .arg(&arg)
        .arg("-")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(Err(format!("cannot run pdftotext: {e}"))),
    };
    let mut stdout = child.stdout.take()?;
    let reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!(
                    "pdftotext exceeded {} s and was stopped",
                    timeout.as_secs()
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => break Err(format!("pdftotext: {e}")),
        }
    };
    let out = reader.join().unwrap_or_default();
    Some(match status {
        Ok(s) if s.success() => Ok(split_form_feeds(&String::from_utf8_lossy(&out))),
        Ok(s) => Err(format!("pdftotext failed ({s})")),
        Err(e) => Err(e),
    })
}

fn split_form_feeds(s: &str) -> Vec<(u32, String)> {
    let mut parts: Vec<&str> = s.split('\x0c').collect();
    if parts.last().is_some_and(|p| p.trim().is_empty()) {
        parts.pop();
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (i as u32 + 1, p.to_string()))
        .collect()
}
