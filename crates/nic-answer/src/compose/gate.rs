//! The honest gate: does the answering section name what the question is about?
//!
//! Each object term of the question is looked for in the section (its text and heading
//! path): as the word, as the same Snowball stem the index uses ("overheating" =
//! "overheat"), as an abbreviation of a section word ("evap", "temp"), or as a typo one or
//! two letters off one (reported as a correction). A term found only in the section's
//! chapter (the parent section's text) counts half; a term found only in what names the
//! manual ("K30", "forklift") is scope and counts neither way.
//!
//! Terms are weighted by how specific they are in this corpus (BM25's IDF): a section that
//! names "brake" but not "shoe" has not answered a question about brake shoes, while a
//! section that misses a common word still can. The section answers when the weighted share
//! of the question's object it names reaches [`MIN_COVERAGE`] and it names at least one term
//! itself. Both constants were chosen on the tuning split of the development set
//! (`tests/data/eval`, `nic eval --split tune`) and are reported on the held-out split.

use crate::text::{content_words, edit_distance};
use nic_core::Block;
use nic_index::SectionRow;
use nic_retrieve::Hit;
use std::collections::HashSet;

/// The weighted share of the question's object terms the answering section must name.
/// Chosen on the tuning split of the development set (`nic eval --split tune`), checked on
/// the held-out split.
pub(super) const MIN_COVERAGE: f32 = 0.6;

/// Weight of a word the corpus has never seen: about the IDF of a word that occurs once.
/// Weight of a word the corpus has never seen. Not the weight of the rarest word: a
/// technician's own words ("weekend", "zip", "beeper") are unseen as often as a part the
/// manuals lack ("fob"), so an unseen word weighs like a common part name, and a question
/// about a missing part still abstains when the rest of what it names is common.
/// Chosen with [`MIN_COVERAGE`] on the tuning split.
const UNSEEN_WEIGHT: f32 = 2.5;
/// The most any one word weighs: about the IDF of a word that occurs once.
const MAX_WEIGHT: f32 = 4.5;

pub(super) fn overlap(terms: &[String], text: &str) -> usize {
    let w = content_words(text);
    terms.iter().filter(|t| w.contains(*t)).count()
}

/// How one object term was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Found {
    /// In the section, as written, stemmed, abbreviated or mistyped.
    Section,
    /// Only in the parent section's text.
    Context,
    /// Counts neither for the section nor against it: a word found only in what names the
    /// manual (title, file name, domain: "K30", "forklift"), which narrows the question to
    /// a manual but is not what it asks about; or a mistyped question word ("torqe").
    Neutral,
    Missing,
}

/// Which object terms the unit names; typos are matched to the unit's own words.
pub(super) struct Grounding {
    /// A thing the corpus has never heard of is named ("blinker", "bike"): no section
    /// answers it, however much else of the question it names.
    pub unknown_object: bool,
    pub missing: Vec<String>,
    pub corrections: Vec<(String, String)>,
    /// Per object term: (term, its weight, how it was found).
    pub terms: Vec<(String, f32, Found)>,
}

impl Grounding {
    /// How many object terms the section itself names.
    pub fn found(&self) -> usize {
        self.terms.iter().filter(|t| t.2 == Found::Section).count()
    }

    /// The weighted share of the question's object the unit names.
    pub fn coverage(&self) -> f32 {
        let total: f32 = self
            .terms
            .iter()
            .filter(|t| t.2 != Found::Neutral)
            .map(|t| t.1)
            .sum();
        if total <= 0.0 {
            return 1.0;
        }
        let found: f32 = self
            .terms
            .iter()
            .map(|(_, w, f)| match f {
                Found::Section => *w,
                Found::Context => *w * 0.5,
                Found::Missing | Found::Neutral => 0.0,
            })
            .sum();
        found / total
    }
}

/// The words of a text in the two forms the gate compares: the answerer's plural fold and
/// the index's Snowball stems.
struct Vocab {
    words: HashSet<String>,
    stems: HashSet<String>,
}

impl Vocab {
    fn of(text: &str) -> Self {
        Self {
            words: content_words(text),
            stems: nic_index::analyze(text).into_iter().collect(),
        }
    }

    fn names(&self, t: &str) -> bool {
        self.words.contains(t)
            || nic_index::analyze(t)
                .iter()
                .any(|s| s.chars().any(char::is_alphabetic) && self.stems.contains(s))
            // An abbreviation or a word cut short: "evap" (evaporator), "temp", "thermo".
            // (Four letters at least: "car" must not find "carry".)
            || (t.chars().count() >= 4
                && t.chars().all(char::is_alphabetic)
                && self.words.iter().any(|v| v.starts_with(t)))
    }
}

pub(super) fn ground(
    terms: &[String],
    unit: &Unit,
    context_text: &str,
    idf: &dyn Fn(&str) -> f32,
) -> Grounding {
    let vocab = Vocab::of(&unit.text);
    let scope = Vocab::of(&unit.scope);
    let context = Vocab::of(context_text);
    let mut g = Grounding {
        unknown_object: false,
        missing: Vec::new(),
        corrections: Vec::new(),
        terms: Vec::new(),
    };
    let weight = |t: &str| {
        let w = idf(t);
        if w > 0.0 {
            w.min(MAX_WEIGHT)
        } else {
            UNSEEN_WEIGHT
        }
    };
    for t in terms {
        if vocab.names(t) {
            g.terms.push((t.clone(), weight(t), Found::Section));
            continue;
        }
        let limit = match t.chars().count() {
            0..=4 => 0,
            5..=6 => 1,
            _ => 2,
        };
        let close = vocab
            .words
            .iter()
            .filter(|v| v.len() >= 4)
            .map(|v| (edit_distance(t, v), v))
            .filter(|(d, _)| *d <= limit)
            .min();
        if let Some((_, v)) = close {
            // A typo weighs what the word it stands for weighs.
            g.terms.push((t.clone(), weight(v), Found::Section));
            g.corrections.push((t.clone(), v.clone()));
        } else if context.names(t) {
            g.terms.push((t.clone(), weight(t), Found::Context));
        } else if scope.names(t) {
            g.terms.push((t.clone(), weight(t), Found::Neutral));
        } else if idf(t) <= 0.0 && super::kind::is_generic_typo(t) {
            // "torqe": a mistyped question word weighs nothing either way.
            g.terms.push((t.clone(), weight(t), Found::Neutral));
        } else {
            g.unknown_object |= idf(t) <= 0.0 && names_a_thing(t);
            g.missing.push(t.clone());
            g.terms.push((t.clone(), weight(t), Found::Missing));
        }
    }
    g
}

pub(super) fn grounded(g: &Grounding, terms: &[String]) -> bool {
    if terms.is_empty() {
        return true;
    }
    !g.unknown_object && g.found() > 0 && g.coverage() >= MIN_COVERAGE
}

/// Whether an unknown word is likely a thing rather than how the technician tells it:
/// "blinker" and "bike" are, "dumped" and "hitting" are not. Short words are too often
/// abbreviations or slang ("zip", "bit") to decide on.
fn names_a_thing(t: &str) -> bool {
    t.chars().count() >= 4
        && t.chars().all(|c| c.is_alphabetic() || c == '-')
        && !t.ends_with("ing")
        && !t.ends_with("ed")
        && !t.ends_with("ly")
}

/// What the gate reads of an answering section: its heading path and text, and apart from
/// them what names its manual.
pub(super) struct Unit {
    pub text: String,
    pub scope: String,
}

pub(super) fn unit_text(row: &SectionRow, blocks: &[Block], hit: &Hit) -> Unit {
    let c = &hit.chunk.chunk;
    let scope = format!(
        "{} {} {}",
        c.domain,
        c.doc.replace(['/', '_', '.', '-'], " "),
        c.title
    );
    // The path's first heading is often the manual's title again: scope, not section.
    let mut t = c
        .section
        .iter()
        .filter(|h| **h != c.title)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    t.push(' ');
    t.push_str(&row.section.heading);
    for b in blocks {
        t.push('\n');
        t.push_str(&b.text);
    }
    Unit { text: t, scope }
}
