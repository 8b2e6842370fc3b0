//! From pages of text to a [`DocTree`]: which lines are headings, how they nest, and the
//! typed blocks between them.
//!
//! Extractors hand over the page texts plus *hints* where the format itself says what a
//! heading is (HTML `h1`–`h6` at exact offsets, the PDF outline). Text formats have none,
//! so every line is classified ([`crate::headings`]) and the document as a whole decides
//! which kinds count: a manual that numbers its paragraphs `Para 1-2` or uses Markdown `#`
//! does not also use `1.` lines as headings, so those are list items there.
//!
//! Nesting follows the numbering, not the order of appearance: `3-2.1` sits under `Para
//! 3-2`, under `SECTION 3`, because each number extends its parent's. Unnumbered styled
//! headings (ALL-CAPS, bold) sit under the numbered heading in force; a bold line under an
//! ALL-CAPS one. A heading's level is its depth in the tree.
//!
//! The section marks the chunker uses are derived from the tree, so a chunk's section path
//! and the tree never disagree.

mod blocks;
mod meta;

use crate::headings::{classify_line, CandKind, Candidate};
use nic_core::{DocTree, ExtractedDoc, ExtractedPage, HeadingSource, Section, SectionMark};
use std::collections::{HashMap, HashSet};

pub(crate) use meta::find_meta;

/// Bump when the parse of any format changes what it produces: stored documents parsed by
/// an older version are parsed again on the next ingest.
pub const STRUCTURE_VERSION: u32 = 4;

/// A heading the format itself marks (HTML tag, PDF outline entry).
#[derive(Debug, Clone)]
pub(crate) struct Hint {
    pub page: u32,
    /// Byte offset of the heading's first character in the page text.
    pub offset: usize,
    /// Nesting level the format gives (h2 = 2, outline depth).
    pub level: u8,
    pub title: String,
    pub source: HeadingSource,
}

/// How headings are found for one document.
pub(crate) enum Headings<'a> {
    /// Classify every line (TXT, Markdown, PDF without an outline). `skip` tells running
    /// headers and footers, which are neither headings nor content blocks.
    Lines { skip: &'a dyn Fn(&str) -> bool },
    /// Only the format's own headings (HTML, PDF outline); `skip` as above.
    Hints {
        hints: Vec<Hint>,
        skip: &'a dyn Fn(&str) -> bool,
    },
}

/// One line of one page.
#[derive(Debug, Clone)]
pub(crate) struct Line<'t> {
    pub page: usize,
    /// Byte range of the trimmed line in the page text.
    pub start: usize,
    pub end: usize,
    pub text: &'t str,
    pub skip: bool,
}

/// A heading chosen for the tree.
#[derive(Debug, Clone)]
struct Chosen {
    line: usize,
    cand: Candidate,
    hint_level: Option<u8>,
    source: HeadingSource,
}

/// Builds `doc.tree` and every page's section marks. `context` is a path that precedes every
/// section path (an HTML page's breadcrumbs).
pub(crate) fn build(doc: &mut ExtractedDoc, headings: Headings<'_>, context: &[String]) {
    let (chosen, skip_lines) = {
        let skip: &dyn Fn(&str) -> bool = match &headings {
            Headings::Lines { skip } | Headings::Hints { skip, .. } => *skip,
        };
        let lines = split_lines(doc, skip);
        let chosen = match headings {
            Headings::Lines { .. } => choose_from_lines(&lines),
            Headings::Hints { hints, .. } => choose_from_hints(&lines, hints, doc),
        };
        let skip_lines: Vec<(usize, usize, usize, usize)> = lines
            .iter()
            .map(|l| (l.page, l.start, l.end, usize::from(l.skip)))
            .collect();
        (chosen, skip_lines)
    };
    let tree = nest(doc, &chosen, &skip_lines);
    let meta = find_meta(doc);
    doc.tree = DocTree { meta, ..tree };
    blocks::fill_blocks(doc, &chosen_positions(&chosen, &skip_lines), &skip_lines);
    set_marks(doc, &chosen_positions(&chosen, &skip_lines), context);
}

/// (page index, line start) of each chosen heading, in order; section id = index + 1.
fn chosen_positions(
    chosen: &[Chosen],
    lines: &[(usize, usize, usize, usize)],
) -> Vec<(usize, usize)> {
    chosen
        .iter()
        .filter_map(|c| lines.get(c.line).map(|l| (l.0, l.1)))
        .collect()
}

pub(crate) fn split_lines<'t>(doc: &'t ExtractedDoc, skip: &dyn Fn(&str) -> bool) -> Vec<Line<'t>> {
    let mut out = Vec::new();
    for (pi, page) in doc.pages.iter().enumerate() {
        let mut offset = 0;
        for raw in page.text.split('\n') {
            let line_start = offset;
            offset += raw.len() + 1;
            let t = raw.trim();
            if t.is_empty() {
                continue;
            }
            let start = line_start + (raw.len() - raw.trim_start().len());
            out.push(Line {
                page: pi,
                start,
                end: start + t.len(),
                text: t,
                skip: skip(t),
            });
        }
    }
    out
}

/// Which kinds of numbered heading a document uses.
struct Schemes {
    markdown: bool,
    /// `SECTION 3`, `CHAPTER 2`, `Para 1-2`: paragraphs are numbered by label.
    labelled: bool,
}

fn choose_from_lines(lines: &[Line<'_>]) -> Vec<Chosen> {
    let mut in_fence = false;
    let cands: Vec<Option<Candidate>> = lines
        .iter()
        .map(|l| {
            if l.text.starts_with("```") {
                in_fence = !in_fence;
                return None;
            }
            if in_fence || l.skip {
                return None;
            }
            classify_line(l.text)
        })
        .collect();
    let schemes = Schemes {
        markdown: cands
            .iter()
            .flatten()
            .any(|c| matches!(c.kind, CandKind::Markdown(_))),
        labelled: cands.iter().flatten().any(|c| {
            matches!(
                c.kind,
                CandKind::Section | CandKind::Chapter | CandKind::Para
            )
        }),
    };
    let mut cands = cands;
    let mut keep: Vec<bool> = cands
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.as_ref()
                .is_some_and(|c| admissible(c, i, lines, &schemes))
        })
        .collect();
    title_lines(&mut cands, lines, &mut keep);
    drop_runs(&cands, &mut keep, lines);
    plausible_numbering(&cands, &mut keep);
    cands
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let c = c?;
            keep[i].then_some(Chosen {
                line: i,
                source: match c.kind {
                    CandKind::Markdown(_) => HeadingSource::Markdown,
                    CandKind::Caps | CandKind::Bold | CandKind::BoldLabel => HeadingSource::Styled,
                    _ => HeadingSource::Numbered,
                },
                cand: c,
                hint_level: None,
            })
        })
        .collect()
}

/// Whether a candidate is a heading in this document.
fn admissible(c: &Candidate, i: usize, lines: &[Line<'_>], s: &Schemes) -> bool {
    let prev = i.checked_sub(1).and_then(|p| lines.get(p));
    let same_page_prev = prev.filter(|p| p.page == lines[i].page);
    let after_intro = same_page_prev.is_some_and(|p| p.text.ends_with(':'));
    let after_item = same_page_prev.is_some_and(|p| crate::headings::is_item(p.text));
    // "Table 7-1 ... - Continued", "OVERVIEW (Cont.)": the same unit again, not a new one.
    let lower = c.title.to_lowercase();
    if ["continued", "(cont.)", "(cont)", "(cont'd)", "cont'd"]
        .iter()
        .any(|w| {
            lower
                .trim_end_matches([')', '.', ' '])
                .ends_with(w.trim_end_matches([')', '.']))
        })
    {
        return false;
    }
    // A line the next line continues mid-sentence is prose set in capitals.
    let next = lines
        .get(i + 1)
        .filter(|n| n.page == lines[i].page && !blank_between(&lines[i], n));
    let continued_by_next = next.is_some_and(|n| n.text.starts_with(|ch: char| ch.is_lowercase()));
    match c.kind {
        CandKind::Markdown(_) | CandKind::Label => true,
        CandKind::Bold | CandKind::BoldLabel => true,
        CandKind::Chapter | CandKind::Section | CandKind::Para => !s.markdown || c.comps.len() > 1,
        CandKind::Dotted => !s.markdown && !after_intro,
        CandKind::Plain => !s.markdown && !s.labelled && !after_intro && !after_item,
        CandKind::Caps => {
            // Standing alone: first on its page or after a line that is not running prose
            // (a heading, a blank-separated block end is invisible here, so accept a
            // previous line that ends like a sentence or is itself short).
            let standalone = match same_page_prev {
                None => true,
                Some(p) => {
                    p.text.ends_with(['.', ':', '!', '?', '|'])
                        || classify_line(p.text).is_some()
                        || p.skip
                        || blank_between(p, &lines[i])
                }
            };
            !s.markdown && standalone && !after_intro && !continued_by_next
        }
    }
}

/// Lines are trimmed, so a blank line between two shows as a gap larger than one newline.
fn blank_between(a: &Line<'_>, b: &Line<'_>) -> bool {
    b.start > a.end + 1 && a.page == b.page
}

/// Four or more heading-like lines with no text between them are a table of contents or a
/// parts list, not four empty sections (labels and Markdown excepted).
fn drop_runs(cands: &[Option<Candidate>], keep: &mut [bool], lines: &[Line<'_>]) {
    // Keyword and paragraph labels follow each other legitimately (`CHAPTER 2`, `2.1`,
    // `Para 2-1.1 Check the oil.`); in a contents list they end with a page number.
    let weak: Vec<bool> = (0..cands.len())
        .map(|i| {
            keep[i]
                && cands[i].as_ref().is_some_and(|c| match c.kind {
                    CandKind::Markdown(_) | CandKind::Label | CandKind::BoldLabel => false,
                    CandKind::Section | CandKind::Chapter | CandKind::Para => {
                        lines[i].text.ends_with(|ch: char| ch.is_ascii_digit())
                    }
                    _ => true,
                })
        })
        .collect();
    let mut i = 0;
    while i < cands.len() {
        let run = (i..cands.len())
            .take_while(|&j| weak[j] && lines[j].page == lines[i].page)
            .count();
        // A contents list: numbered entries, or entries ending in a page number. Four
        // headings in a row that open a manual (title, SECTION 1, 1-1.1) are not one.
        let listy = (i..i + run)
            .filter(|&j| {
                cands[j]
                    .as_ref()
                    .is_some_and(|c| matches!(c.kind, CandKind::Plain | CandKind::Dotted))
                    || lines[j].text.ends_with(|ch: char| ch.is_ascii_digit())
            })
            .count();
        if run >= 6 || (run >= 4 && listy * 2 >= run) {
            for k in &mut keep[i..i + run] {
                *k = false;
            }
        }
        i += run.max(1);
    }
}

/// The manual's title: the first line of its first page, when it is an unnumbered heading
/// line (ALL-CAPS, bold, Markdown `#`); a title may run long. ALL-CAPS lines right under it
/// are its subtitle ("OPERATOR AND MAINTENANCE MANUAL"), not sections.
fn title_lines(cands: &mut [Option<Candidate>], lines: &[Line<'_>], keep: &mut [bool]) {
    let Some(first) = lines.iter().position(|l| !l.skip) else {
        return;
    };
    if lines[first].page != 0 {
        return;
    }
    if cands[first].is_none() && long_caps_title(lines[first].text) {
        cands[first] = Some(Candidate {
            kind: CandKind::Caps,
            title: lines[first].text.to_string(),
            number: None,
            comps: Vec::new(),
        });
        keep[first] = true;
    }
    let is_title = cands[first]
        .as_ref()
        .is_some_and(|c| matches!(c.kind, CandKind::Caps | CandKind::Bold));
    if !is_title {
        return;
    }
    let mut j = first + 1;
    while j < lines.len()
        && lines[j].page == 0
        && cands[j].as_ref().is_some_and(|c| c.kind == CandKind::Caps)
    {
        keep[j] = false;
        j += 1;
    }
}

pub(crate) fn long_caps_title(t: &str) -> bool {
    let words = t.split_whitespace().count();
    let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
    (4..=20).contains(&words)
        && letters.len() >= 10
        && letters.iter().all(|c| c.is_uppercase())
        && !t.ends_with('.')
        && !crate::headings::starts_with_admonition(t)
        && !crate::headings::is_item(t)
}

/// Numbered headings continue the document's numbering (same or next chapter, the first at
/// most 10), which rejects stray numbers such as table cells "20 GPIO".
fn plausible_numbering(cands: &[Option<Candidate>], keep: &mut [bool]) {
    let mut last_top: Option<u32> = None;
    for (i, c) in cands.iter().enumerate() {
        let Some(c) = c else { continue };
        if !keep[i] || !matches!(c.kind, CandKind::Plain | CandKind::Dotted) {
            continue;
        }
        let Some(top) = c.comps.first().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let ok = match last_top {
            None => top <= 10,
            Some(last) => top >= last && top <= last + 2,
        };
        if ok {
            last_top = Some(top);
        } else {
            keep[i] = false;
        }
    }
}

fn choose_from_hints(lines: &[Line<'_>], hints: Vec<Hint>, doc: &ExtractedDoc) -> Vec<Chosen> {
    let mut out: Vec<Chosen> = Vec::new();
    for h in hints {
        let Some(pi) = doc.pages.iter().position(|p| p.number == h.page) else {
            continue;
        };
        // The line holding the offset (or the first line at or after it).
        let Some(li) = lines
            .iter()
            .position(|l| l.page == pi && l.end >= h.offset && l.start <= h.offset.max(l.start))
            .or_else(|| {
                lines
                    .iter()
                    .position(|l| l.page == pi && l.start >= h.offset)
            })
        else {
            continue;
        };
        if out.last().is_some_and(|c| c.line == li) {
            continue; // two outline entries on one line: keep the first
        }
        let (number, comps) = match classify_line(&h.title) {
            Some(c) => (c.number, c.comps),
            None => (None, Vec::new()),
        };
        out.push(Chosen {
            line: li,
            cand: Candidate {
                kind: CandKind::Bold,
                title: h.title,
                number,
                comps,
            },
            hint_level: Some(h.level),
            source: h.source,
        });
    }
    out.sort_by_key(|c| c.line);
    out.dedup_by_key(|c| c.line);
    out
}

/// Whether the heading on the stack `e` is an ancestor of the new heading `n`.
fn is_ancestor(e: &Chosen, n: &Chosen) -> bool {
    if let (Some(a), Some(b)) = (e.hint_level, n.hint_level) {
        return a < b;
    }
    if e.cand.kind == CandKind::Label {
        return false; // a table or a safety notice holds no subsections
    }
    match (e.cand.kind, n.cand.kind) {
        (CandKind::Markdown(a), CandKind::Markdown(b)) => return a < b,
        (CandKind::Markdown(_), _) => {
            // Numbered headings inside a Markdown heading nest by number when both have one.
            if !e.cand.comps.is_empty() && !n.cand.comps.is_empty() {
                return is_prefix(&e.cand.comps, &n.cand.comps);
            }
            return true;
        }
        (_, CandKind::Markdown(_)) => return false,
        _ => {}
    }
    let e_num = !e.cand.comps.is_empty();
    let n_num = !n.cand.comps.is_empty();
    match (e_num, n_num) {
        // A numbered paragraph is the smallest numbered unit: a styled heading after it
        // starts a new topic beside it.
        (true, false) if e.cand.kind == CandKind::Para => false,
        (true, true) => {
            is_prefix(&e.cand.comps, &n.cand.comps)
                || (e.cand.kind == CandKind::Chapter && n.cand.kind == CandKind::Section)
        }
        (true, false) => true,
        (false, true) => false,
        (false, false) => style_rank(e.cand.kind) > style_rank(n.cand.kind),
    }
}

fn style_rank(k: CandKind) -> u8 {
    match k {
        CandKind::Caps => 2,
        CandKind::BoldLabel => 0,
        _ => 1,
    }
}

fn is_prefix(a: &[String], b: &[String]) -> bool {
    a.len() < b.len() && b.starts_with(a)
}

/// The section tree (without blocks): parents by the ancestor rule, levels by depth.
fn nest(doc: &ExtractedDoc, chosen: &[Chosen], lines: &[(usize, usize, usize, usize)]) -> DocTree {
    let first_content = lines.iter().position(|l| l.3 == 0).unwrap_or(0);
    let root_page = doc.pages.first().map_or(1, |p| p.number);
    let mut sections = vec![Section {
        id: 0,
        parent: None,
        level: 0,
        number: None,
        heading: String::new(),
        source: HeadingSource::Document,
        page_start: root_page,
        page_end: root_page,
        first_block: 0,
        end_block: 0,
    }];
    // Stack of (index into chosen, section id).
    let mut stack: Vec<(usize, u32)> = Vec::new();
    // A title line opening the document (unnumbered, first on page 1) holds everything.
    let title_first = chosen.first().is_some_and(|c| {
        c.line == first_content
            && c.hint_level.is_none()
            && c.cand.comps.is_empty()
            && matches!(
                c.cand.kind,
                CandKind::Caps | CandKind::Bold | CandKind::Markdown(1)
            )
    });
    for (ci, c) in chosen.iter().enumerate() {
        // A label (table, safety notice) nests under the deepest heading whose number it
        // extends, else under the innermost heading that is not itself a label.
        let parent = if c.cand.kind == CandKind::Label && c.hint_level.is_none() {
            // A label (table, safety notice) sits under the heading that holds it.
            let holder = stack
                .iter()
                .rposition(|(k, _)| chosen[*k].cand.kind != CandKind::Label);
            stack.truncate(holder.map_or(0, |p| p + 1));
            stack.last().map(|(_, id)| *id)
        } else {
            while let Some((k, _)) = stack.last() {
                if (*k == 0 && title_first) || is_ancestor(&chosen[*k], c) {
                    break;
                }
                stack.pop();
            }
            stack.last().map(|(_, id)| *id)
        };
        let parent_id = parent.unwrap_or(0);
        let level = sections[parent_id as usize].level.saturating_add(1);
        let id = sections.len() as u32;
        let page = lines
            .get(c.line)
            .and_then(|l| doc.pages.get(l.0))
            .map_or(root_page, |p| p.number);
        sections.push(Section {
            id,
            parent: Some(parent_id),
            level,
            number: c.cand.number.clone(),
            heading: c.cand.title.clone(),
            source: c.source,
            page_start: page,
            page_end: page,
            first_block: 0,
            end_block: 0,
        });
        stack.push((ci, id));
    }
    DocTree {
        sections,
        ..DocTree::default()
    }
}

/// Section marks for the chunker: a carry-over mark at 0 when a page does not open with a
/// heading, then one mark per heading.
fn set_marks(doc: &mut ExtractedDoc, positions: &[(usize, usize)], context: &[String]) {
    let paths: Vec<Vec<String>> = (0..doc.tree.sections.len() as u32)
        .map(|id| {
            let mut p = context.to_vec();
            let own = doc.tree.path(id);
            // A breadcrumb trail usually ends with the page's own title.
            if let (Some(last), Some(first)) = (p.last(), own.first()) {
                if fold(last) == fold(first) {
                    p.pop();
                }
            }
            p.extend(own);
            p
        })
        .collect();
    let mut current: u32 = 0;
    let mut next = 0;
    for (pi, page) in doc.pages.iter_mut().enumerate() {
        let mut marks = Vec::new();
        if !paths[current as usize].is_empty() || !context.is_empty() {
            marks.push(SectionMark {
                offset: 0,
                path: paths[current as usize].clone(),
                section: current,
            });
        }
        while let Some(&(p, start)) = positions.get(next) {
            if p != pi {
                break;
            }
            current = next as u32 + 1;
            next += 1;
            if marks.last().is_some_and(|m| m.offset == start) {
                marks.pop();
            }
            marks.push(SectionMark {
                offset: start,
                path: paths[current as usize].clone(),
                section: current,
            });
        }
        page.sections = marks;
    }
}

/// Running headers and footers: short lines that repeat on many pages (the manual's name,
/// "Company Confidential", the TM number). They are neither headings nor content blocks.
pub(crate) fn running_lines(pages: &[ExtractedPage]) -> HashSet<String> {
    if pages.len() < 3 {
        return HashSet::new();
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for p in pages {
        let unique: HashSet<&str> = p
            .text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && l.len() <= 80)
            .collect();
        for l in unique {
            *seen.entry(l).or_default() += 1;
        }
    }
    let threshold = (pages.len() / 5).max(3);
    seen.into_iter()
        .filter(|(_, n)| *n >= threshold)
        .map(|(l, _)| l.to_string())
        .collect()
}

pub(crate) fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(['*', '_'], "")
        .trim_end_matches([':', '.'])
        .to_lowercase()
}

#[cfg(test)]
mod tests;
