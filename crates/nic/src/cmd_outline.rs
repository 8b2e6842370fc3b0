//! `nic outline DOC [--json]`: how one manual was understood (headings with pages, block
//! kinds, safety notices), parsed from the file itself — check a new manual before relying
//! on its citations.

use anyhow::{Context, Result};
use nic_core::NicConfig;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct OutlineArgs {
    /// The manual (PDF, HTML, TXT or MD).
    pub doc: PathBuf,
    /// Print the tree as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cfg: &NicConfig, args: OutlineArgs) -> Result<ExitCode> {
    let opts = nic_ingest::ExtractOptions::from_config(cfg);
    let doc = nic_ingest::extract_file(&args.doc, &opts)
        .with_context(|| format!("cannot read {}", args.doc.display()))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&nic_ingest::outline_report(&doc))?
        );
    } else {
        print!("{}", nic_ingest::render_outline(&doc));
    }
    Ok(ExitCode::SUCCESS)
}
