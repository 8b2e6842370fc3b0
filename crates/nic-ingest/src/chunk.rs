//! Cutting pages into retrieval chunks.
//!
//! A chunk is what the embedder sees whole and what a citation points at, so it must be
//! (1) at most `max_tokens` as counted by the embedder's own tokenizer — the model truncates
//! beyond that and the tail would be invisible to vector search; (2) within one page, so its
//! page number is exact; (3) one coherent piece of text: split at paragraph, then sentence,
//! boundaries, preferably at section changes, never between a "WARNING"/"Step 3" lead-in and
//! the sentence it introduces.
//!
//! Each page is segmented once into *atoms* (sentences, or lines of a list/table), each
//! counted once with `count_tokens`; packing then only adds numbers. Chunks are verified
//! with one more count each (tokenizers are not perfectly additive) and split if over.

mod segment;

use nic_core::{Chunk, ExtractedDoc, ExtractedPage, SectionPath};
use segment::{segment_page, Atom};

use crate::SourceFile;

/// Chunk sizes, in tokens of the embedding model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkOptions {
    /// Size aimed at.
    pub target_tokens: usize,
    /// Hard ceiling: the embedder's input limit, so every chunk is embedded whole.
    pub max_tokens: usize,
    /// Whole sentences repeated from the end of the previous chunk, up to this many tokens.
    pub overlap_tokens: usize,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        Self {
            target_tokens: 220,
            max_tokens: 256,
            overlap_tokens: 40,
        }
    }
}

/// Cuts `doc` into chunks carrying `src`'s doc path and domain.
pub fn chunk_document(
    doc: &ExtractedDoc,
    src: &SourceFile,
    opts: &ChunkOptions,
    count_tokens: &dyn Fn(&str) -> usize,
) -> Vec<Chunk> {
    let opts = sane(opts);
    let mut chunks = Vec::new();
    let mut carried: SectionPath = Vec::new();
    let mut carried_id = 0u32;
    let blocks = &doc.tree.blocks;
    let mut block_cursor = 0usize;
    for page in &doc.pages {
        // The tree's blocks are in page order: this page's are a contiguous run.
        while block_cursor < blocks.len() && blocks[block_cursor].page < page.number {
            block_cursor += 1;
        }
        let page_end = blocks[block_cursor..]
            .iter()
            .take_while(|b| b.page == page.number)
            .count()
            + block_cursor;
        let ctx = PageCtx {
            page,
            carried: &carried,
            carried_id,
            doc,
            src,
            blocks: (block_cursor, page_end),
        };
        ctx.chunk(&opts, count_tokens, &mut chunks);
        if let Some(m) = page.sections.last() {
            carried = m.path.clone();
            carried_id = m.section;
        }
        block_cursor = page_end;
    }
    chunks
}

fn sane(o: &ChunkOptions) -> ChunkOptions {
    let max_tokens = o.max_tokens.max(8);
    let target_tokens = o.target_tokens.clamp(1, max_tokens);
    ChunkOptions {
        target_tokens,
        max_tokens,
        overlap_tokens: o.overlap_tokens.min(target_tokens / 2),
    }
}

/// A run of atoms `first..=last` becoming one chunk.
#[derive(Debug, Clone, Copy)]
struct Span {
    first: usize,
    last: usize,
    tokens: usize,
    /// Tokens not repeated from the previous chunk.
    fresh: usize,
    /// Started because a new section began (never merged back into the previous chunk).
    by_section: bool,
}

struct PageCtx<'a> {
    page: &'a ExtractedPage,
    carried: &'a SectionPath,
    carried_id: u32,
    doc: &'a ExtractedDoc,
    src: &'a SourceFile,
    /// This page's blocks in `doc.tree.blocks`.
    blocks: (usize, usize),
}

impl PageCtx<'_> {
    fn section_at(&self, offset: usize) -> &SectionPath {
        self.page.section_at(offset).unwrap_or(self.carried)
    }

    fn section_id_at(&self, offset: usize) -> u32 {
        self.page
            .sections
            .iter()
            .take_while(|m| m.offset <= offset)
            .last()
            .map_or(self.carried_id, |m| m.section)
    }

    /// The tree's blocks overlapping bytes `start..end` of this page, as a range of block
    /// ids (empty at the position where such a block would be when none overlaps).
    fn block_range(&self, start: usize, end: usize) -> (u32, u32) {
        let (from, to) = self.blocks;
        let page_blocks = &self.doc.tree.blocks[from..to];
        let first = page_blocks.iter().position(|b| b.end > start);
        match first {
            Some(i) => {
                let n = page_blocks[i..]
                    .iter()
                    .take_while(|b| b.start < end)
                    .count();
                ((from + i) as u32, (from + i + n) as u32)
            }
            None => (to as u32, to as u32),
        }
    }

    fn chunk(&self, o: &ChunkOptions, count: &dyn Fn(&str) -> usize, out: &mut Vec<Chunk>) {
        let atoms = segment_page(self.page, o.max_tokens, count);
        if atoms.is_empty() {
            return;
        }
        let spans = self.pack(&atoms, o);
        let mut cursor = (0usize, 0usize); // (byte, char) for incremental char offsets
        for s in spans {
            self.emit(
                &atoms,
                s.first,
                s.last,
                o.max_tokens,
                count,
                &mut cursor,
                out,
            );
        }
    }

    /// Greedy packing with the boundary preferences described in the module docs.
    fn pack(&self, atoms: &[Atom], o: &ChunkOptions) -> Vec<Span> {
        // A new section starts a new chunk as soon as the current one has a little body of
        // its own: a citation's section path must name the section the text is from.
        let min_section = o.target_tokens / 8;
        let mut spans: Vec<Span> = Vec::new();
        let mut cur = Span::start(0, &atoms[0], false);
        for i in 1..atoms.len() {
            let a = &atoms[i];
            let prev = &atoms[i - 1];
            let section_change = self.section_at(a.start) != self.section_at(prev.start);
            let fits = cur.tokens + a.tokens <= o.max_tokens;
            let close = !fits
                || (section_change && cur.fresh >= min_section)
                || (!prev.glue_next
                    && (cur.tokens + a.tokens > o.target_tokens
                        || (a.para_start && cur.tokens * 4 >= o.target_tokens * 3)));
            if !close {
                cur.push(i, a);
                continue;
            }
            // Keep lead-ins ("WARNING", "Step 3", a heading) with what follows them.
            let mut split = i;
            while split - 1 > cur.first && atoms[split - 1].glue_next {
                split -= 1;
            }
            if split < i {
                let moved: usize = atoms[split..i].iter().map(|a| a.tokens).sum();
                cur.last = split - 1;
                cur.tokens -= moved;
                cur.fresh = cur.fresh.saturating_sub(moved);
                spans.push(cur);
                cur = Span::start(split, &atoms[split], section_change);
                for (j, b) in atoms.iter().enumerate().take(i).skip(split + 1) {
                    cur.push(j, b);
                }
                if cur.tokens + a.tokens <= o.max_tokens {
                    cur.push(i, a);
                    continue;
                }
                spans.push(cur);
                cur = Span::start(i, a, false);
                continue;
            }
            spans.push(cur);
            let overlap_from = if section_change {
                i
            } else {
                self.overlap_start(atoms, &cur, a, o)
            };
            cur = Span::start(overlap_from, &atoms[overlap_from], section_change);
            for (j, b) in atoms.iter().enumerate().take(i + 1).skip(overlap_from + 1) {
                cur.push(j, b);
            }
            cur.fresh = a.tokens; // the overlap atoms were already in the previous chunk
        }
        spans.push(cur);
        // A tiny tail merges into the previous chunk when that stays within the ceiling.
        if spans.len() >= 2 {
            let tail = spans[spans.len() - 1];
            let prev = spans[spans.len() - 2];
            if !tail.by_section
                && tail.fresh * 4 < o.target_tokens
                && prev.tokens + tail.fresh <= o.max_tokens
            {
                let n = spans.len();
                spans[n - 2].last = tail.last;
                spans[n - 2].tokens += tail.fresh;
                spans[n - 2].fresh += tail.fresh;
                spans.pop();
            }
        }
        spans
    }

    /// First atom of the next chunk: whole sentences from the end of `cur` up to the overlap
    /// budget, never the whole of `cur`, and leaving room for `next`.
    fn overlap_start(&self, atoms: &[Atom], cur: &Span, next: &Atom, o: &ChunkOptions) -> usize {
        let next_idx = cur.last + 1;
        let budget = o
            .overlap_tokens
            .min(o.max_tokens.saturating_sub(next.tokens));
        let mut k = next_idx;
        let mut used = 0;
        while k - 1 > cur.first && used + atoms[k - 1].tokens <= budget {
            k -= 1;
            used += atoms[k].tokens;
        }
        // Do not open with the sentence a lead-in introduces while leaving the lead-in out.
        if k < next_idx && k > cur.first && atoms[k - 1].glue_next {
            k += 1;
        }
        // Overlap stays within one section.
        while k < next_idx
            && self.section_at(atoms[k].start) != self.section_at(atoms[cur.last].start)
        {
            k += 1;
        }
        k
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        atoms: &[Atom],
        first: usize,
        last: usize,
        max: usize,
        count: &dyn Fn(&str) -> usize,
        cursor: &mut (usize, usize),
        out: &mut Vec<Chunk>,
    ) {
        let text = &self.page.text;
        let (start, end) = (atoms[first].start, atoms[last].end);
        let body = &text[start..end];
        if first < last && count(body) > max {
            // The tokenizer was not additive here: split the run and check again.
            let mid = first + (last - first) / 2;
            self.emit(atoms, first, mid, max, count, cursor, out);
            self.emit(atoms, mid + 1, last, max, count, cursor, out);
            return;
        }
        // The section of a chunk is the one of its first body text: a chunk that opens with
        // "SECTION 3" immediately followed by "3-1.1 Fluid Specification" is from 3-1.1.
        let mut body_atom = first;
        while body_atom < last && atoms[body_atom].glue_next {
            body_atom += 1;
        }
        let char_start = char_offset(text, cursor, start);
        let char_end = char_start + body.chars().count();
        let (block_start, block_end) = self.block_range(start, end);
        out.push(Chunk {
            doc: self.src.doc.clone(),
            domain: self.src.domain.clone(),
            title: self.doc.title.clone(),
            page: self.page.number,
            section: self.section_at(atoms[body_atom].start).clone(),
            char_start,
            char_end,
            text: body.to_string(),
            section_id: self.section_id_at(atoms[body_atom].start),
            block_start,
            block_end,
        });
    }
}

impl Span {
    fn start(i: usize, a: &Atom, by_section: bool) -> Self {
        Self {
            first: i,
            last: i,
            tokens: a.tokens,
            fresh: a.tokens,
            by_section,
        }
    }

    fn push(&mut self, i: usize, a: &Atom) {
        self.last = i;
        self.tokens += a.tokens;
        self.fresh += a.tokens;
    }
}

/// Character offset of byte `target`, moving a `(byte, char)` cursor from its last position
/// (chunks arrive nearly in order, so the total work is linear in the page length).
fn char_offset(text: &str, cursor: &mut (usize, usize), target: usize) -> usize {
    let (b, c) = *cursor;
    let chars = if target >= b {
        c + text[b..target].chars().count()
    } else {
        c - text[target..b].chars().count()
    };
    *cursor = (target, chars);
    chars
}
