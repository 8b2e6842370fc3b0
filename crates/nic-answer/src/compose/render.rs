//! Writes the quoted pieces with a `[n]` per cited chunk, within the answer budget.

use super::kind::QuestionKind;
use super::shape::{is_safety, Piece};
use super::{BUDGET, PROCEDURE_BUDGET};
use crate::sections::SectionSource;
use nic_core::StoredChunk;
use nic_index::SectionRow;

/// Writes quoted pieces with `[n]` per cited chunk.
pub(super) struct Renderer<'a> {
    src: &'a dyn SectionSource,
    pub text: String,
    pub cites: Vec<StoredChunk>,
    /// A yes/no question about an act a safety notice forbids: answered "No".
    pub risky: bool,
}

impl<'a> Renderer<'a> {
    pub fn new(src: &'a dyn SectionSource) -> Self {
        Self {
            src,
            text: String::new(),
            cites: Vec::new(),
            risky: false,
        }
    }

    fn cite(&mut self, doc: &str, p: &Piece) -> Option<usize> {
        let chunk = self.src.chunk_covering(doc, p.id)?;
        // One citation per chunk and section: a chunk that starts in one section and runs
        // into the next is cited with the section of the text actually quoted.
        if let Some(i) = self
            .cites
            .iter()
            .position(|c| c.chunk_id == chunk.chunk_id && c.chunk.section_id == p.block.section)
        {
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
        if c.chunk.section_id != p.block.section {
            c.chunk.section = self.src.path(doc, p.block.section);
            c.chunk.section_id = p.block.section;
        }
        c.chunk.page = p.block.page;
        c.chunk.text = p.text.clone();
        c.chunk.char_start = p.block.char_start;
        c.chunk.char_end = p.block.char_end;
        self.cites.push(c);
        Some(self.cites.len())
    }

    pub fn section(&mut self, row: &SectionRow, title: &str, pieces: &[Piece], kind: QuestionKind) {
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
