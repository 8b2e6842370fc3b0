//! The seam between answers and the stored document trees.
//!
//! Composition needs three things from a corpus: a section by id (with the end of its
//! subtree), a run of blocks, and the chunk that covers a block (the citable unit). The
//! published generation serves them from `chunks.sqlite`; [`MemorySections`] serves them
//! from trees held in memory, so composition is unit-tested on small hand-made manuals.

use nic_core::{Block, DocMeta, DocTree, StoredChunk};
use nic_index::{Generation, SectionRow};

pub trait SectionSource: Send + Sync {
    fn section(&self, doc: &str, id: u32) -> Option<SectionRow>;
    fn blocks(&self, doc: &str, first: u32, end: u32) -> Vec<Block>;
    fn doc_meta(&self, doc: &str) -> Option<DocMeta>;
    /// The chunk that covers `block`, to cite it by.
    fn chunk_covering(&self, doc: &str, block: u32) -> Option<StoredChunk>;

    /// Headings from the top down to section `id` (the root excluded): a citation's path.
    fn path(&self, doc: &str, id: u32) -> Vec<String> {
        let mut out = Vec::new();
        let mut next = Some(id);
        // A tree is at most a few levels deep; the bound keeps a damaged one finite.
        for _ in 0..64 {
            let Some(row) = next.and_then(|i| self.section(doc, i)) else {
                break;
            };
            if row.section.level == 0 {
                break;
            }
            out.push(row.section.heading.clone());
            next = row.section.parent;
        }
        out.reverse();
        out
    }
}

impl SectionSource for Generation {
    fn section(&self, doc: &str, id: u32) -> Option<SectionRow> {
        Generation::section(self, doc, id).ok().flatten()
    }
    fn blocks(&self, doc: &str, first: u32, end: u32) -> Vec<Block> {
        Generation::blocks(self, doc, first, end).unwrap_or_default()
    }
    fn doc_meta(&self, doc: &str) -> Option<DocMeta> {
        Generation::doc_meta(self, doc).ok().flatten()
    }
    fn chunk_covering(&self, doc: &str, block: u32) -> Option<StoredChunk> {
        Generation::chunk_covering(self, doc, block).ok().flatten()
    }
}

/// Trees in memory, by document path (tests).
#[derive(Default)]
pub struct MemorySections {
    pub docs: Vec<(String, DocTree)>,
}

impl MemorySections {
    fn tree(&self, doc: &str) -> Option<&DocTree> {
        self.docs.iter().find(|(d, _)| d == doc).map(|(_, t)| t)
    }
}

impl SectionSource for MemorySections {
    fn section(&self, doc: &str, id: u32) -> Option<SectionRow> {
        let t = self.tree(doc)?;
        Some(SectionRow {
            doc: doc.to_string(),
            section: t.section(id)?.clone(),
            subtree_end: t.subtree_end(id),
        })
    }
    fn blocks(&self, doc: &str, first: u32, end: u32) -> Vec<Block> {
        self.tree(doc)
            .and_then(|t| {
                t.blocks
                    .get(first as usize..(end as usize).min(t.blocks.len()))
            })
            .map(<[Block]>::to_vec)
            .unwrap_or_default()
    }
    fn doc_meta(&self, doc: &str) -> Option<DocMeta> {
        self.tree(doc).map(|t| t.meta.clone())
    }
    fn chunk_covering(&self, doc: &str, block: u32) -> Option<StoredChunk> {
        let t = self.tree(doc)?;
        let b = t.blocks.get(block as usize)?;
        Some(StoredChunk {
            ordinal: block,
            chunk_id: format!("{doc}-b{block}"),
            chunk: nic_core::Chunk {
                doc: doc.to_string(),
                domain: String::new(),
                title: t.meta.title.clone(),
                page: b.page,
                section: t.path(b.section),
                char_start: b.char_start,
                char_end: b.char_end,
                text: b.text.clone(),
                section_id: b.section,
                block_start: block,
                block_end: block + 1,
            },
        })
    }
}
