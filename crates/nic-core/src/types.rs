//! Pipeline data types: what extraction yields, what the chunker cuts, what retrieval returns.
//!
//! Provenance is carried explicitly at every step: a chunk knows its document, its 1-based
//! page number *as extracted*, its section path and its character span in the page text, so a
//! citation can always point at text that was actually used.

use serde::{Deserialize, Serialize};

/// A section heading path such as `["Charging System", "Alternator Test"]`.
pub type SectionPath = Vec<String>;

/// Joins a section path for display: `Charging System > Alternator Test`.
pub fn section_display(path: &[String]) -> String {
    path.join(" > ")
}

/// A section heading that starts at `offset` (a byte offset into the page text) and applies
/// until the next mark on the same page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionMark {
    pub offset: usize,
    pub path: SectionPath,
    /// The section's id in the document's [`crate::doc::DocTree`] (0 = the document root).
    #[serde(default)]
    pub section: u32,
}

/// One page of extracted text. `number` is 1-based and comes from the document itself
/// (PDF page index, `--- PAGE N ---` marker, form feed count); it is never inferred from
/// text position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractedPage {
    pub number: u32,
    /// NFKC-normalised text with paragraphs separated by blank lines.
    pub text: String,
    /// Section marks sorted by offset. The section in force before the first mark is the
    /// last section of the previous page (extractors carry it over).
    pub sections: Vec<SectionMark>,
}

impl ExtractedPage {
    /// The section path in force at byte `offset` of this page's text.
    pub fn section_at(&self, offset: usize) -> Option<&SectionPath> {
        self.sections
            .iter()
            .take_while(|m| m.offset <= offset)
            .last()
            .map(|m| &m.path)
    }
}

/// Everything extracted from one file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtractedDoc {
    pub title: String,
    pub pages: Vec<ExtractedPage>,
    /// Pages that exist in the document but yielded no text (scanned images, blank pages).
    /// They are counted and reported, never silently dropped.
    pub empty_pages: Vec<u32>,
    /// Non-fatal problems worth reporting (fallback extractor used, page failed, ...).
    pub warnings: Vec<String>,
    /// The section tree with typed blocks (sections, steps, tables, warnings).
    #[serde(default)]
    pub tree: crate::doc::DocTree,
}

/// A retrieval unit: about 200–300 tokens of one page, with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// Path relative to the ingested root, with `/` separators: `vehicle/manual.pdf`.
    pub doc: String,
    /// Top-level folder under the ingested root.
    pub domain: String,
    pub title: String,
    /// 1-based page number from extraction.
    pub page: u32,
    pub section: SectionPath,
    /// Character (not byte) offsets of `text` within the page text.
    pub char_start: usize,
    pub char_end: usize,
    pub text: String,
    /// The section of the document tree the chunk's body text is from (0 = the root).
    #[serde(default)]
    pub section_id: u32,
    /// The blocks of the document tree the chunk covers: `block_start..block_end`.
    #[serde(default)]
    pub block_start: u32,
    #[serde(default)]
    pub block_end: u32,
}

impl Chunk {
    pub fn section_display(&self) -> String {
        section_display(&self.section)
    }
}

/// A chunk as stored in a published generation: the chunk plus its ordinal (its row in
/// the vector file and its id in the lexical index) and a stable string id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredChunk {
    pub ordinal: u32,
    /// Stable across generations for unchanged content: `<doc hash prefix>-<page>-<n>`.
    pub chunk_id: String,
    #[serde(flatten)]
    pub chunk: Chunk,
}

/// One scored candidate from a retriever. Scores are on each retriever's own scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredOrdinal {
    pub ordinal: u32,
    pub score: f32,
}
