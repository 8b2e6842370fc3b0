//! The typed blocks between headings: paragraphs, steps, bullets, tables, safety notices
//! and captions, each with exact byte and char spans in its page.
//!
//! Lines are grouped by what opens them: a step marker (`3.`, `Step 3`) opens an item of a
//! steps block and the lines after it continue that item; a lettered marker (`a.`, `(b)`)
//! under a step is a sub-step; `WARNING`/`CAUTION`/`NOTE` opens a notice that runs to the
//! next blank line or structural line; `|` rows make a table whose first row is its header.
//! A steps or table block that continues on the next page, in the same section, is marked
//! `continued` — a table's continuation keeps its header (a repeated header row is dropped).

use super::fold;
use crate::headings::{admonition_word, is_caption, is_item, is_table_row, strip_emphasis};
use nic_core::{Admonition, Block, BlockKind, ExtractedDoc, Item, Table};
use once_cell::sync::Lazy;
use regex::Regex;

static STEP: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^(?:(?i:step)\s+(\d{1,3})[.:)]?|(\d{1,3})[.)])(?:\s+|$)(.*)$")
        .expect("static regex")
});
static SUB: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^(?:([a-z])[.)]|\(([a-z0-9]{1,3})\))\s+(.*)$").expect("static regex")
});
static BULLET: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^[-*•·▪◦–○●■□➢✓]\s+(.*)$").expect("static regex"));
static TABLE_SEP: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$").expect("static regex"));

/// What one line is, for grouping.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Step(String, String),
    Sub(String, String),
    Bullet(String),
    Row(Vec<String>),
    Sep,
    Notice(Admonition),
    Caption,
    Text,
}

fn kind_of(t: &str, in_steps: bool) -> Kind {
    if TABLE_SEP.is_match(t) && t.contains('-') && t.contains('|') {
        return Kind::Sep;
    }
    if is_table_row(t) {
        return Kind::Row(cells(t));
    }
    if let Some(word) = admonition_word(t) {
        return Kind::Notice(match word {
            "DANGER" => Admonition::Danger,
            "WARNING" | "WARNINGS" => Admonition::Warning,
            "CAUTION" => Admonition::Caution,
            "IMPORTANT" => Admonition::Important,
            _ => Admonition::Note,
        });
    }
    if t.starts_with("Safety Notice") || t.starts_with("SAFETY NOTICE") {
        return Kind::Notice(Admonition::SafetyNotice);
    }
    if is_caption(t) {
        return Kind::Caption;
    }
    if let Some(c) = SUB.captures(t) {
        let n = c.get(1).or(c.get(2)).map_or("", |m| m.as_str());
        // "a." under a step is a sub-step; a lettered list on its own is a steps list.
        if in_steps {
            return Kind::Sub(n.to_string(), strip_emphasis(&c[3]));
        }
        return Kind::Step(n.to_string(), strip_emphasis(&c[3]));
    }
    if let Some(c) = STEP.captures(t) {
        let n = c.get(1).or(c.get(2)).map_or("", |m| m.as_str());
        return Kind::Step(n.to_string(), strip_emphasis(&c[3]));
    }
    if let Some(c) = BULLET.captures(t) {
        return Kind::Bullet(strip_emphasis(&c[1]));
    }
    if is_item(t) {
        return Kind::Bullet(strip_emphasis(t));
    }
    Kind::Text
}

/// A short line of digits and dashes alone: a printed page label.
fn page_label(t: &str) -> bool {
    t.chars().count() <= 12
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars().all(|c| c.is_ascii_digit() || "-–./ ".contains(c))
}

fn cells(t: &str) -> Vec<String> {
    let t = t.trim().trim_start_matches('|').trim_end_matches('|');
    t.split('|').map(|c| strip_emphasis(c.trim())).collect()
}

/// A block under construction.
struct Open {
    kind: BlockKind,
    page: usize,
    start: usize,
    end: usize,
    admonition: Option<Admonition>,
    items: Vec<Item>,
    rows: Vec<Vec<String>>,
    /// The previous line ended a paragraph (blank line after it).
    gap_after: bool,
}

/// Fills `doc.tree.blocks` and the sections' block ranges and page spans. `headings` are
/// the (page index, line start) of each section's heading, in section order (id = i + 1);
/// `lines` are (page index, start, end, skip) of every non-blank line.
pub(super) fn fill_blocks(
    doc: &mut ExtractedDoc,
    headings: &[(usize, usize)],
    lines: &[(usize, usize, usize, usize)],
) {
    let mut blocks: Vec<Block> = Vec::new();
    let mut section: u32 = 0;
    let mut next_heading = 0;
    let mut open: Option<Open> = None;
    let mut prev_end: Option<(usize, usize)> = None;
    for &(page, start, end, skip) in lines {
        if skip == 1 {
            continue;
        }
        let text = &doc.pages[page].text[start..end];
        if page_label(text) {
            continue; // "0001-3", "2-14": the page's own label, not content
        }
        let blank_before = prev_end.is_some_and(|(p, e)| p == page && start > e + 1);
        prev_end = Some((page, end));
        if headings.get(next_heading) == Some(&(page, start)) {
            close(&mut open, &mut blocks, doc, section);
            section = next_heading as u32 + 1;
            next_heading += 1;
            open = Some(new_open(BlockKind::Heading, page, start, end));
            close(&mut open, &mut blocks, doc, section);
            continue;
        }
        let in_steps = open
            .as_ref()
            .is_some_and(|o| o.kind == BlockKind::Steps && !o.items.is_empty());
        let kind = kind_of(text, in_steps);
        let page_changed = open.as_ref().is_some_and(|o| o.page != page);
        if page_changed {
            close(&mut open, &mut blocks, doc, section);
        }
        match kind {
            Kind::Step(n, t) => {
                if !matches!(&open, Some(o) if o.kind == BlockKind::Steps) {
                    close(&mut open, &mut blocks, doc, section);
                    open = Some(new_open(BlockKind::Steps, page, start, end));
                }
                if let Some(o) = open.as_mut() {
                    o.items.push(Item {
                        number: Some(n),
                        text: t,
                        sub: Vec::new(),
                    });
                    o.end = end;
                    o.gap_after = false;
                }
            }
            Kind::Sub(n, t) => {
                if let Some(o) = open.as_mut() {
                    if let Some(last) = o.items.last_mut() {
                        last.sub.push(Item {
                            number: Some(n),
                            text: t,
                            sub: Vec::new(),
                        });
                    }
                    o.end = end;
                    o.gap_after = false;
                }
            }
            Kind::Bullet(t) => {
                let continues = matches!(&open, Some(o) if o.kind == BlockKind::Bullets
                    || (o.kind == BlockKind::Steps && !o.items.is_empty() && !blank_before));
                if !continues {
                    close(&mut open, &mut blocks, doc, section);
                    open = Some(new_open(BlockKind::Bullets, page, start, end));
                }
                if let Some(o) = open.as_mut() {
                    if o.kind == BlockKind::Steps {
                        if let Some(last) = o.items.last_mut() {
                            last.sub.push(Item {
                                number: None,
                                text: t,
                                sub: Vec::new(),
                            });
                        }
                    } else {
                        o.items.push(Item {
                            number: None,
                            text: t,
                            sub: Vec::new(),
                        });
                    }
                    o.end = end;
                }
            }
            Kind::Row(c) => {
                if !matches!(&open, Some(o) if o.kind == BlockKind::Table) {
                    close(&mut open, &mut blocks, doc, section);
                    open = Some(new_open(BlockKind::Table, page, start, end));
                }
                if let Some(o) = open.as_mut() {
                    o.rows.push(c);
                    o.end = end;
                }
            }
            Kind::Sep => {
                if let Some(o) = open.as_mut() {
                    o.end = end;
                }
            }
            Kind::Notice(a) => {
                close(&mut open, &mut blocks, doc, section);
                let mut o = new_open(BlockKind::Admonition, page, start, end);
                o.admonition = Some(a);
                open = Some(o);
            }
            Kind::Caption => {
                close(&mut open, &mut blocks, doc, section);
                open = Some(new_open(BlockKind::Caption, page, start, end));
                close(&mut open, &mut blocks, doc, section);
            }
            Kind::Text => {
                let joins = match &open {
                    Some(o) => match o.kind {
                        BlockKind::Paragraph => !blank_before,
                        BlockKind::Admonition => !blank_before || o.start == o.end_line_start(),
                        // A wrapped step or bullet continues on the next line.
                        BlockKind::Steps | BlockKind::Bullets => !blank_before,
                        _ => false,
                    },
                    None => false,
                };
                if joins {
                    if let Some(o) = open.as_mut() {
                        o.end = end;
                        if let Some(last) = o.items.last_mut() {
                            let target = if last.sub.is_empty() {
                                last
                            } else {
                                let n = last.sub.len() - 1;
                                &mut last.sub[n]
                            };
                            if !target.text.is_empty() {
                                target.text.push(' ');
                            }
                            target.text.push_str(&strip_emphasis(text));
                        }
                    }
                } else {
                    close(&mut open, &mut blocks, doc, section);
                    open = Some(new_open(BlockKind::Paragraph, page, start, end));
                }
            }
        }
        if let Some(o) = open.as_mut() {
            o.gap_after = false;
        }
    }
    close(&mut open, &mut blocks, doc, section);
    assign(doc, blocks);
}

impl Open {
    /// For a notice: whether it is still only its lead-in line ("WARNING" alone), which the
    /// next paragraph completes even after a blank line.
    fn end_line_start(&self) -> usize {
        self.start
    }
}

fn new_open(kind: BlockKind, page: usize, start: usize, end: usize) -> Open {
    Open {
        kind,
        page,
        start,
        end,
        admonition: None,
        items: Vec::new(),
        rows: Vec::new(),
        gap_after: false,
    }
}

fn close(open: &mut Option<Open>, blocks: &mut Vec<Block>, doc: &ExtractedDoc, section: u32) {
    let Some(o) = open.take() else { return };
    let page = &doc.pages[o.page];
    let text = page.text[o.start..o.end].to_string();
    let char_start = page.text[..o.start].chars().count();
    let char_end = char_start + text.chars().count();
    let prev = blocks.last().filter(|b| b.section == section);
    let continued = prev.is_some_and(|p| {
        p.kind == o.kind
            && p.page != page.number
            && matches!(
                o.kind,
                BlockKind::Steps | BlockKind::Table | BlockKind::Bullets
            )
            && blocks_on_page_in_section(blocks, page.number, section) == 0
    });
    let table = (o.kind == BlockKind::Table).then(|| {
        let mut rows = o.rows;
        let prev_header = prev
            .filter(|_| continued)
            .and_then(|p| p.table.as_ref())
            .map(|t| t.header.clone());
        match prev_header {
            Some(h) => {
                let repeated = rows.first().is_some_and(|r| same_row(r, &h));
                if repeated {
                    rows.remove(0);
                }
                Table { header: h, rows }
            }
            None => {
                let header = if rows.len() > 1 {
                    rows.remove(0)
                } else {
                    Vec::new()
                };
                Table { header, rows }
            }
        }
    });
    blocks.push(Block {
        kind: o.kind,
        section,
        page: page.number,
        start: o.start,
        end: o.end,
        char_start,
        char_end,
        text,
        admonition: o.admonition,
        items: o.items,
        table,
        continued,
    });
}

fn blocks_on_page_in_section(blocks: &[Block], page: u32, section: u32) -> usize {
    blocks
        .iter()
        .rev()
        .take_while(|b| b.page == page)
        .filter(|b| b.section == section)
        .count()
}

fn same_row(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| fold(x) == fold(y))
}

/// Stores the blocks and sets each section's block range and page span.
fn assign(doc: &mut ExtractedDoc, blocks: Vec<Block>) {
    let n = doc.tree.sections.len();
    let mut first = vec![u32::MAX; n];
    let mut end = vec![0u32; n];
    let mut last_page = vec![0u32; n];
    for (i, b) in blocks.iter().enumerate() {
        let s = b.section as usize;
        if s >= n {
            continue;
        }
        first[s] = first[s].min(i as u32);
        end[s] = end[s].max(i as u32 + 1);
        last_page[s] = last_page[s].max(b.page);
    }
    let mut cursor = 0u32;
    for (s, sec) in doc.tree.sections.iter_mut().enumerate() {
        if first[s] == u32::MAX {
            sec.first_block = cursor;
            sec.end_block = cursor;
        } else {
            sec.first_block = first[s];
            sec.end_block = end[s];
            cursor = end[s];
            sec.page_end = last_page[s].max(sec.page_start);
        }
    }
    doc.tree.blocks = blocks;
}
