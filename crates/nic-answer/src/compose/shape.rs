//! Which of a section's blocks to quote, by what was asked.

use super::gate::overlap;
use super::kind::{asked, states_asked, Asked, QuestionKind};
use crate::text::{sentence_spans, words};
use nic_core::{Admonition, Block, BlockKind};
use nic_index::SectionRow;

pub(super) fn is_safety(b: &Block) -> bool {
    b.kind == BlockKind::Admonition && b.admonition.is_some_and(Admonition::is_safety)
}

/// Numbers with their units in quoted text ("85-95 ft-lbs", "32 psi"), for comparing two
/// manuals' values.
pub(super) fn values(quotes: &[Piece]) -> Vec<String> {
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
pub(super) struct Piece {
    pub block: Block,
    /// Global block id in the document.
    pub id: u32,
    pub text: String,
}

fn whole(b: &Block, id: u32) -> Piece {
    Piece {
        block: b.clone(),
        id,
        text: b.text.trim().to_string(),
    }
}

/// The blocks to quote for a question of `kind`.
pub(super) fn shape(
    kind: QuestionKind,
    question: &str,
    terms: &[String],
    blocks: &[Block],
    row: &SectionRow,
) -> Vec<Piece> {
    let want = Want::of(question, terms);
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
            let mut lines = value_lines(&want, &indexed);
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
                let mut lines = value_lines(&want, &indexed);
                if lines.is_empty() {
                    return everything(&indexed);
                }
                lines.sort_by(|a, b| b.0.total_cmp(&a.0));
                return lines.into_iter().take(2).map(|l| l.1).collect();
            }
            let mut out = safety;
            let mut lines = value_lines(&want, &indexed);
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

/// What a line is scored against: the question's object terms, its other words (stemmed as
/// the index stems them: "replacement" finds "replace"), and the kind of value it asks for.
struct Want<'a> {
    terms: &'a [String],
    stems: Vec<String>,
    asked: Asked,
}

impl<'a> Want<'a> {
    fn of(question: &str, terms: &'a [String]) -> Self {
        let objects: Vec<String> = terms.iter().flat_map(|t| nic_index::analyze(t)).collect();
        let stems = nic_index::query_terms(question)
            .into_iter()
            .filter(|s| s.chars().any(char::is_alphabetic) && !objects.contains(s))
            .collect();
        Self {
            terms,
            stems,
            asked: asked(question),
        }
    }

    /// Object words count 1, other question words 0.5, a value of the asked kind 2, any
    /// number 0.5.
    fn score(&self, line: &str) -> f32 {
        let line_stems: std::collections::HashSet<String> =
            nic_index::analyze(line).into_iter().collect();
        let others = self
            .stems
            .iter()
            .filter(|s| line_stems.contains(*s))
            .count() as f32;
        let value = if states_asked(&self.asked, line) {
            2.0
        } else {
            0.0
        };
        overlap(self.terms, line) as f32 + 0.5 * others + value + digit_bonus(line)
    }
}

/// Lines that carry a value: table rows (with their header) and sentences, scored by
/// [`Want::score`].
fn value_lines(want: &Want<'_>, indexed: &[(u32, &Block)]) -> Vec<(f32, Piece)> {
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
                    let s = want.score(t);
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
                    let sc = want.score(t);
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
