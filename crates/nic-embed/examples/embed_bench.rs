//! Measures the embedder: query latency, chunk throughput per batch size, memory.
//!
//! Not a test (timings depend on the machine). Run from the repo root after `make model`:
//!
//! ```text
//! cargo run --release -p nic-embed --example embed_bench [-- MODEL_DIR] [--threads N]
//! ```
//!
//! Peak RSS is VmHWM from /proc/self/status; it is reset (via /proc/self/clear_refs) before each
//! batch size so every row shows that batch size's own peak.

use std::path::PathBuf;
use std::time::Instant;

use nic_embed::{Embedder, LazyEmbedder};

const QUERIES: [&str; 10] = [
    "How do I bleed the brakes?",
    "torque for caliper bolts",
    "what does code P0420 mean",
    "hydraulic pump pressure check",
    "replace the cabin air filter",
    "minimum rotor thickness",
    "coolant capacity",
    "engine oil specification",
    "landing gear inspection interval",
    "how to reset the maintenance light",
];

const PARAGRAPH: &str = "Para 2-2.1 Inspect the brake rotor for scoring, heat checking and \
    minimum thickness. Measure thickness at eight points around the friction surface with a \
    micrometer and compare with Table 7-1. WARNING: Brake fluid is toxic and damages paint; wear \
    eye protection and gloves. Step 3. Loosen the bleeder screw 1/4 turn while an assistant \
    holds the pedal down, then tighten to 85-95 in-lbs before the pedal is released. Repeat \
    until no air bubbles appear in fluid draining from hose 12-345-A. ";

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l[field.len()..].trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

fn reset_peak() {
    // "5" resets VmHWM to the current RSS (Linux >= 4.0); harmless if unsupported.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Distinct ~220-token chunks: the paragraph repeated and trimmed by whole words.
fn make_chunks(m: &dyn Embedder, n: usize) -> Vec<String> {
    let base = PARAGRAPH.repeat(4);
    let words: Vec<&str> = base.split_whitespace().collect();
    let mut take = words.len();
    while take > 1 && m.count_tokens(&words[..take].join(" ")) > 218 {
        take -= 1;
    }
    (0..n)
        .map(|i| format!("Section {i}. {}", words[..take].join(" ")))
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dir = PathBuf::from("models/all-MiniLM-L6-v2");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--threads" {
            let n: usize = args.next().ok_or("--threads needs a number")?.parse()?;
            nic_embed::set_threads(n);
        } else {
            dir = PathBuf::from(a);
        }
    }
    println!("threads: {}", nic_embed::threads::threads());
    println!("RSS at start: {}", status("VmRSS:"));

    let t = Instant::now();
    let m = LazyEmbedder::new(&dir)?;
    println!(
        "LazyEmbedder::new: {:.1} ms, RSS {} (weights not loaded)",
        t.elapsed().as_secs_f64() * 1e3,
        status("VmRSS:")
    );
    println!("model_id: {}", m.model_id());
    let t = Instant::now();
    m.get()?;
    println!(
        "weight load: {:.1} ms, RSS {}",
        t.elapsed().as_secs_f64() * 1e3,
        status("VmRSS:")
    );

    // Query latency: warm up, then 50 single-query calls.
    m.embed(&QUERIES[..2])?;
    reset_peak();
    let mut lat: Vec<f64> = (0..50)
        .map(|i| {
            let t = Instant::now();
            m.embed(&[QUERIES[i % QUERIES.len()]])
                .map(|_| t.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_, _>>()?;
    lat.sort_by(f64::total_cmp);
    println!(
        "query latency over 50: p50 {:.2} ms, p90 {:.2} ms, max {:.2} ms; peak RSS {}",
        lat[25],
        lat[45],
        lat[49],
        status("VmHWM:")
    );

    let chunks = make_chunks(&m, 64);
    println!(
        "chunk size: {} tokens (+2 special)",
        m.count_tokens(&chunks[0])
    );
    for batch in [1usize, 8, 16, 32] {
        let n = if batch == 1 { 16 } else { 64 };
        let refs: Vec<&str> = chunks[..n].iter().map(String::as_str).collect();
        m.embed(&refs[..batch])?; // warm-up at this shape
        reset_peak();
        let t = Instant::now();
        for b in refs.chunks(batch) {
            m.embed(b)?;
        }
        let secs = t.elapsed().as_secs_f64();
        let note = if batch > nic_embed::MAX_FORWARD_BATCH {
            format!(
                " [sliced into forward passes of {}]",
                nic_embed::MAX_FORWARD_BATCH
            )
        } else {
            String::new()
        };
        println!(
            "batch {batch:>2}: {:.1} chunks/s ({n} chunks in {secs:.2} s), peak RSS {}{note}",
            n as f64 / secs,
            status("VmHWM:")
        );
    }
    Ok(())
}
