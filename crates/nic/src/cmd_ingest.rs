//! `nic ingest`: scan, extract, chunk, embed, publish — with a progress bar and a summary.

use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use nic_core::NicConfig;
use nic_index::{IngestOptions, IngestReport, ProgressEvent};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Folders to ingest (their top-level subfolders are the domains). None: the roots
    /// already in the catalog.
    pub dirs: Vec<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Re-extract and re-embed everything instead of reusing unchanged documents.
    #[arg(long)]
    pub rebuild: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn options(cfg: &NicConfig, roots: Vec<PathBuf>, rebuild: bool) -> IngestOptions {
    IngestOptions {
        rebuild,
        ..IngestOptions::from_config(cfg, roots)
    }
}

pub fn run(cfg: &NicConfig, args: IngestArgs) -> Result<ExitCode> {
    let embedder = crate::engine::embedder(cfg)?;
    let opts = options(cfg, args.dirs.clone(), args.rebuild);
    let show_bar = !args.quiet && !args.json && std::io::stderr().is_terminal();
    let bar = ProgressBar::hidden();
    if show_bar {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} files {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    }
    let progress = |ev: &ProgressEvent| on_progress(&bar, ev, args.quiet || args.json);
    let report = nic_index::ingest(&cfg.data_dir, &opts, embedder.as_ref(), &progress)?;
    bar.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_summary(&report);
    }
    Ok(exit_code(&report))
}

fn on_progress(bar: &ProgressBar, ev: &ProgressEvent, quiet: bool) {
    match ev {
        ProgressEvent::Scanned { files, .. } => bar.set_length(*files as u64),
        ProgressEvent::FileStarted { doc, .. } => bar.set_message(doc.clone()),
        ProgressEvent::FileDone { .. } => bar.inc(1),
        ProgressEvent::Publishing { .. } => bar.set_message("publishing"),
        _ => {}
    }
    if bar.is_hidden() && !quiet {
        if let ProgressEvent::FileStarted { index, total, doc } = ev {
            eprintln!("[{}/{}] {}", index + 1, total, doc);
        }
    }
}

/// Non-zero only when nothing could be ingested or the index could not be published.
fn exit_code(r: &IngestReport) -> ExitCode {
    let anything_indexed = r.files_new + r.files_changed + r.files_unchanged > 0;
    if anything_indexed && (r.published || r.generation.is_some()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Per-document structure lines printed before the rest are summed up.
const MAX_STRUCTURE_LINES: usize = 40;

fn print_summary(r: &IngestReport) {
    println!(
        "files: {} total — {} new, {} changed, {} unchanged, {} deleted, {} failed",
        r.files_total,
        r.files_new,
        r.files_changed,
        r.files_unchanged,
        r.files_deleted,
        r.failed.len()
    );
    println!(
        "pages: {} ({} without text), chunks: {}, time: {:.1} s, peak RSS: {:.0} MB",
        r.pages,
        r.empty_pages,
        r.chunks,
        r.elapsed_s,
        r.peak_rss_bytes as f64 / 1048576.0
    );
    println!("{}", r.message);
    // One line per document while that is readable; a 10,000-page manual gets the totals
    // and the count of the rest (`--json` lists every document, `nic outline DOC` shows one).
    for d in r.structure.iter().take(MAX_STRUCTURE_LINES) {
        println!(
            "structure: {}: {} sections, {} tables, {} procedures, {} warnings",
            d.doc, d.counts.sections, d.counts.tables, d.counts.procedures, d.counts.warnings
        );
    }
    if r.structure.len() > MAX_STRUCTURE_LINES {
        let sum = |f: fn(&nic_core::StructureCounts) -> usize| -> usize {
            r.structure.iter().map(|d| f(&d.counts)).sum()
        };
        println!(
            "structure: … {} more documents (all {}: {} sections, {} tables, {} procedures, {} warnings; --json lists each)",
            r.structure.len() - MAX_STRUCTURE_LINES,
            r.structure.len(),
            sum(|c| c.sections),
            sum(|c| c.tables),
            sum(|c| c.procedures),
            sum(|c| c.warnings)
        );
    }
    for f in &r.failed {
        println!("failed: {}: {}", f.path, f.reason);
    }
    for w in &r.warnings {
        println!("warning: {}: {}", w.path, w.message);
    }
}
