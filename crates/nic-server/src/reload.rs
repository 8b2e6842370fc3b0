//! `POST /api/reload`: ingest the catalog's roots again and swap in the new generation.

use crate::state::SharedState;
use nic_index::{Generation, IngestOptions};
use nic_retrieve::{Retriever, RetrieverConfig};
use std::sync::Arc;

pub fn reload_blocking(state: &SharedState) -> Result<nic_index::IngestReport, String> {
    let cfg = &state.config;
    let current = state.engine.retriever();
    let embedder = current.embedder().clone();
    let opts = IngestOptions::from_config(cfg, Vec::new());
    let report = nic_index::ingest(&cfg.data_dir, &opts, embedder.as_ref(), &|_| {})
        .map_err(|e| e.to_string())?;
    let gen = Generation::open_current(&cfg.data_dir).map_err(|e| e.to_string())?;
    if gen.id() != current.generation().id() {
        gen.check_model(embedder.model_id())
            .map_err(|e| e.to_string())?;
        // A damaged new generation is not swapped in: the server keeps serving its own.
        let damaged = nic_index::quick_check_generation(gen.dir());
        if let Some(p) = damaged.first() {
            return Err(format!(
                "generation {} is damaged ({}: {}); still serving generation {}",
                gen.id(),
                p.path,
                p.problem,
                current.generation().id()
            ));
        }
        state.engine.swap_retriever(Retriever::new(
            Arc::new(gen),
            embedder,
            RetrieverConfig::from_config(cfg),
        ));
        tracing::info!(
            generation = report.generation,
            "reload published a new generation"
        );
    }
    Ok(report)
}
