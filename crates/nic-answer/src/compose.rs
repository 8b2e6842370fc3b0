//! Section-level extractive answers: the manual's own blocks, whole and in order.
//!
//! Retrieval ranks chunks; a technician needs the section they came from. So the chunks'
//! sections are ranked (best chunk score, a little for every further chunk of the same
//! section, and how much of the question's object the heading path names), the best one is
//! fetched whole from the document tree, and its blocks are quoted verbatim, shaped by what
//! was asked: every step of a procedure from step 1 with its WARNINGs first; the table row
//! or sentence that carries a value, with its header; a symptom's list of checks; "No — the
//! manual says: …" with the warning for a risky yes/no question.
//!
//! The gate is grounded in the question's object: the part, system or code the question
//! names must appear in the answering section (a typo one or two letters off a word of that
//! section counts, and is reported as a correction), and a word the corpus has never seen
//! ("blinker", "fob") cannot be answered by any section. A second manual enters only as its
//! own labelled block.

use crate::sections::SectionSource;
use crate::text::{content_words, sentence_spans, stem, words};
use nic_core::{Admonition, Block, BlockKind, StoredChunk};
use nic_index::SectionRow;
use nic_retrieve::Hit;
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

const SPEC_WORDS: &[&str] = &[
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
    "truck",
    "car",
    "unit",
    "machine",
    "thing",
    "part",
    "happens",
];

pub fn classify(question: &str) -> QuestionKind {
    let q = format!(" {} ", question.to_lowercase());
    let t = q.trim_start();
    if YESNO_STARTS.iter().any(|s| t.starts_with(s)) {
        return QuestionKind::SafetyYesNo;
    }
    let code =
        words(question).iter().any(|w| is_code(w)) || q.contains(" code") || q.contains(" mean");
    if code {
        return QuestionKind::Code;
    }
    if DIAGNOSIS_WORDS.iter().any(|w| q.contains(w)) {
        return QuestionKind::Diagnosis;
    }
    if SPEC_WORDS.iter().any(|w| q.contains(w)) {
        return QuestionKind::Specification;
    }
    if PROCEDURE_WORDS.iter().any(|w| q.contains(w)) {
        return QuestionKind::Procedure;
    }
    QuestionKind::Other
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

/// One quoted block and where it is from.
#[derive(Debug, Clone)]
pub struct Quote {
    pub doc: String,
    pub block: u32,
    pub page: u32,
    pub text: String,
    pub char_start: usize,
    pub char_end: usize,
}

/// A follow-up the UI offers: another section that fits about as well.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alternative {
    pub heading: String,
    pub doc: String,
    pub title: String,
    pub page: u32,
    pub section: String,
}

/// A composed answer: text with `[n]` markers and, per `n`, the chunk cited with the text
/// actually quoted from it.
#[derive(Debug, Clone)]
pub struct SectionAnswer {
    pub text: String,
    pub cites: Vec<StoredChunk>,
    pub kind: QuestionKind,
    pub alternatives: Vec<Alternative>,
    pub sources_differ: bool,
    /// (as typed, as in the manual) for question words corrected to a section's word.
    pub corrections: Vec<(String, String)>,
    /// Index of the hit whose section answered.
    pub best_hit: usize,
}

pub enum Outcome {
    Answer(Box<SectionAnswer>),
    /// The answering section does not name what the question asks about.
    Ungrounded {
        missing: Vec<String>,
    },
    /// The generation has no document trees (built before them): use chunk answers.
    NoTree,
}

/// Options for one composition.
pub struct Compose<'a> {
    pub question: &'a str,
    pub hits: &'a [Hit],
    pub src: &'a dyn SectionSource,
    /// Whether an analysed word occurs anywhere in the corpus.
    pub seen: &'a dyn Fn(&str) -> bool,
    /// An emergency: only a safety or emergency section may be quoted.
    pub emergency: bool,
}

const BUDGET: usize = 1600;
const PROCEDURE_BUDGET: usize = 2400;

struct Ranked {
    hit: usize,
    doc: String,
    section: u32,
    score: f32,
}

fn rank_sections(question_terms: &[String], hits: &[Hit]) -> Vec<Ranked> {
    let mut out: Vec<Ranked> = Vec::new();
    for (i, h) in hits.iter().enumerate() {
        let c = &h.chunk.chunk;
        if let Some(r) = out
            .iter_mut()
            .find(|r| r.doc == c.doc && r.section == c.section_id)
        {
            r.score += 0.03;
            continue;
        }
        let path_words = content_words(&c.section.join(" "));
        let overlap = if question_terms.is_empty() {
            0.0
        } else {
            question_terms
                .iter()
                .filter(|t| path_words.contains(*t))
                .count() as f32
                / question_terms.len() as f32
        };
        out.push(Ranked {
            hit: i,
            doc: c.doc.clone(),
            section: c.section_id,
            score: h.score + 0.2 * overlap,
        });
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

/// The section and its blocks that answer, widened to the parent when the chunk's own
/// section is only a labelled part of it ("Procedure:" under "Engine Oil Change").
fn answer_unit(
    src: &dyn SectionSource,
    doc: &str,
    id: u32,
    terms: &[String],
) -> Option<(SectionRow, Vec<Block>)> {
    let row = src.section(doc, id)?;
    let blocks = src.blocks(doc, row.section.first_block, row.subtree_end);
    let Some(parent_id) = row.section.parent.filter(|p| *p != 0) else {
        return Some((row, blocks));
    };
    let own_overlap = overlap(terms, &row.section.heading);
    let content = blocks
        .iter()
        .filter(|b| b.kind != BlockKind::Heading)
        .count();
    if own_overlap > 0 && content > 0 {
        return Some((row, blocks));
    }
    let Some(parent) = src.section(doc, parent_id) else {
        return Some((row, blocks));
    };
    let parent_blocks = src.blocks(doc, parent.section.first_block, parent.subtree_end);
    let size: usize = parent_blocks.iter().map(|b| b.text.len()).sum();
    if size <= PROCEDURE_BUDGET && (overlap(terms, &parent.section.heading) > 0 || content == 0) {
        return Some((parent, parent_blocks));
    }
    Some((row, blocks))
}

fn overlap(terms: &[String], text: &str) -> usize {
    let w = content_words(text);
    terms.iter().filter(|t| w.contains(*t)).count()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Which object terms the unit names; typos are matched to the unit's own words.
struct Grounding {
    found: usize,
    missing: Vec<String>,
    unseen_missing: bool,
    corrections: Vec<(String, String)>,
}

fn ground(terms: &[String], unit_text: &str, seen: &dyn Fn(&str) -> bool) -> Grounding {
    let vocab = content_words(unit_text);
    let mut g = Grounding {
        found: 0,
        missing: Vec::new(),
        unseen_missing: false,
        corrections: Vec::new(),
    };
    for t in terms {
        if vocab.contains(t)
            || vocab
                .iter()
                .any(|v| v.starts_with(t.as_str()) && t.len() >= 5)
        {
            g.found += 1;
            continue;
        }
        let limit = match t.chars().count() {
            0..=4 => 0,
            5..=6 => 1,
            _ => 2,
        };
        let close = vocab
            .iter()
            .filter(|v| v.len() >= 4)
            .map(|v| (edit_distance(t, v), v))
            .filter(|(d, _)| *d <= limit)
            .min();
        match close {
            Some((_, v)) => {
                g.found += 1;
                g.corrections.push((t.clone(), v.clone()));
            }
            None => {
                if t.chars().count() >= 4 && !seen(t) {
                    g.unseen_missing = true;
                }
                g.missing.push(t.clone());
            }
        }
    }
    g
}

fn grounded(g: &Grounding, terms: &[String]) -> bool {
    if terms.is_empty() {
        return true;
    }
    !g.unseen_missing && g.found * 2 >= terms.len() && g.found > 0
}

fn unit_text(row: &SectionRow, blocks: &[Block], hit: &Hit) -> String {
    // The manual's title, file name and domain name its subject too ("forklift/...").
    let c = &hit.chunk.chunk;
    let mut t = format!(
        "{} {} {} ",
        c.domain,
        c.doc.replace(['/', '_', '.', '-'], " "),
        c.title
    );
    t.push_str(&hit.chunk.chunk.section.join(" "));
    t.push(' ');
    t.push_str(&row.section.heading);
    for b in blocks {
        t.push('\n');
        t.push_str(&b.text);
    }
    t
}

fn is_safety(b: &Block) -> bool {
    b.kind == BlockKind::Admonition && b.admonition.is_some_and(Admonition::is_safety)
}

const EMERGENCY_WORDS: &[&str] = &[
    "emergency",
    "fire",
    "safety",
    "shutdown",
    "shut",
    "quench",
    "evacuat",
    "leak",
    "shock",
    "spill",
    "smoke",
    "burn",
    "first aid",
    "injur",
    "gas",
    "extinguish",
];

pub fn compose(c: &Compose<'_>) -> Outcome {
    let terms = object_terms(c.question);
    let ranked = rank_sections(&terms, c.hits);
    let Some(best) = ranked.first() else {
        return Outcome::NoTree;
    };
    let Some((row, blocks)) = answer_unit(c.src, &best.doc, best.section, &terms) else {
        return Outcome::NoTree;
    };
    if blocks.is_empty() {
        return Outcome::NoTree;
    }
    let hit = &c.hits[best.hit];
    let g = ground(&terms, &unit_text(&row, &blocks, hit), c.seen);
    if !grounded(&g, &terms) {
        return Outcome::Ungrounded { missing: g.missing };
    }
    if c.emergency {
        let text = unit_text(&row, &blocks, hit).to_lowercase();
        let fits = blocks.iter().any(is_safety) && EMERGENCY_WORDS.iter().any(|w| text.contains(w));
        if !fits {
            return Outcome::Ungrounded {
                missing: vec!["emergency section".into()],
            };
        }
    }
    let kind = classify(c.question);
    let mut out = Renderer::new(c.src);
    let lower = format!(" {} ", c.question.to_lowercase());
    out.risky = RISKY.iter().any(|w| lower.contains(w));
    let title = c
        .src
        .doc_meta(&best.doc)
        .map(|m| m.label())
        .unwrap_or_else(|| hit.chunk.chunk.title.clone());
    let first_quotes = shape(kind, c.question, &terms, &blocks, &row);
    out.section(&row, &title, &first_quotes, kind);

    // A second manual that answers about as well: its own labelled block.
    let mut sources_differ = false;
    let mut used_sections = vec![(best.doc.clone(), row.section.id)];
    if let Some(second) = ranked.iter().skip(1).find(|r| {
        r.doc != best.doc
            && r.score >= best.score * 0.92
            && matches!(
                kind,
                QuestionKind::Specification | QuestionKind::Procedure | QuestionKind::Diagnosis
            )
    }) {
        if let Some((row2, blocks2)) = answer_unit(c.src, &second.doc, second.section, &terms) {
            let g2 = ground(
                &terms,
                &unit_text(&row2, &blocks2, &c.hits[second.hit]),
                c.seen,
            );
            let heading_match = overlap(&terms, &row2.section.heading)
                >= overlap(&terms, &row.section.heading).max(1);
            if grounded(&g2, &terms) && heading_match && g2.found >= g.found {
                let title2 = c
                    .src
                    .doc_meta(&second.doc)
                    .map(|m| m.label())
                    .unwrap_or_else(|| c.hits[second.hit].chunk.chunk.title.clone());
                let q2 = shape(kind, c.question, &terms, &blocks2, &row2);
                if kind == QuestionKind::Specification {
                    sources_differ = values(&first_quotes) != values(&q2)
                        && !values(&first_quotes).is_empty()
                        && !values(&q2).is_empty();
                }
                out.text.push_str("\n\n");
                out.section(&row2, &format!("Also in {title2}"), &q2, kind);
                if sources_differ {
                    out.text
                        .push_str("\nThe manuals give different values: check which one applies to this unit.");
                }
                used_sections.push((second.doc.clone(), row2.section.id));
            }
        }
    }

    let alternatives: Vec<Alternative> = ranked
        .iter()
        .skip(1)
        .filter(|r| r.score >= best.score * 0.85)
        .filter(|r| {
            !used_sections
                .iter()
                .any(|(d, s)| *d == r.doc && *s == r.section)
        })
        .take(3)
        .map(|r| {
            let ch = &c.hits[r.hit].chunk.chunk;
            Alternative {
                heading: ch
                    .section
                    .last()
                    .cloned()
                    .unwrap_or_else(|| ch.title.clone()),
                doc: ch.doc.clone(),
                title: ch.title.clone(),
                page: ch.page,
                section: ch.section_display(),
            }
        })
        .collect();

    Outcome::Answer(Box::new(SectionAnswer {
        text: out.text,
        cites: out.cites,
        kind,
        alternatives,
        sources_differ,
        corrections: g.corrections,
        best_hit: best.hit,
    }))
}

/// Numbers with their units in quoted text ("85-95 ft-lbs", "32 psi"), for comparing two
/// manuals' values.
fn values(quotes: &[Piece]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for p in quotes {
        let w = words(&p.text);
        for pair in w.windows(2) {
            if pair[0].chars().any(|c| c.is_ascii_digit())
                && pair[1]
                    .chars()
                    .all(|c| c.is_alphabetic() || c == '-' || c == '·')
            {
                v.push(format!("{} {}", pair[0], pair[1]));
            }
        }
    }
    v.sort();
    v.dedup();
    v
}

/// A piece to quote: a whole block, or some of its lines (a table's header and rows).
#[derive(Debug, Clone)]
struct Piece {
    block: Block,
    /// Global block id in the document.
    id: u32,
    text: String,
}

fn whole(b: &Block, id: u32) -> Piece {
    Piece {
        block: b.clone(),
        id,
        text: b.text.trim().to_string(),
    }
}

/// The blocks to quote for a question of `kind`.
fn shape(
    kind: QuestionKind,
    _question: &str,
    terms: &[String],
    blocks: &[Block],
    row: &SectionRow,
) -> Vec<Piece> {
    let first = row.section.first_block;
    let indexed: Vec<(u32, &Block)> = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| (first + i as u32, b))
        .filter(|(_, b)| !(b.kind == BlockKind::Heading && b.section == row.section.id))
        .collect();
    let safety: Vec<Piece> = indexed
        .iter()
        .filter(|(_, b)| is_safety(b))
        .map(|(i, b)| whole(b, *i))
        .collect();
    match kind {
        QuestionKind::Procedure => {
            let steps: Vec<usize> = indexed
                .iter()
                .enumerate()
                .filter(|(_, (_, b))| b.kind == BlockKind::Steps)
                .map(|(k, _)| k)
                .collect();
            let (Some(&a), Some(&z)) = (steps.first(), steps.last()) else {
                return everything(&indexed);
            };
            let mut out: Vec<Piece> = safety.clone();
            // The lead-in paragraph just before step 1 (kits, order of work).
            if a > 0 && indexed[a - 1].1.kind == BlockKind::Paragraph {
                out.push(whole(indexed[a - 1].1, indexed[a - 1].0));
            }
            let mut end = z + 1;
            // A notice right after the last step belongs to the procedure.
            while end < indexed.len() && indexed[end].1.kind == BlockKind::Admonition {
                end += 1;
            }
            for (i, b) in &indexed[a..end] {
                if !is_safety(b) || !out.iter().any(|p| p.id == *i) {
                    out.push(whole(b, *i));
                }
            }
            out
        }
        QuestionKind::Specification => {
            let mut lines = value_lines(terms, &indexed);
            if lines.is_empty() {
                return everything(&indexed);
            }
            lines.sort_by(|a, b| b.0.total_cmp(&a.0));
            let top = lines[0].0;
            let mut picked: Vec<Piece> = lines
                .into_iter()
                .filter(|l| l.0 >= top * 0.75)
                .take(3)
                .map(|l| l.1)
                .collect();
            picked.sort_by_key(|p| p.id);
            picked.extend(safety.into_iter().take(1));
            picked
        }
        QuestionKind::SafetyYesNo => {
            if safety.is_empty() {
                let mut lines = value_lines(terms, &indexed);
                if lines.is_empty() {
                    return everything(&indexed);
                }
                lines.sort_by(|a, b| b.0.total_cmp(&a.0));
                return lines.into_iter().take(2).map(|l| l.1).collect();
            }
            let mut out = safety;
            let mut lines = value_lines(terms, &indexed);
            lines.sort_by(|a, b| b.0.total_cmp(&a.0));
            if let Some(l) = lines
                .into_iter()
                .find(|l| !out.iter().any(|p| p.id == l.1.id))
            {
                out.push(l.1);
            }
            out
        }
        QuestionKind::Diagnosis | QuestionKind::Code | QuestionKind::Other => everything(&indexed),
    }
}

fn everything(indexed: &[(u32, &Block)]) -> Vec<Piece> {
    indexed.iter().map(|(i, b)| whole(b, *i)).collect()
}

/// Lines that carry a value: table rows (with their header) and sentences, scored by the
/// question's object words they name and whether they hold a number.
fn value_lines(terms: &[String], indexed: &[(u32, &Block)]) -> Vec<(f32, Piece)> {
    let mut out = Vec::new();
    for (id, b) in indexed {
        match b.kind {
            BlockKind::Table => {
                let mut lines = b.text.lines();
                let header =
                    if b.table.as_ref().is_some_and(|t| !t.header.is_empty()) && !b.continued {
                        lines.next().map(str::to_string)
                    } else {
                        b.table
                            .as_ref()
                            .map(|t| format!("| {} |", t.header.join(" | ")))
                    };
                for line in lines {
                    let t = line.trim();
                    if t.is_empty() || t.chars().all(|c| "|-: ".contains(c)) {
                        continue;
                    }
                    let s = overlap(terms, t) as f32 + digit_bonus(t);
                    if s >= 1.0 {
                        let text = match &header {
                            Some(h) if !h.trim().is_empty() => format!("{}\n{t}", h.trim()),
                            _ => t.to_string(),
                        };
                        out.push((
                            s,
                            Piece {
                                block: (*b).clone(),
                                id: *id,
                                text,
                            },
                        ));
                    }
                }
            }
            BlockKind::Heading | BlockKind::Caption => {}
            _ => {
                for (s, e) in sentence_spans(&b.text) {
                    let t = b.text[s..e].trim();
                    let sc = overlap(terms, t) as f32 + digit_bonus(t);
                    if sc >= 1.0 {
                        out.push((
                            sc,
                            Piece {
                                block: (*b).clone(),
                                id: *id,
                                text: t.to_string(),
                            },
                        ));
                    }
                }
            }
        }
    }
    out
}

fn digit_bonus(t: &str) -> f32 {
    if t.chars().any(|c| c.is_ascii_digit()) {
        0.5
    } else {
        0.0
    }
}

/// Writes quoted pieces with `[n]` per cited chunk.
struct Renderer<'a> {
    src: &'a dyn SectionSource,
    text: String,
    cites: Vec<StoredChunk>,
    /// A yes/no question about an act a safety notice forbids: answered "No".
    risky: bool,
}

impl<'a> Renderer<'a> {
    fn new(src: &'a dyn SectionSource) -> Self {
        Self {
            src,
            text: String::new(),
            cites: Vec::new(),
            risky: false,
        }
    }

    fn cite(&mut self, doc: &str, p: &Piece) -> Option<usize> {
        let chunk = self.src.chunk_covering(doc, p.id)?;
        if let Some(i) = self.cites.iter().position(|c| c.chunk_id == chunk.chunk_id) {
            let c = &mut self.cites[i];
            if !c.chunk.text.contains(&p.text) {
                c.chunk.text.push('\n');
                c.chunk.text.push_str(&p.text);
            }
            c.chunk.char_start = c.chunk.char_start.min(p.block.char_start);
            c.chunk.char_end = c.chunk.char_end.max(p.block.char_end);
            return Some(i + 1);
        }
        let mut c = chunk;
        c.chunk.text = p.text.clone();
        c.chunk.char_start = p.block.char_start;
        c.chunk.char_end = p.block.char_end;
        self.cites.push(c);
        Some(self.cites.len())
    }

    fn section(&mut self, row: &SectionRow, title: &str, pieces: &[Piece], kind: QuestionKind) {
        let budget = if kind == QuestionKind::Procedure {
            PROCEDURE_BUDGET
        } else {
            BUDGET
        };
        let heading = if row.section.heading.is_empty() {
            title.to_string()
        } else {
            format!("{} — {}", row.section.heading, title)
        };
        self.text
            .push_str(&format!("{heading}, p.{}:", row.section.page_start));
        let safety_first = kind == QuestionKind::SafetyYesNo
            && pieces.first().is_some_and(|p| is_safety(&p.block));
        if safety_first {
            self.text.push_str(if self.risky {
                "\nNo — the manual says:"
            } else {
                "\nThe manual says:"
            });
        }
        let start_len = self.text.len();
        for (k, p) in pieces.iter().enumerate() {
            let line_len = p.text.len() + 6;
            if self.text.len() - start_len + line_len > budget && k > 0 {
                self.more(&pieces[k..]);
                break;
            }
            let Some(n) = self.cite(&row.doc, p) else {
                continue;
            };
            self.text.push('\n');
            self.text.push_str(&p.text);
            self.text.push_str(&format!(" [{n}]"));
        }
    }

    /// "continues: steps 9–14, p. 5" for what did not fit.
    fn more(&mut self, rest: &[Piece]) {
        let numbers: Vec<&str> = rest
            .iter()
            .flat_map(|p| p.block.items.iter().filter_map(|i| i.number.as_deref()))
            .collect();
        let page = rest.first().map_or(0, |p| p.block.page);
        match (numbers.first(), numbers.last()) {
            (Some(a), Some(z)) if a != z => self
                .text
                .push_str(&format!("\ncontinues: steps {a}–{z}, p. {page}")),
            (Some(a), _) => self
                .text
                .push_str(&format!("\ncontinues: step {a}, p. {page}")),
            _ => self.text.push_str(&format!("\ncontinues on p. {page}")),
        }
    }
}

#[cfg(test)]
mod tests;
