//! Calibrated confidence: one number in [0,1] that means the same across questions.
//!
//! It is a logistic combination of absolute signals (never a per-query min-max):
//! the best cosine similarity, BM25 relative to the question's own terms, idf-weighted
//! coverage of the question's content terms by the best chunk, agreement between the
//! lexical and vector candidate lists, and the share of the question's terms the corpus has
//! never seen ("blinker fluid": "blinker" is unseen, so the question cannot be covered).
//! The weights and the default threshold were fitted on `tests/data/retrieval_questions.toml`
//! (answerable) against `tests/data/unrelated_questions.toml`; the calibration test keeps
//! them honest.

use nic_retrieve::{cosine_to_unit, QuerySignals};

/// Logistic weights, fitted by `scripts/fit-confidence.py` on the calibration sets.
const W_COSINE: f32 = 2.51;
const W_LEXICAL: f32 = 2.07;
const W_COVERAGE: f32 = 2.27;
const W_AGREEMENT: f32 = 0.51;
const W_UNSEEN: f32 = -2.98;
/// Semantic and lexical evidence must agree: a chunk that shares the question's words
/// but not its meaning ("the meaning of life" vs "service life") gets little from either.
const W_COSINE_X_COVERAGE: f32 = 2.16;
const BIAS: f32 = -2.66;

pub fn confidence(s: &QuerySignals) -> f32 {
    if s.best_score <= 0.0 && s.best_cosine <= 0.0 {
        return 0.0;
    }
    let cos = cosine_to_unit(s.best_cosine);
    let z = W_COSINE * cos
        + W_LEXICAL * s.best_lexical
        + W_COVERAGE * s.best_coverage
        + W_AGREEMENT * s.agreement
        + W_UNSEEN * s.unseen_share
        + W_COSINE_X_COVERAGE * cos * s.best_coverage
        + BIAS;
    let c = 1.0 / (1.0 + (-z).exp());
    (c * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(cos: f32, lex: f32, cov: f32, agree: f32, unseen: f32) -> QuerySignals {
        QuerySignals {
            best_cosine: cos,
            best_lexical: lex,
            best_coverage: cov,
            best_score: 0.5,
            agreement: agree,
            unseen_share: unseen,
            content_terms: 3,
        }
    }

    #[test]
    fn monotone_in_each_signal() {
        let base = confidence(&sig(0.5, 0.5, 0.5, 0.4, 0.0));
        assert!(confidence(&sig(0.7, 0.5, 0.5, 0.4, 0.0)) > base);
        assert!(confidence(&sig(0.5, 0.9, 0.5, 0.4, 0.0)) > base);
        assert!(confidence(&sig(0.5, 0.5, 0.9, 0.4, 0.0)) > base);
        assert!(confidence(&sig(0.5, 0.5, 0.5, 0.4, 0.5)) < base);
    }

    #[test]
    fn bounded() {
        for c in [
            confidence(&sig(1.0, 1.0, 1.0, 1.0, 0.0)),
            confidence(&sig(0.0, 0.0, 0.0, 0.0, 1.0)),
        ] {
            assert!((0.0..=1.0).contains(&c));
        }
    }
}
