//! Opening the pieces every command shares: the embedder and the current generation.

use anyhow::{Context, Result};
use nic_core::{Embedder, NicConfig};
use nic_index::Generation;
use nic_retrieve::{Retriever, RetrieverConfig};
use std::sync::Arc;

/// The embedding model named by the config, loaded lazily (weights on first use).
pub fn embedder(cfg: &NicConfig) -> Result<Arc<dyn Embedder>> {
    let dir = cfg.model_dir();
    let e = nic_embed::LazyEmbedder::new(&dir)?;
    Ok(Arc::new(e))
}

/// The current generation, checked against the configured model.
pub fn open_generation(cfg: &NicConfig, embedder: &dyn Embedder) -> Result<Arc<Generation>> {
    let gen = Generation::open_current(&cfg.data_dir)
        .with_context(|| format!("opening the index in {}", cfg.data_dir.display()))?;
    gen.check_model(embedder.model_id())?;
    Ok(Arc::new(gen))
}

pub fn retriever(cfg: &NicConfig) -> Result<Retriever> {
    let e = embedder(cfg)?;
    let gen = open_generation(cfg, e.as_ref())?;
    Ok(Retriever::new(gen, e, RetrieverConfig::from_config(cfg)))
}
