//! Absolute relevance signals, the raw material of the answer stage's confidence gate.

use crate::Hit;
use nic_core::ScoredOrdinal;
use nic_index::Generation;
use std::collections::HashSet;

/// Question words that carry no topic; ignored when measuring how much of the question a
/// chunk covers.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "i", "in", "is", "it", "me", "my", "of", "on", "or", "should", "the", "there", "this", "to",
    "what", "when", "where", "which", "who", "why", "with", "you", "your", "we", "our", "if",
    "then", "that", "these", "those", "was", "were", "will", "would", "could", "tell", "about",
    "please", "much", "many", "need", "get", "some", "any", "its", "into", "up", "out",
];

pub fn is_stopword(term: &str) -> bool {
    STOPWORDS.contains(&term)
}

/// A content term of the query with its idf in this generation (an unseen term gets the
/// idf of a term with document frequency zero: the highest possible).
#[derive(Debug, Clone)]
pub struct QueryTerm {
    pub term: String,
    pub idf: f32,
    pub seen: bool,
}

pub fn query_terms(gen: &Generation, query: &str) -> Vec<QueryTerm> {
    let n = gen.len().max(1) as f32;
    let unseen_idf = (1.0 + (n + 0.5) / 0.5).ln();
    let mut seen = HashSet::new();
    nic_index::analyze(query)
        .into_iter()
        .filter(|t| !is_stopword(t) && seen.insert(t.clone()))
        .map(|term| {
            let idf = gen.term_idf(&term);
            if idf > 0.0 {
                QueryTerm {
                    term,
                    idf,
                    seen: true,
                }
            } else {
                QueryTerm {
                    term,
                    idf: unseen_idf,
                    seen: false,
                }
            }
        })
        .collect()
}

/// BM25 relative to the score of a chunk containing every query term once at average
/// length (Σ idf), capped at 1.
pub fn lexical_norm(bm25: f32, terms: &[QueryTerm]) -> f32 {
    let max: f32 = terms.iter().map(|t| t.idf).sum();
    if max <= 0.0 {
        return 0.0;
    }
    (bm25 / max).clamp(0.0, 1.0)
}

/// idf-weighted share of the query's content terms that occur in `text`.
pub fn coverage(terms: &[QueryTerm], text: &str) -> f32 {
    let total: f32 = terms.iter().map(|t| t.idf).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let words: HashSet<String> = nic_index::analyze(text).into_iter().collect();
    let present: f32 = terms
        .iter()
        .filter(|t| words.contains(&t.term))
        .map(|t| t.idf)
        .sum();
    present / total
}

/// Maps a MiniLM cosine similarity to [0,1]. Unrelated text sits around 0.0–0.2 for this
/// model family and a passage that answers a question around 0.5–0.8, so the ramp runs
/// from 0.15 to 0.75.
pub fn cosine_to_unit(cos: f32) -> f32 {
    ((cos - 0.15) / 0.60).clamp(0.0, 1.0)
}

/// Per-query summary of the evidence, comparable across queries.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct QuerySignals {
    /// Best cosine similarity among the returned hits.
    pub best_cosine: f32,
    /// Best relative BM25 among the returned hits.
    pub best_lexical: f32,
    /// Coverage of the query's content terms by the best hit.
    pub best_coverage: f32,
    /// Best fused score.
    pub best_score: f32,
    /// Share of the top-5 lexical and top-5 vector candidates that coincide.
    pub agreement: f32,
    /// idf-weighted share of the query's content terms that the corpus has never seen.
    pub unseen_share: f32,
    /// Number of content terms in the query.
    pub content_terms: usize,
}

impl QuerySignals {
    pub fn from_hits(
        hits: &[Hit],
        lexical: &[ScoredOrdinal],
        vector: &[ScoredOrdinal],
        terms: &[QueryTerm],
    ) -> Self {
        let top =
            |v: &[ScoredOrdinal]| -> HashSet<u32> { v.iter().take(5).map(|s| s.ordinal).collect() };
        let (l, v) = (top(lexical), top(vector));
        let agreement = if l.is_empty() || v.is_empty() {
            0.0
        } else {
            l.intersection(&v).count() as f32 / l.len().min(v.len()) as f32
        };
        let total: f32 = terms.iter().map(|t| t.idf).sum();
        let unseen: f32 = terms.iter().filter(|t| !t.seen).map(|t| t.idf).sum();
        let best_score = hits.iter().map(|h| h.score).fold(0.0, f32::max);
        let best = hits.iter().max_by(|a, b| a.score.total_cmp(&b.score));
        Self {
            best_cosine: hits.iter().map(|h| h.cosine).fold(-1.0, f32::max).max(0.0),
            best_lexical: hits.iter().map(|h| h.lexical).fold(0.0, f32::max),
            best_coverage: best.map(|h| h.coverage).unwrap_or(0.0),
            best_score,
            agreement,
            unseen_share: if total > 0.0 { unseen / total } else { 0.0 },
            content_terms: terms.len(),
        }
    }
}
