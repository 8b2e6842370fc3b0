//! The lexical analyzer: one function turns text into index terms, used both when indexing
//! and when querying (and by retrieval for query-term coverage), so the two sides can never
//! drift apart.
//!
//! Why a custom analyzer: technicians search for things like `P0420`, `12-345-A`, `85-95`,
//! `ft-lbs`, `13.8-14.4V` or `M8x1.25`. A default tokenizer splits these at every
//! punctuation mark and the code is lost among common numbers. Here each *compound* (a run
//! of letters/digits joined by `- . / _ +`, or `, :` between digits) is emitted whole and
//! lower-cased, and also broken into its `-`/`/`-separated pieces and its purely
//! alphanumeric parts, so `12-345-A` matches a query for the whole code (rare term, high
//! BM25 weight) and, more weakly, a query for `345`. Text is NFKC-normalised first
//! (`nic_core::text::normalize`), which folds PDF ligatures such as "ﬁ". Purely alphabetic
//! terms get a light English (Snowball) stem so "testing" finds "test"; codes and numbers
//! are never stemmed.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Version of the analysis rules, recorded in every manifest: a generation built with other
/// rules would answer queries inconsistently.
pub const ANALYZER_VERSION: u32 = 1;

/// Compounds longer than this (in chars) are not emitted whole, only as parts: long runs
/// are base64 blobs or URLs, not codes anyone types.
const MAX_COMPOUND_CHARS: usize = 40;
/// Terms longer than this are dropped entirely.
const MAX_TERM_CHARS: usize = 40;

/// Words dropped from queries (never from the index: BM25 gives them little weight anyway,
/// and the index must not depend on the list).
const STOP_WORDS: &[&str] = &[
    "a", "about", "an", "and", "are", "as", "at", "be", "by", "can", "could", "do", "does", "for",
    "from", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our",
    "s", "should", "so", "t", "that", "the", "their", "then", "there", "this", "to", "was", "we",
    "were", "what", "when", "where", "which", "why", "will", "with", "would", "you", "your",
];

fn stemmer() -> &'static rust_stemmers::Stemmer {
    static STEMMER: OnceLock<rust_stemmers::Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English))
}

fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '.' | '/' | '_' | '+')
}

fn is_numeric_joiner(c: char) -> bool {
    matches!(c, ',' | ':')
}

/// Splits lower-cased, normalised text into compounds.
fn compounds(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1; // exclusive, in chars
        while end < chars.len() {
            let c = chars[end].1;
            if c.is_alphanumeric() {
                end += 1;
                continue;
            }
            let next = chars.get(end + 1).map(|x| x.1);
            let prev = chars[end - 1].1;
            let joins = match next {
                Some(n) if is_joiner(c) => n.is_alphanumeric(),
                Some(n) if is_numeric_joiner(c) => n.is_ascii_digit() && prev.is_ascii_digit(),
                _ => false,
            };
            if !joins {
                break;
            }
            end += 2;
        }
        let byte_start = chars[start].0;
        let byte_end = chars.get(end).map_or(text.len(), |x| x.0);
        out.push(&text[byte_start..byte_end]);
        i = end;
    }
    out
}

fn is_alphabetic(s: &str) -> bool {
    s.chars().all(char::is_alphabetic)
}

/// Calls `emit` with every index term of `text`, in order, with the stop-word flag.
fn for_each_term(text: &str, mut emit: impl FnMut(String, bool)) {
    let lowered = nic_core::text::normalize(text).to_lowercase();
    let stem = stemmer();
    let mut seen: Vec<String> = Vec::with_capacity(8);
    for compound in compounds(&lowered) {
        seen.clear();
        let mut candidates: Vec<&str> = Vec::with_capacity(8);
        if compound.chars().count() <= MAX_COMPOUND_CHARS {
            candidates.push(compound);
        }
        let pieces: Vec<&str> = compound
            .split(['-', '/', '_', '+'])
            .filter(|p| !p.is_empty())
            .collect();
        if pieces.len() > 1 {
            candidates.extend(pieces.iter().copied());
        }
        let parts: Vec<&str> = compound
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| !p.is_empty())
            .collect();
        if parts.len() > 1 {
            candidates.extend(parts.iter().copied());
        }
        // "1,200" is also searchable as "1200".
        if compound.contains(',') && compound.chars().all(|c| c.is_ascii_digit() || c == ',') {
            candidates.push("");
        }
        for cand in candidates {
            let owned = if cand.is_empty() {
                compound.replace(',', "")
            } else {
                cand.to_string()
            };
            if owned.chars().count() > MAX_TERM_CHARS {
                continue;
            }
            let is_stop = STOP_WORDS.contains(&owned.as_str());
            let term = if is_alphabetic(&owned) && owned.chars().count() > 3 {
                stem.stem(&owned).into_owned()
            } else {
                owned
            };
            if seen.contains(&term) {
                continue;
            }
            seen.push(term.clone());
            emit(term, is_stop);
        }
    }
}

/// Every index term of `text`, in order (with repeats), exactly as the lexical index
/// stores them.
pub fn analyze(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |t, _| out.push(t));
    out
}

/// The terms a query searches for: [`analyze`]d, stop words removed, duplicates removed
/// (first occurrence kept). Retrieval uses this for query-term coverage and IDF.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for_each_term(query, |t, stop| {
        if !stop && seen.insert(t.clone()) {
            out.push(t);
        }
    });
    out
}

/// The analyzer as a tantivy tokenizer (registered as [`TOKENIZER_NAME`]).
#[derive(Clone, Default)]
pub(crate) struct NicTokenizer;

pub(crate) const TOKENIZER_NAME: &str = "nic_v1";

pub(crate) struct VecTokenStream {
    tokens: Vec<tantivy::tokenizer::Token>,
    next: usize,
}

impl tantivy::tokenizer::Tokenizer for NicTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        // Offsets are not meaningful after normalisation (no highlighting uses them);
        // positions are sequential.
        let tokens = analyze(text)
            .into_iter()
            .enumerate()
            .map(|(position, text)| tantivy::tokenizer::Token {
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            })
            .collect();
        VecTokenStream { tokens, next: 0 }
    }
}

impl tantivy::tokenizer::TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &tantivy::tokenizer::Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut tantivy::tokenizer::Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(text: &str, term: &str) -> bool {
        analyze(text).iter().any(|t| t == term)
    }

    #[test]
    fn codes_stay_whole_and_split() {
        let t = analyze("Check DTC P0420 and part 12-345-A.");
        assert!(t.contains(&"p0420".to_string()), "{t:?}");
        for want in ["12-345-a", "12", "345", "a"] {
            assert!(t.contains(&want.to_string()), "{want} missing from {t:?}");
        }
        assert!(has("Torque to 85-95 ft-lbs", "85-95"));
        assert!(has("Torque to 85-95 ft-lbs", "ft-lbs"));
        assert!(has("Torque to 85-95 ft-lbs", "ft"));
        assert!(has("Charging voltage 13.8-14.4V at idle", "13.8-14.4v"));
        assert!(has("Charging voltage 13.8-14.4V at idle", "13.8"));
        assert!(has("Charging voltage 13.8-14.4V at idle", "14.4v"));
        assert!(has("Use an M8x1.25 bolt", "m8x1.25"));
        assert!(has("Rated 1,200 rpm", "1,200"));
        assert!(has("Rated 1,200 rpm", "1200"));
    }

    #[test]
    fn sentence_punctuation_is_not_part_of_a_term() {
        let t = analyze("Replace the filter. Then, test (again).");
        assert!(
            !t.iter().any(|x| x.contains('.') || x.contains(',')),
            "{t:?}"
        );
        assert!(t.contains(&"filter".to_string()));
    }

    #[test]
    fn plain_words_are_stemmed_codes_are_not() {
        assert_eq!(analyze("Testing"), analyze("tests"));
        assert_eq!(analyze("P0420S"), vec!["p0420s".to_string()]);
    }

    #[test]
    fn ligatures_fold() {
        assert_eq!(analyze("ﬁlter"), analyze("filter"));
        assert_eq!(analyze("８５–９５"), analyze("85–95"));
    }

    #[test]
    fn query_terms_drop_stop_words_and_duplicates() {
        let q = query_terms("How do I test the alternator? Test it!");
        assert_eq!(q, vec!["test".to_string(), "altern".to_string()]);
        assert!(query_terms("what is the").is_empty());
    }

    #[test]
    fn long_junk_is_bounded() {
        let junk = "x".repeat(500);
        assert!(analyze(&junk).is_empty());
        let blob = format!("{}-{}", "a".repeat(30), "b".repeat(30));
        let t = analyze(&blob);
        assert_eq!(t.len(), 2, "{t:?}");
    }
}
