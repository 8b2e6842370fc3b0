//! Prints what NIC extracts from one file, and optionally its chunks: a debugging aid.
//!
//! `cargo run -p nic-ingest --example extract -- FILE [--chunks]`
//! (chunk sizes use a word-based token estimate, not the real tokenizer).

use nic_ingest::{chunk_document, extract_file, ChunkOptions, ExtractOptions, SourceFile};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: extract FILE [--chunks]");
        return ExitCode::from(2);
    };
    let path = PathBuf::from(file);
    let doc = match extract_file(&path, &ExtractOptions::default()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    println!(
        "title: {}\nempty pages: {:?}\nwarnings: {:?}",
        doc.title, doc.empty_pages, doc.warnings
    );
    let show_chunks = args.iter().any(|a| a == "--chunks");
    if !show_chunks {
        for p in &doc.pages {
            println!("\n===== page {} =====", p.number);
            for m in &p.sections {
                println!("[section @{}] {}", m.offset, m.path.join(" > "));
            }
            println!("{}", p.text);
        }
        return ExitCode::SUCCESS;
    }
    let src = SourceFile {
        doc: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        domain: "general".into(),
        size: 0,
        path,
    };
    let count = |s: &str| (s.split_whitespace().count() * 4).div_ceil(3);
    for c in chunk_document(&doc, &src, &ChunkOptions::default(), &count) {
        println!(
            "\n----- page {} [{}..{}] ~{} tokens | {}\n{}",
            c.page,
            c.char_start,
            c.char_end,
            count(&c.text),
            c.section.join(" > "),
            c.text
        );
    }
    ExitCode::SUCCESS
}
