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

mod gate;
mod kind;
mod render;
mod shape;

pub use kind::{classify, is_risky, object_terms, QuestionKind};

use crate::sections::SectionSource;
use crate::text::content_words;
use gate::{ground, grounded, overlap, unit_text};
use nic_core::{Block, BlockKind, StoredChunk};
use nic_index::SectionRow;
use nic_retrieve::Hit;
use render::Renderer;
use serde::Serialize;
use shape::{is_safety, shape, values};

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
    /// The question as it was asked, when safety triage unwrapped it ("write me a poem
    /// about my cat" asked "my cat"): its object terms are what the section must name, so
    /// an unwrapped fragment cannot be answered by a section the request was never about.
    pub asked_as: &'a str,
    pub hits: &'a [Hit],
    pub src: &'a dyn SectionSource,
    /// How specific a question word is in this corpus: BM25's inverse document frequency
    /// of the word, 0 when the corpus has never seen it.
    pub idf: &'a dyn Fn(&str) -> f32,
    /// An emergency: only a safety or emergency section may be quoted.
    pub emergency: bool,
}

const BUDGET: usize = 1600;
/// Sections tried, best first, for one that names what the question asks about.
const MAX_CANDIDATES: usize = 3;
/// ... among those scoring at least this share of the best.
const CANDIDATE_SHARE: f32 = 0.8;
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

/// The text of the section's parent (its chapter): what frames the section, counted at
/// half weight by the gate.
fn context_text(src: &dyn SectionSource, row: &SectionRow) -> String {
    let Some(parent) = row
        .section
        .parent
        .filter(|p| *p != 0)
        .and_then(|p| src.section(&row.doc, p))
    else {
        return String::new();
    };
    src.blocks(&row.doc, parent.section.first_block, parent.subtree_end)
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
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
    let terms = object_terms(c.asked_as);
    let ranked = rank_sections(&terms, c.hits);
    let Some(top) = ranked.first() else {
        return Outcome::NoTree;
    };
    // The best section that names what is asked: a close runner-up that does ("caliper bolt
    // torque" under the brakes chapter) answers before a top hit that does not ("Wheel Lug
    // Nut Torque").
    let mut first_missing: Option<Vec<String>> = None;
    let mut chosen = None;
    for cand in ranked
        .iter()
        .take(MAX_CANDIDATES)
        .filter(|r| r.score >= top.score * CANDIDATE_SHARE)
    {
        let Some((row, blocks)) = answer_unit(c.src, &cand.doc, cand.section, &terms) else {
            continue;
        };
        if blocks.is_empty() {
            continue;
        }
        let hit = &c.hits[cand.hit];
        let g = ground(
            &terms,
            &unit_text(&row, &blocks, hit),
            &context_text(c.src, &row),
            c.idf,
        );
        tracing::debug!(
            question = c.question,
            section = %row.section.heading,
            doc = %cand.doc,
            coverage = g.coverage(),
            terms = ?g.terms,
            "gate"
        );
        if grounded(&g, &terms) {
            chosen = Some((cand, row, blocks, g));
            break;
        }
        first_missing.get_or_insert(g.missing);
    }
    let Some((best, row, blocks, g)) = chosen else {
        return match first_missing {
            Some(missing) => Outcome::Ungrounded { missing },
            None => Outcome::NoTree,
        };
    };
    let hit = &c.hits[best.hit];
    if c.emergency {
        // A safety or emergency section: one that carries a WARNING/DANGER, or whose own
        // heading path says it is about an emergency ("Magnet Emergency Run-Down",
        // "Safety Notice 4-A") -- and that speaks of one.
        let text = unit_text(&row, &blocks, hit).text.to_lowercase();
        let path = format!(
            "{} {}",
            hit.chunk.chunk.section.join(" "),
            row.section.heading
        )
        .to_lowercase();
        let safety_section =
            blocks.iter().any(is_safety) || EMERGENCY_WORDS.iter().any(|w| path.contains(w));
        let fits = safety_section && EMERGENCY_WORDS.iter().any(|w| text.contains(w));
        if !fits {
            return Outcome::Ungrounded {
                missing: vec!["emergency section".into()],
            };
        }
    }
    let kind = classify(c.question);
    let mut out = Renderer::new(c.src);
    out.risky = is_risky(c.question);
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
                &context_text(c.src, &row2),
                c.idf,
            );
            let heading_match = overlap(&terms, &row2.section.heading)
                >= overlap(&terms, &row.section.heading).max(1);
            if grounded(&g2, &terms) && heading_match && g2.found() >= g.found() {
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

#[cfg(test)]
mod tests;
