//! The document model: a manual as a tree of sections holding typed blocks.
//!
//! A technician checks a citation against the page, so the unit of provenance is what the
//! manual itself prints: the heading (with its number, `Para 3-2.1`), the steps of a
//! procedure with their numbers, a table row under its header, a WARNING with its text.
//! Chunks are cut for retrieval, but each one points back into this tree (its section and
//! the range of blocks it covers), so an answer can quote the whole section — every step,
//! the warnings first — instead of the fragment that happened to rank.
//!
//! Layout: `sections` in document order (pre-order), `sections[0]` the document root (level
//! 0, no heading). `blocks` in document order; each section owns a contiguous range of them,
//! and a section with its subsections owns the contiguous range up to
//! [`DocTree::subtree_end`]. A block never spans pages: a procedure or table that continues
//! on the next page is a second block with `continued = true` (a table's continuation
//! keeps its header). Byte and char offsets are into the page text as extracted.

use serde::{Deserialize, Serialize};

/// What a document states about itself (title page, running header, PDF metadata).
/// Fields are recorded only when printed; never guessed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocMeta {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Models, serial ranges or vehicles covered, as printed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<String>,
}

impl DocMeta {
    /// One line for a citation: `TM 9-2320 (Revision C, 15 MARCH 2024; M1290A1)`.
    pub fn label(&self) -> String {
        let mut extra: Vec<String> = Vec::new();
        if let Some(r) = &self.revision {
            extra.push(r.clone());
        }
        if let Some(d) = &self.date {
            extra.push(d.clone());
        }
        let mut s = self.title.clone();
        if !extra.is_empty() {
            s.push_str(&format!(" ({})", extra.join(", ")));
        }
        s
    }
}

/// Safety notices, by the word that opens them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Admonition {
    Danger,
    Warning,
    Caution,
    SafetyNotice,
    Important,
    Note,
}

impl Admonition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Danger => "DANGER",
            Self::Warning => "WARNING",
            Self::Caution => "CAUTION",
            Self::SafetyNotice => "Safety Notice",
            Self::Important => "IMPORTANT",
            Self::Note => "NOTE",
        }
    }

    /// DANGER, WARNING, CAUTION and Safety Notices protect people or equipment; a NOTE or
    /// IMPORTANT is advice.
    pub fn is_safety(self) -> bool {
        matches!(
            self,
            Self::Danger | Self::Warning | Self::Caution | Self::SafetyNotice
        )
    }
}

/// The kinds of block a section holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// The heading line itself (first block of every section but the root).
    Heading,
    Paragraph,
    /// An ordered list: procedure steps, numbered causes.
    Steps,
    Bullets,
    Table,
    Admonition,
    /// A figure or diagram caption.
    Caption,
}

impl BlockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Heading => "heading",
            Self::Paragraph => "paragraph",
            Self::Steps => "steps",
            Self::Bullets => "bullets",
            Self::Table => "table",
            Self::Admonition => "admonition",
            Self::Caption => "caption",
        }
    }
}

/// One list item or step: its printed number or marker (`3`, `b`, `-`) and text, with
/// sub-items (`a.`, `b.` under step 3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub: Vec<Item>,
}

/// A table: header row and body rows (each row addressable on its own).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    #[serde(default)]
    pub header: Vec<String>,
    #[serde(default)]
    pub rows: Vec<Vec<String>>,
}

/// A block of one section on one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub kind: BlockKind,
    pub section: u32,
    pub page: u32,
    /// Byte range in the page text.
    pub start: usize,
    pub end: usize,
    /// Char range in the page text (what chunks and citations use).
    pub char_start: usize,
    pub char_end: usize,
    /// The block's text, verbatim from the page.
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admonition: Option<Admonition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Item>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Table>,
    /// Continues the previous block of the same kind from an earlier page.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub continued: bool,
}

/// How a heading was recognised (for `nic outline` and for ranking its reliability).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadingSource {
    /// The document root.
    Document,
    /// Markdown `#`.
    Markdown,
    /// HTML `h1`–`h6`.
    Html,
    /// The PDF's outline (bookmarks).
    Outline,
    /// A numbered or keyword heading line (`SECTION 3`, `3.2 Pads`, `Para 3-2`).
    Numbered,
    /// An ALL-CAPS, bold or larger line standing alone.
    Styled,
}

/// A section: heading as printed, its number, level and page span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub id: u32,
    pub parent: Option<u32>,
    /// Depth in the tree: 0 for the root, 1 for top-level headings.
    pub level: u8,
    /// `SECTION 3`, `Para 3-2`, `3-2.1`, `Table 7-1` ... when the heading is numbered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The heading text as printed (empty for the root).
    pub heading: String,
    pub source: HeadingSource,
    /// Page the heading is printed on, and the last page of the section's own blocks.
    pub page_start: u32,
    pub page_end: u32,
    /// This section's own blocks: `blocks[first_block..end_block]`.
    pub first_block: u32,
    pub end_block: u32,
}

/// A whole document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocTree {
    pub meta: DocMeta,
    pub sections: Vec<Section>,
    pub blocks: Vec<Block>,
}

impl DocTree {
    pub fn section(&self, id: u32) -> Option<&Section> {
        self.sections.get(id as usize)
    }

    /// Headings from the top down to `id` (the root excluded): the citation's section path.
    pub fn path(&self, id: u32) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = self.section(id);
        while let Some(s) = cur {
            if s.parent.is_none() {
                break;
            }
            out.push(s.heading.clone());
            cur = s.parent.and_then(|p| self.section(p));
        }
        out.reverse();
        out
    }

    /// One past the last block of `id` and all its subsections.
    pub fn subtree_end(&self, id: u32) -> u32 {
        let Some(s) = self.section(id) else {
            return 0;
        };
        let mut end = s.end_block;
        for later in self.sections.iter().skip(id as usize + 1) {
            if later.level <= s.level {
                break;
            }
            end = end.max(later.end_block);
        }
        end
    }

    /// Headings (root excluded), for outlines.
    pub fn headings(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter().filter(|s| s.parent.is_some())
    }

    /// Counts per block kind, and the number of safety admonitions.
    pub fn counts(&self) -> StructureCounts {
        let mut c = StructureCounts {
            sections: self.headings().count(),
            ..Default::default()
        };
        for b in &self.blocks {
            if b.continued {
                continue;
            }
            match b.kind {
                BlockKind::Table => c.tables += 1,
                BlockKind::Steps => c.procedures += 1,
                BlockKind::Admonition if b.admonition.is_some_and(Admonition::is_safety) => {
                    c.warnings += 1
                }
                _ => {}
            }
        }
        c
    }
}

/// What `nic ingest` reports per document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StructureCounts {
    pub sections: usize,
    pub tables: usize,
    pub procedures: usize,
    pub warnings: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sec(id: u32, parent: Option<u32>, level: u8, heading: &str, blocks: (u32, u32)) -> Section {
        Section {
            id,
            parent,
            level,
            number: None,
            heading: heading.into(),
            source: HeadingSource::Numbered,
            page_start: 1,
            page_end: 1,
            first_block: blocks.0,
            end_block: blocks.1,
        }
    }

    #[test]
    fn paths_and_subtrees() {
        let t = DocTree {
            meta: DocMeta::default(),
            sections: vec![
                sec(0, None, 0, "", (0, 0)),
                sec(1, Some(0), 1, "SECTION 3", (0, 2)),
                sec(2, Some(1), 2, "Para 3-2", (2, 5)),
                sec(3, Some(2), 3, "3-2.1", (5, 7)),
                sec(4, Some(0), 1, "SECTION 4", (7, 9)),
            ],
            blocks: vec![],
        };
        assert_eq!(t.path(3), vec!["SECTION 3", "Para 3-2", "3-2.1"]);
        assert!(t.path(0).is_empty());
        assert_eq!(t.subtree_end(1), 7);
        assert_eq!(t.subtree_end(3), 7);
        assert_eq!(t.subtree_end(4), 9);
    }
}
