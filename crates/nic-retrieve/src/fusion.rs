//! Fusion of lexical and vector candidates, then MMR with per-domain caps.

use crate::signals::{cosine_to_unit, lexical_norm, QueryTerm};
use crate::RetrieverConfig;
use nic_core::config::FusionMethod;
use nic_core::ScoredOrdinal;
use nic_index::Generation;
use std::collections::HashMap;

/// A candidate after fusion, before diversification.
#[derive(Debug, Clone)]
pub struct FusedCandidate {
    pub ordinal: u32,
    /// Absolute fused score in [0,1].
    pub score: f32,
    pub cosine: f32,
    pub bm25: Option<f32>,
    pub lexical: f32,
    /// Rank-fusion score, when RRF orders the list.
    pub rrf: f32,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Fuses both candidate lists into absolute scores. Every candidate gets a real cosine
/// (computed from its stored vector when only the lexical side found it), so a lexical-only
/// match never borrows confidence it does not have.
pub fn fuse(
    gen: &Generation,
    terms: &[QueryTerm],
    query_vector: Option<&[f32]>,
    lexical: &[ScoredOrdinal],
    vector: &[ScoredOrdinal],
    cfg: &RetrieverConfig,
    pool: usize,
) -> Vec<FusedCandidate> {
    let mut by_ord: HashMap<u32, FusedCandidate> = HashMap::new();
    let lexical_full = lexical.len() >= pool;
    let floor = if lexical_full {
        lexical
            .last()
            .map(|s| 0.5 * lexical_norm(s.score, terms))
            .unwrap_or(0.0)
    } else {
        0.0
    };
    const RRF_K: f32 = 60.0;
    for (rank, s) in lexical.iter().enumerate() {
        let e = by_ord.entry(s.ordinal).or_insert_with(|| empty(s.ordinal));
        e.bm25 = Some(s.score);
        e.lexical = lexical_norm(s.score, terms);
        e.rrf += 1.0 / (RRF_K + rank as f32 + 1.0);
    }
    for (rank, s) in vector.iter().enumerate() {
        let e = by_ord.entry(s.ordinal).or_insert_with(|| {
            let mut c = empty(s.ordinal);
            c.lexical = floor;
            c
        });
        e.cosine = s.score;
        e.rrf += 1.0 / (RRF_K + rank as f32 + 1.0);
    }
    let in_vector: std::collections::HashSet<u32> = vector.iter().map(|s| s.ordinal).collect();
    let w = cfg.vector_weight.clamp(0.0, 1.0);
    let mut out: Vec<FusedCandidate> = by_ord
        .into_values()
        .map(|mut c| {
            if !in_vector.contains(&c.ordinal) {
                c.cosine = match (query_vector, gen.vectors().vector(c.ordinal)) {
                    (Some(q), Some(v)) => dot(q, &v),
                    _ => 0.0,
                };
            }
            let vec_part = cosine_to_unit(c.cosine);
            c.score = match query_vector {
                None => c.lexical,
                Some(_) if !cfg.hybrid => vec_part,
                Some(_) => w * vec_part + (1.0 - w) * c.lexical,
            };
            c
        })
        .collect();
    match cfg.fusion {
        FusionMethod::Weighted => out.sort_by(|a, b| b.score.total_cmp(&a.score)),
        FusionMethod::Rrf => out.sort_by(|a, b| b.rrf.total_cmp(&a.rrf)),
    }
    out
}

fn empty(ordinal: u32) -> FusedCandidate {
    FusedCandidate {
        ordinal,
        score: 0.0,
        cosine: 0.0,
        bm25: None,
        lexical: 0.0,
        rrf: 0.0,
    }
}

/// Maximal marginal relevance over the best `4k` candidates: each pick maximises
/// `λ·score − (1−λ)·max cosine to the picks so far`, so near-duplicate chunks (the same
/// boilerplate on many pages) do not crowd out other evidence. `domain_cap` (0 = none)
/// limits picks per domain; it is relaxed only when nothing else is left.
pub fn mmr_select(
    gen: &Generation,
    candidates: &[FusedCandidate],
    k: usize,
    lambda: f32,
    domain_cap: usize,
) -> Vec<FusedCandidate> {
    let pool: Vec<&FusedCandidate> = candidates.iter().take(k * 4).collect();
    let vectors: Vec<Option<Vec<f32>>> = if lambda < 1.0 {
        pool.iter()
            .map(|c| gen.vectors().vector(c.ordinal))
            .collect()
    } else {
        vec![None; pool.len()]
    };
    let mut picked: Vec<usize> = Vec::with_capacity(k);
    let mut per_domain: HashMap<&str, usize> = HashMap::new();
    while picked.len() < k.min(pool.len()) {
        let mut best: Option<(usize, f32)> = None;
        for relax in [false, true] {
            for (i, c) in pool.iter().enumerate() {
                if picked.contains(&i) {
                    continue;
                }
                let dom = gen.domain_of(c.ordinal).unwrap_or("");
                if !relax
                    && domain_cap > 0
                    && per_domain.get(dom).copied().unwrap_or(0) >= domain_cap
                {
                    continue;
                }
                let redundancy = picked
                    .iter()
                    .filter_map(|&j| match (&vectors[i], &vectors[j]) {
                        (Some(a), Some(b)) => Some(dot(a, b)),
                        _ => None,
                    })
                    .fold(0.0f32, f32::max);
                let relevance = if c.score.is_finite() { c.score } else { 0.0 };
                let mmr = lambda * relevance - (1.0 - lambda) * redundancy;
                if best.is_none_or(|(_, b)| mmr > b) {
                    best = Some((i, mmr));
                }
            }
            if best.is_some() {
                break;
            }
        }
        let Some((i, _)) = best else { break };
        *per_domain
            .entry(gen.domain_of(pool[i].ordinal).unwrap_or(""))
            .or_insert(0) += 1;
        picked.push(i);
    }
    picked.into_iter().map(|i| pool[i].clone()).collect()
}
