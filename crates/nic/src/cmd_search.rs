//! `nic search`: retrieval only, for checking what the index returns.

use anyhow::Result;
use clap::Args;
use nic_core::NicConfig;
use nic_retrieve::SearchRequest;
use serde_json::json;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The query.
    pub query: String,
    /// Number of results.
    #[arg(long, short, default_value_t = 5)]
    pub k: usize,
    /// Only this domain (top-level folder of the corpus).
    #[arg(long)]
    pub domain: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cfg: &NicConfig, args: SearchArgs) -> Result<ExitCode> {
    let r = crate::engine::retriever(cfg)?;
    let out = r.search(&SearchRequest {
        query: args.query.clone(),
        k: args.k.clamp(1, 100),
        domain: args.domain.clone(),
        ..Default::default()
    })?;
    if args.json {
        let hits: Vec<_> = out
            .hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                json!({
                    "rank": i + 1,
                    "score": h.score,
                    "cosine": h.cosine,
                    "bm25": h.bm25,
                    "doc": h.chunk.chunk.doc,
                    "title": h.chunk.chunk.title,
                    "domain": h.chunk.chunk.domain,
                    "page": h.chunk.chunk.page,
                    "section": h.chunk.chunk.section_display(),
                    "chunk_id": h.chunk.chunk_id,
                    "snippet": snippet(&h.chunk.chunk.text, 300),
                })
            })
            .collect();
        let v = json!({"query": args.query, "hits": hits, "signals": out.signals,
            "timings_ms": {"embed": out.timings.embed_ms, "lexical": out.timings.lexical_ms,
                           "vector": out.timings.vector_ms, "fuse": out.timings.fuse_ms}});
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        if out.hits.is_empty() {
            println!("no results");
        }
        for (i, h) in out.hits.iter().enumerate() {
            let c = &h.chunk.chunk;
            println!(
                "{:>2}. {:.3}  {}  p.{}  {}",
                i + 1,
                h.score,
                c.doc,
                c.page,
                c.section_display()
            );
            println!("    {}", snippet(&c.text, 200));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub use nic_answer::engine::snippet;
