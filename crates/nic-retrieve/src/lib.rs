//! Hybrid retrieval: BM25 and vector candidates, fused into one absolute score, diversified
//! with MMR, capped per domain.
//!
//! Scores here are deliberately *absolute* (comparable across queries) rather than min-max
//! normalised per query: the answer stage builds a calibrated confidence gate on them, and a
//! per-query normalisation would give the best hit for "blinker fluid" the same score as the
//! best hit for "alternator test".
//!
//! * Vector side: cosine similarity of unit vectors, mapped to [0,1] by [`cosine_to_unit`].
//! * Lexical side: raw BM25 divided by the BM25 a chunk would get by containing every query
//!   term once at average length (≈ Σ idf). Query terms absent from the corpus count with the
//!   idf of an unseen term, so a question about something the manuals never mention cannot
//!   score high just by matching its one common word.

mod fusion;
mod signals;

pub use fusion::{fuse, mmr_select, FusedCandidate};
pub use signals::{cosine_to_unit, QuerySignals};

use nic_core::config::FusionMethod;
use nic_core::{Embedder, StoredChunk};
use nic_index::Generation;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum RetrieveError {
    #[error(transparent)]
    Embed(#[from] nic_core::EmbedError),
    #[error("index error: {0}")]
    Index(String),
}

/// Knobs of retrieval, taken from [`nic_core::NicConfig`].
#[derive(Debug, Clone)]
pub struct RetrieverConfig {
    pub hybrid: bool,
    pub fusion: FusionMethod,
    pub vector_weight: f32,
    pub mmr_lambda: f32,
    pub domain_cap: usize,
    /// Candidates fetched from each retriever before fusion.
    pub candidates: usize,
}

impl RetrieverConfig {
    pub fn from_config(c: &nic_core::NicConfig) -> Self {
        Self {
            hybrid: c.hybrid_search,
            fusion: c.fusion,
            vector_weight: c.vector_weight,
            mmr_lambda: c.mmr_lambda,
            domain_cap: c.domain_cap,
            candidates: 50,
        }
    }
}

impl Default for RetrieverConfig {
    fn default() -> Self {
        Self::from_config(&nic_core::NicConfig::default())
    }
}

/// One retrieved chunk with every score the later stages need.
#[derive(Debug, Clone)]
pub struct Hit {
    pub chunk: StoredChunk,
    /// Fused absolute score in [0,1].
    pub score: f32,
    /// Cosine similarity to the query (always computed, even for lexical-only candidates).
    pub cosine: f32,
    /// Raw BM25 when the chunk was a lexical candidate.
    pub bm25: Option<f32>,
    /// BM25 relative to the query's terms, in [0,1].
    pub lexical: f32,
    /// idf-weighted share of the query's content terms present in the chunk, in [0,1].
    pub coverage: f32,
}

/// A retrieval request. `query_vector` lets a caller with a cache skip the embedding.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    pub k: usize,
    pub domain: Option<String>,
    pub query_vector: Option<Vec<f32>>,
    /// Skip the vector side entirely (lexical-only benchmark mode).
    pub lexical_only: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub embed_ms: f64,
    pub lexical_ms: f64,
    pub vector_ms: f64,
    pub fuse_ms: f64,
}

#[derive(Debug, Clone)]
pub struct SearchOutcome {
    pub hits: Vec<Hit>,
    pub signals: QuerySignals,
    /// The domain the question named, if any (boosted, not filtered).
    pub domain_intent: Option<String>,
    pub timings: Timings,
    /// The query vector, so callers can cache it.
    pub query_vector: Option<Vec<f32>>,
}

/// Retrieval over one published generation. Cheap to clone (everything is shared).
#[derive(Clone)]
pub struct Retriever {
    generation: Arc<Generation>,
    embedder: Arc<dyn Embedder>,
    config: RetrieverConfig,
}

impl Retriever {
    pub fn new(
        generation: Arc<Generation>,
        embedder: Arc<dyn Embedder>,
        config: RetrieverConfig,
    ) -> Self {
        Self {
            generation,
            embedder,
            config,
        }
    }

    pub fn generation(&self) -> &Arc<Generation> {
        &self.generation
    }

    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }

    pub fn config(&self) -> &RetrieverConfig {
        &self.config
    }

    /// Embeds a query (no cache here; the server wraps this).
    pub fn embed_query(&self, query: &str) -> Result<Vec<f32>, RetrieveError> {
        let mut v = self.embedder.embed(&[query])?;
        v.pop()
            .ok_or_else(|| RetrieveError::Index("embedder returned no vector".into()))
    }

    pub fn search(&self, req: &SearchRequest) -> Result<SearchOutcome, RetrieveError> {
        let gen = &self.generation;
        let k = req.k.max(1);
        let mut timings = Timings::default();
        let domain = req.domain.as_deref().filter(|d| !d.is_empty());
        let domain_intent = if domain.is_none() {
            detect_domain_intent(&req.query, &gen.domains())
        } else {
            None
        };

        let use_vectors = !req.lexical_only;
        let use_lexical = self.config.hybrid || req.lexical_only;

        let t = Instant::now();
        let qv = match (&req.query_vector, use_vectors) {
            (Some(v), _) => Some(v.clone()),
            (None, true) => Some(self.embed_query(&req.query)?),
            (None, false) => None,
        };
        timings.embed_ms = ms(t);

        let pool = self.config.candidates.max(k * 4);
        let t = Instant::now();
        let lexical = if use_lexical {
            gen.lexical()
                .search(&req.query, pool, domain)
                .map_err(RetrieveError::Index)?
        } else {
            Vec::new()
        };
        timings.lexical_ms = ms(t);

        let t = Instant::now();
        let vector = match &qv {
            Some(q) => {
                let filter = domain.map(|d| {
                    let d = d.to_string();
                    let g = Arc::clone(gen);
                    move |o: u32| g.domain_of(o) == Some(d.as_str())
                });
                match &filter {
                    Some(f) => gen.vectors().search(q, pool, Some(f)),
                    None => gen.vectors().search(q, pool, None),
                }
            }
            None => Vec::new(),
        };
        timings.vector_ms = ms(t);

        let t = Instant::now();
        let query_terms = signals::query_terms(gen, &req.query);
        let mut candidates = fuse(
            gen,
            &query_terms,
            qv.as_deref(),
            &lexical,
            &vector,
            &self.config,
            pool,
        );
        if let Some(intent) = &domain_intent {
            for c in &mut candidates {
                if gen.domain_of(c.ordinal) == Some(intent.as_str()) {
                    c.score = (c.score + 0.05).min(1.0);
                }
            }
            candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        let selected = mmr_select(
            gen,
            &candidates,
            k,
            self.config.mmr_lambda,
            self.config.domain_cap,
        );
        let mut hits = Vec::with_capacity(selected.len());
        for c in selected {
            let chunk = gen
                .chunk(c.ordinal)
                .map_err(|e| RetrieveError::Index(e.to_string()))?;
            let coverage = signals::coverage(&query_terms, &chunk.chunk.text);
            hits.push(Hit {
                chunk,
                score: c.score,
                cosine: c.cosine,
                bm25: c.bm25,
                lexical: c.lexical,
                coverage,
            });
        }
        let signals = QuerySignals::from_hits(&hits, &lexical, &vector, &query_terms);
        timings.fuse_ms = ms(t);
        Ok(SearchOutcome {
            hits,
            signals,
            domain_intent,
            timings,
            query_vector: qv,
        })
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// The domain a question names ("hvac", "vehicle", "forklift"...), matched on word boundaries
/// against the corpus' own domain names (singular or plural), never a hard-coded list.
pub fn detect_domain_intent(query: &str, domains: &[(String, usize)]) -> Option<String> {
    let words: HashMap<String, ()> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| (w.to_lowercase(), ()))
        .collect();
    domains
        .iter()
        .map(|(d, _)| d)
        .find(|d| {
            let d = d.to_lowercase();
            words.contains_key(&d)
                || words.contains_key(&format!("{d}s"))
                || d.strip_suffix('s').is_some_and(|s| words.contains_key(s))
        })
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_intent_uses_word_boundaries() {
        let domains = vec![("hvac".to_string(), 3), ("vehicle".to_string(), 4)];
        assert_eq!(
            detect_domain_intent("HVAC filter interval", &domains),
            Some("hvac".into())
        );
        assert_eq!(
            detect_domain_intent("vehicles brake", &domains),
            Some("vehicle".into())
        );
        assert_eq!(detect_domain_intent("hvacx thing", &domains), None);
    }
}
