//! What a question asks for, and what it asks about.
//!
//! The kind decides the answer's shape; the object terms decide whether a section answers
//! at all. Phrases match whole words (with their inflections), so "tensioner" is not a
//! question about tension.

use crate::text::{stem, words};
use serde::Serialize;
use std::collections::HashSet;

/// What the question asks for, which decides the answer's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Procedure,
    Specification,
    Diagnosis,
    Code,
    SafetyYesNo,
    Other,
}

pub(super) const SPEC_WORDS: &[&str] = &[
    "torque",
    "capacity",
    "pressure",
    "gap",
    "clearance",
    "voltage",
    "spec",
    "specs",
    "specification",
    "how much",
    "how many",
    "what size",
    "what type",
    "which type",
    "thickness",
    "interval",
    "temperature",
    "psi",
    "rating",
    "limit",
    "setting",
    "resistance",
    "current",
    "amps",
    "how often",
    "how long",
    "how far",
    "how tight",
    "what grade",
    "viscosity",
    "minimum",
    "maximum",
    "range",
    "value",
    "tension",
    "level should",
    "what oil",
    "what fluid",
];
const PROCEDURE_WORDS: &[&str] = &[
    "how do",
    "how to",
    "how should",
    "how can",
    "procedure",
    "steps",
    "replace",
    "install",
    "remove",
    "bleed",
    "adjust",
    "reset",
    "change the",
    "inspect",
    "clean",
    "drain",
    "fill",
    "lubricate",
    "calibrate",
    "mount",
    "test the",
    "perform",
    "rotate",
    "tighten",
    "flush",
    "recharge",
    "start up",
    "shut down",
    "jump",
    "program",
];
const DIAGNOSIS_WORDS: &[&str] = &[
    "won't",
    "wont",
    "will not",
    "doesn't",
    "does not",
    "not working",
    "what should i check",
    "what to check",
    "cause",
    "causes",
    "why",
    "problem",
    "noise",
    "noisy",
    "leak",
    "troubleshoot",
    "symptom",
    "fault",
    "keeps",
    "stopped",
    "dropped",
    "fails",
    "failed",
    "no heat",
    "no cool",
    "not cooling",
    "not heating",
    "overheat",
    "squeal",
    "grind",
    "vibrat",
    "stall",
    "hard start",
    "light is on",
    "light came on",
    "light on",
];
const YESNO_STARTS: &[&str] = &[
    "can i",
    "can we",
    "is it ok",
    "is it okay",
    "is it safe",
    "is it alright",
    "should i",
    "may i",
    "do i need",
    "do i have to",
    "is it fine",
    "could i",
    "am i allowed",
    "must i",
    "is it necessary",
    "can you",
];
/// Acts a safety notice usually forbids: a yes/no question about one is answered "No".
const RISKY: &[&str] = &[
    "skip",
    "ignore",
    "bypass",
    "without",
    "one more",
    "another day",
    "keep driving",
    "keep using",
    "keep running",
    "drive with",
    "run with",
    "operate with",
    "continue",
    "override",
    "disable",
    "exceed",
    "reuse",
    "re-use",
    "jumper",
    "defeat",
    "instead of",
    "mix",
    "while running",
    "while the engine",
    "while it",
    "hot",
    "remove the cap",
    "open the cap",
    "postpone",
    "delay",
    "wait",
    "longer than",
    "more than",
    "less than",
    "above",
    "below",
    "any ",
    "other",
];
/// Question words that name no object: "how do I replace the X" is about X.
const GENERIC: &[&str] = &[
    "how",
    "procedure",
    "step",
    "what",
    "should",
    "check",
    "need",
    "mean",
    "cause",
    "problem",
    "wrong",
    "fix",
    "make",
    "way",
    "proper",
    "correct",
    "right",
    "best",
    "time",
    "ok",
    "okay",
    "safe",
    "happen",
    "normal",
    "spec",
    "specification",
    "value",
    "setting",
    "manual",
    "instruction",
    "guide",
    "know",
    "new",
    "replace",
    "replacement",
    "install",
    "installation",
    "remove",
    "removal",
    "perform",
    "doing",
    "done",
    "work",
    "working",
    "thing",
    "stuff",
    "much",
    "many",
    "often",
    "long",
    "type",
    "kind",
    "good",
    "bad",
    "recommended",
    "required",
    "require",
    "correctly",
    "properly",
    "anything",
    "something",
    "which",
    "there",
    "here",
    "still",
    "just",
    "really",
    "going",
    "want",
    "tell",
    "give",
    "show",
    "find",
    "look",
    "like",
    "okay",
    "fine",
    "allowed",
    "necessary",
    "alright",
    "skip",
    "day",
    "one",
    "more",
    "keep",
    "start",
    "does",
    "did",
    "doe",
    "having",
    "get",
    "got",
    "put",
    "take",
    "try",
    "let",
    "use",
    "used",
    "would",
    "could",
    "might",
    "everything",
    "else",
    "test",
    "inspect",
    "inspection",
    "adjust",
    "clean",
    "mine",
    "our",
    "my",
    "again",
    "first",
    "after",
    "before",
    "now",
    "today",
    "soon",
    "since",
    // What is read off the object, not the object: "seat switch weight to close it".
    "min",
    "max",
    "weight",
    "heavy",
    "thick",
    "deflection",
    "runout",
    "discard",
    "stretch",
    "elongation",
    "width",
    "length",
    "diameter",
    "amperage",
    // Units and amounts are what is read, not what is asked about: "24 volts at R and C".
    "volt",
    "amp",
    "ohm",
    "psi",
    "kpa",
    "degree",
    "percent",
    "hz",
    "rpm",
    "minute",
    "hour",
    "second",
    "week",
    "weekend",
    "month",
    "year",
    "mile",
    // Conversation, not objects: "the truck won't fire but the starter spins".
    "but",
    "won",
    "wont",
    "dont",
    "don",
    "isn",
    "doesn",
    "didn",
    "some",
    "every",
    "went",
    "away",
    "bit",
    "lot",
    "little",
    "even",
    "ever",
    "next",
    "last",
    "whole",
    "able",
    "tried",
    "trying",
    "seems",
    "seem",
    "instead",
    "same",
    "equal",
    "equals",
    "true",
    "complete",
    "answer",
    "change",
    "changing",
    "swap",
    "swapping",
    "reset",
    "connect",
    "hook",
    "hooking",
    "set",
    "do",
    // What is asked of the object, not the object: "caliper bolt torque" is about bolts.
    "voltage",
    "torque",
    "pressure",
    "capacity",
    "temperature",
    "thickness",
    "size",
    "interval",
    "rating",
    "level",
    "amount",
    "clearance",
    "gap",
    "limit",
    "minimum",
    "maximum",
    "range",
    "tension",
    "resistance",
    "current",
    "reading",
    "output",
    "quantity",
    "number",
    "go",
    "goe",
    "goes",
    "swap",
    "put",
    "unit",
    "machine",
    "thing",
    "part",
    "happens",
];

pub fn classify(question: &str) -> QuestionKind {
    let q = normalized(question);
    let t = q.trim_start();
    if YESNO_STARTS.iter().any(|s| t.starts_with(&format!("{s} "))) {
        return QuestionKind::SafetyYesNo;
    }
    let code = words(question).iter().any(|w| is_code(w))
        || has_phrase(&q, "code")
        || has_phrase(&q, "mean");
    if code {
        return QuestionKind::Code;
    }
    if DIAGNOSIS_WORDS.iter().any(|w| has_phrase(&q, w)) {
        return QuestionKind::Diagnosis;
    }
    if SPEC_WORDS.iter().any(|w| has_phrase(&q, w)) {
        return QuestionKind::Specification;
    }
    if PROCEDURE_WORDS.iter().any(|w| has_phrase(&q, w)) {
        return QuestionKind::Procedure;
    }
    QuestionKind::Other
}

/// A yes/no question about an act a safety notice usually forbids.
pub fn is_risky(question: &str) -> bool {
    let q = normalized(question);
    RISKY.iter().any(|w| has_phrase(&q, w))
}

/// The question lowercased, its words separated by single spaces, padded with a space.
fn normalized(question: &str) -> String {
    let mut out = String::from(" ");
    for c in question.chars().flat_map(char::to_lowercase) {
        let c = if c == '\u{2019}' { '\'' } else { c };
        if c.is_alphanumeric() || c == '\'' || c == '-' {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// Endings a vocabulary word may carry and still be the same word: "gaps", "leaking",
/// "vibration" (from "vibrat"), "caused" -- but not "tensioner" for "tension".
const INFLECTIONS: &[&str] = &[
    "", "s", "es", "d", "ed", "ing", "e", "ion", "ions", "y", "age",
];

/// Whether `phrase` occurs in `norm` (from [`normalized`]) starting at a word, and ending
/// at a word end or after one of the [`INFLECTIONS`].
fn has_phrase(norm: &str, phrase: &str) -> bool {
    let phrase = phrase.trim();
    if phrase.is_empty() {
        return false;
    }
    let needle = format!(" {phrase}");
    let mut from = 0;
    while let Some(i) = norm[from..].find(&needle) {
        let end = from + i + needle.len();
        let tail = &norm[end..];
        let word_rest = tail.split(' ').next().unwrap_or("");
        if INFLECTIONS.contains(&word_rest) {
            return true;
        }
        from = from + i + 1;
    }
    false
}

/// `p0420`, `e4`, `f07`: a fault or trouble code.
fn is_code(w: &str) -> bool {
    let mut chars = w.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let rest: String = chars.collect();
    first.is_ascii_alphabetic()
        && (2..=5).contains(&rest.len())
        && rest.chars().all(|c| c.is_ascii_digit())
}

/// The question's object: its content words that are not question words.
pub fn object_terms(question: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    words(question)
        .into_iter()
        .filter(|w| !crate::text::is_stop(w) && w.chars().any(char::is_alphabetic))
        .map(|w| stem(&w))
        .filter(|w| !GENERIC.contains(&w.as_str()) && w.len() >= 2)
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

/// Whether a word the corpus has never seen is one of the question words that name no
/// object, mistyped: "torqe" is "torque", not a part.
pub(super) fn is_generic_typo(w: &str) -> bool {
    w.chars().count() >= 5
        && GENERIC
            .iter()
            .any(|g| g.len() >= 5 && crate::text::edit_distance(w, g) <= 1)
}

/// What kind of value a specification question asks for, by the canonical units of
/// [`crate::text::canonical_unit`] that can carry it ("torque" is read in ft-lb, in-lb or
/// N·m) — so the sentence or row that holds such a value is quoted, not the one that merely
/// names the part.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Asked {
    pub units: Vec<&'static str>,
    /// A how-often question: "every 2,000 hours", "once a year", "daily".
    pub interval: bool,
}

const ASKED: &[(&[&str], &[&str])] = &[
    (
        &["torque", "tighten", "how tight"],
        &["ft-lb", "in-lb", "nm"],
    ),
    (&["pressure", "psi", "vacuum"], &["psi", "kpa", "bar"]),
    (&["voltage", "volt", "charging"], &["v"]),
    (&["current", "amp", "draw", "amperage"], &["a"]),
    (
        &["temperature", "temp", "degree", "hot", "cold"],
        &["f", "c"],
    ),
    (
        &[
            "thickness",
            "thick",
            "gap",
            "clearance",
            "deflection",
            "runout",
            "discard",
            "wear limit",
            "stretch",
            "elongation",
            "width",
            "length",
            "diameter",
        ],
        &["mm", "in"],
    ),
    (
        &["capacity", "how much", "fill", "quantity"],
        &["qt", "l", "ml", "oz"],
    ),
    (&["resistance", "ohm"], &["ohm"]),
    (&["weight", "heavy", "load"], &["lb", "kg"]),
    (&["frequency"], &["hz"]),
    (&["rpm", "speed", "idle"], &["rpm"]),
];

const INTERVAL_WORDS: &[&str] = &[
    "how often",
    "interval",
    "how long",
    "when should",
    "when do",
    "when to",
    "schedule",
    "frequency",
];

pub fn asked(question: &str) -> Asked {
    let q = normalized(question);
    let mut a = Asked::default();
    for (words, units) in ASKED {
        if words.iter().any(|w| has_phrase(&q, w)) {
            for u in *units {
                if !a.units.contains(u) {
                    a.units.push(u);
                }
            }
        }
    }
    a.interval = INTERVAL_WORDS.iter().any(|w| has_phrase(&q, w));
    a
}

/// Whether a sentence or row states a value of the kind asked for.
pub fn states_asked(asked: &Asked, text: &str) -> bool {
    let units_hit = crate::text::quantities(text)
        .iter()
        .any(|q| q.unit.as_deref().is_some_and(|u| asked.units.contains(&u)));
    let interval_hit = asked.interval && {
        let t = normalized(text);
        [
            "every", "daily", "weekly", "monthly", "annually", "yearly", "once a", "each", "hours",
            "months", "years", "miles", "days", "shift",
        ]
        .iter()
        .any(|w| has_phrase(&t, w))
    };
    units_hit || interval_hit
}
