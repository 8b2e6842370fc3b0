//! PDF extraction, page by page, isolated so that one bad file cannot take the process down.
//!
//! The pure-Rust path (`lopdf` to parse, `pdf-extract` to lay out text) runs on a worker
//! thread under `catch_unwind`, each page on its own so a panic loses one page, not the file,
//! and the caller waits at most `pdf_timeout`. On timeout the worker is told to stop at the
//! next page and left detached; the file gets an error. When the pure-Rust path fails or finds
//! no text at all and `pdftotext` (poppler-utils) is installed, it is tried as a fallback,
//! also under a time limit (the child is killed when it overruns).
//!
//! Page numbers are the PDF's own page indexes (1-based). Pages without text — scanned
//! images, blank separators — are listed in `empty_pages`, never dropped silently. Sections
//! come from the outline (bookmarks) when the PDF has one, else from heading-like lines,
//! ignoring running headers/footers that repeat across pages.

mod column;
mod fallback;
mod fonts;
mod worker;

use crate::headings::{is_caption, is_item, is_table_row, starts_with_admonition};
use crate::structure::{self, running_lines, Headings, Hint};
use crate::{ExtractError, ExtractOptions};
use fonts::{FontHeading, TextBox};
use nic_core::text::{normalize, tidy_whitespace};
use nic_core::{ExtractedDoc, ExtractedPage, HeadingSource};
use std::collections::HashSet;
use std::path::Path;
use worker::RawPdf;

pub(crate) fn extract_pdf(
    path: &Path,
    bytes: Vec<u8>,
    stem: &str,
    opts: &ExtractOptions,
) -> Result<ExtractedDoc, ExtractError> {
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(ExtractError::NotPdf);
    }
    let truncated = !has_eof_marker(&bytes);
    let mut warnings = Vec::new();
    let primary = worker::extract_with_limit(bytes, opts.pdf_timeout);
    let raw = match primary {
        Ok(raw) if raw.pages.iter().any(|(_, t)| has_text(t)) => raw,
        Ok(raw) => match fallback::pdftotext(path, opts.pdf_timeout) {
            Some(Ok(pages)) if pages.iter().any(|(_, t)| has_text(t)) => {
                warnings.push("pdf-extract found no text; used pdftotext".to_string());
                RawPdf { pages, ..raw }
            }
            _ => raw,
        },
        Err(e @ (ExtractError::PdfEncrypted | ExtractError::NotPdf)) => return Err(e),
        Err(_) if truncated => return Err(ExtractError::PdfTruncated),
        Err(e) => match fallback::pdftotext(path, opts.pdf_timeout) {
            Some(Ok(pages)) if !pages.is_empty() => {
                warnings.push(format!("pdf-extract failed ({e}); used pdftotext"));
                RawPdf {
                    pages,
                    ..RawPdf::default()
                }
            }
            _ => return Err(e),
        },
    };
    // Font sizes and weights, when poppler's pdftohtml is installed (one run per file, under
    // the same time limit); without them headings come from the text rules.
    let boxes = match fonts::run_pdftohtml(path, opts.pdf_timeout) {
        Some(Ok(xml)) => Some(fonts::parse_xml(&xml)).filter(|b| !b.is_empty()),
        _ => None,
    };
    Ok(build_doc(raw, stem, warnings, boxes))
}

/// A complete PDF ends with `%%EOF` (possibly followed by a little whitespace or junk).
fn has_eof_marker(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    tail.windows(5).any(|w| w == b"%%EOF")
}

fn has_text(t: &str) -> bool {
    t.chars().any(char::is_alphanumeric)
}

/// Empty pages are reported in `empty_pages` only (the caller words the warning).
fn build_doc(
    raw: RawPdf,
    stem: &str,
    mut warnings: Vec<String>,
    boxes: Option<Vec<TextBox>>,
) -> ExtractedDoc {
    warnings.extend(raw.warnings);
    let mut pages = Vec::with_capacity(raw.pages.len());
    let mut empty_pages = Vec::new();
    for (number, text) in raw.pages {
        let text = tidy_whitespace(&normalize(&text));
        if has_text(&text) {
            pages.push(ExtractedPage {
                number,
                text,
                sections: Vec::new(),
            });
        } else {
            empty_pages.push(number);
        }
    }
    let title = raw
        .title
        .filter(|t| sensible_title(t))
        .unwrap_or_else(|| stem.to_string());
    let mut doc = ExtractedDoc {
        title,
        pages,
        empty_pages,
        warnings,
        ..Default::default()
    };
    let running = running_lines(&doc.pages);
    let skip = |l: &str| running.contains(l);
    let reject = |t: &str| {
        running.contains(t)
            || is_item(t)
            || starts_with_admonition(t)
            || is_caption(t)
            || is_table_row(t)
    };
    let printed: Option<Vec<(Hint, u8)>> = boxes.map(|b| {
        let rules = fonts::Rules {
            reject: &reject,
            lead_in: &starts_with_admonition,
            item: &is_item,
        };
        let heads = fonts::font_headings(&b, &rules);
        place_font_headings(&doc.pages, &heads)
    });
    let toc = clean_toc(&doc.pages, &raw.toc);
    let hints = match (toc.is_empty(), printed) {
        (true, None) => None,
        (true, Some(p)) if p.is_empty() => None,
        (true, Some(p)) => Some(
            p.into_iter()
                .map(|(h, rank)| Hint { level: rank, ..h })
                .collect(),
        ),
        (false, p) => Some(merge_hints(
            &doc.pages,
            outline_hints(&doc.pages, &toc),
            p.unwrap_or_default(),
        )),
    };
    match hints {
        None => structure::build(&mut doc, Headings::Lines { skip: &skip }, &[]),
        Some(hints) => structure::build(&mut doc, Headings::Hints { hints, skip: &skip }, &[]),
    }
    doc
}

/// Each font heading placed on the line of the page text where it is printed (dropped
/// when not found there), with its style rank.
fn place_font_headings(pages: &[ExtractedPage], heads: &[FontHeading]) -> Vec<(Hint, u8)> {
    let mut out = Vec::new();
    let mut used: HashSet<(u32, usize)> = HashSet::new();
    for h in heads {
        let Some(p) = pages.iter().find(|p| p.number == h.page) else {
            continue;
        };
        let title = normalize(&h.text)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let want = squash(&title);
        let Some(offset) = find_exact(&p.text, &want, |off| !used.contains(&(p.number, off)))
        else {
            continue;
        };
        used.insert((p.number, offset));
        out.push((
            Hint {
                page: p.number,
                offset,
                level: h.rank,
                title,
                source: HeadingSource::Styled,
            },
            h.rank,
        ));
    }
    out.sort_by_key(|(h, _)| (h.page, h.offset));
    out
}

/// Byte offset of the first line (not refused by `free`) whose squashed text is `want`,
/// alone or joined with the next one or two lines (pdftohtml and pdf-extract split lines
/// differently).
fn find_exact(text: &str, want: &str, free: impl Fn(usize) -> bool) -> Option<usize> {
    if want.is_empty() {
        return None;
    }
    let mut lines = Vec::new();
    let mut off = 0;
    for line in text.split('\n') {
        let lead = line.len() - line.trim_start().len();
        lines.push((off + lead, squash(line)));
        off += line.len() + 1;
    }
    for (i, (start, s)) in lines.iter().enumerate() {
        if s.is_empty() || !want.starts_with(s.as_str()) || !free(*start) {
            continue;
        }
        let mut joined = s.clone();
        for k in 0..3 {
            if joined == want {
                return Some(*start);
            }
            match lines.get(i + 1 + k) {
                Some((_, next)) if want.len() > joined.len() => joined.push_str(next),
                _ => break,
            }
        }
    }
    None
}

/// Outline entries and printed headings in one list. Outline entries keep their levels; a
/// printed heading not in the outline sits below the enclosing outline entry, nested among
/// the printed headings of that section by style rank (a printed heading styled like the
/// enclosing entry or larger is its sibling).
fn merge_hints(pages: &[ExtractedPage], outline: Vec<Hint>, printed: Vec<(Hint, u8)>) -> Vec<Hint> {
    // The style rank of each outline entry printed as a font heading.
    let key = |h: &Hint| (h.page, h.offset);
    let mut items: Vec<(Hint, Option<u8>, bool)> = Vec::new();
    for o in outline {
        let rank = printed
            .iter()
            .find(|(p, _)| {
                key(p) == key(&o) || (p.page == o.page && squash(&p.title) == squash(&o.title))
            })
            .map(|(_, r)| *r);
        items.push((o, rank, true));
    }
    // Pages before the first outline entry are the cover: metadata, not sections.
    let first_page = items.iter().map(|(h, _, _)| h.page).min().unwrap_or(0);
    // Pages that open a top-level unit and hold little else are title pages (a module's
    // title page repeats the manual's name above the module's): their other lines are
    // the title block, not sections.
    let title_pages: HashSet<u32> = items
        .iter()
        .filter(|(h, _, _)| h.level <= 1)
        .filter(|(h, _, _)| {
            pages
                .iter()
                .find(|p| p.number == h.page)
                .is_some_and(|p| title_page(&p.text))
        })
        .map(|(h, _, _)| h.page)
        .collect();
    // Outline entries printed as a line of their own, by page.
    let printed_entries: Vec<(u32, String)> = items
        .iter()
        .filter(|(h, _, _)| printed_at(pages, h))
        .map(|(h, _, _)| (h.page, squash(&h.title)))
        .collect();
    for (p, r) in printed {
        if p.page < first_page || title_pages.contains(&p.page) {
            continue;
        }
        let s = squash(&p.title);
        let dup = items
            .iter()
            .any(|(o, _, _)| key(o) == key(&p) || (o.page == p.page && squash(&o.title) == s));
        // A box title restating a heading printed beside it, on the same page or the page
        // before ("Chart of the Nuclides Summary" next to "Summary").
        let restates = printed_entries.iter().any(|(page, t)| {
            (*page == p.page || *page + 1 == p.page)
                && !t.is_empty()
                && s.len() > t.len()
                && s.ends_with(t.as_str())
        });
        if !dup && !restates {
            items.push((p, Some(r), false));
        }
    }
    // Stable: outline entries before printed headings on the same line.
    items.sort_by_key(|(h, _, outline)| (h.page, h.offset, !*outline));
    let mut stack: Vec<(u8, Option<u8>)> = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for (mut h, rank, is_outline) in items {
        if is_outline {
            while stack.last().is_some_and(|(l, _)| *l >= h.level) {
                stack.pop();
            }
            stack.push((h.level, rank));
        } else {
            let r = rank.unwrap_or(u8::MAX);
            while stack.len() > 1 && stack.last().is_some_and(|(_, t)| t.is_some_and(|t| t >= r)) {
                stack.pop();
            }
            if stack.len() == 1 && stack.last().is_some_and(|(_, t)| t.is_some_and(|t| t >= r)) {
                // A sibling of the top-level entry in force.
                let level = stack.first().map_or(1, |(l, _)| *l);
                stack.pop();
                h.level = level;
                stack.push((level, Some(r)));
                out.push(h);
                continue;
            }
            h.level = stack.last().map_or(1, |(l, _)| l.saturating_add(1));
            stack.push((h.level, Some(r)));
        }
        out.push(h);
    }
    out
}

/// Whether an outline entry sits on a line printing its title.
fn printed_at(pages: &[ExtractedPage], h: &Hint) -> bool {
    pages
        .iter()
        .find(|p| p.number == h.page)
        .and_then(|p| p.text.get(h.offset..))
        .and_then(|t| t.split('\n').next())
        .is_some_and(|line| {
            // The title alone, wrapped onto the next line, or with a few lost symbols.
            let (want, s) = (squash(&h.title), squash(line));
            !want.is_empty()
                && ((want.starts_with(&s) && s.len() >= 4)
                    || (s.starts_with(&want) && s.len() - want.len() <= 3))
        })
}

/// A title page: a few short lines, no running prose.
fn title_page(text: &str) -> bool {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.chars().any(char::is_alphanumeric))
        .collect();
    let words: usize = lines.iter().map(|l| l.split_whitespace().count()).sum();
    let sentences = lines.iter().filter(|l| l.ends_with('.')).count();
    lines.len() <= 15 && words <= 60 && sentences <= 1
}

/// Drops outline entries that are table-of-contents links: a title ending with a page
/// number ("1.1 Purpose ... 6") when the same title without it is in the outline too, or
/// when the entry points at a contents page.
fn clean_toc(pages: &[ExtractedPage], toc: &[(usize, String, u32)]) -> Vec<(usize, String, u32)> {
    let titles: HashSet<String> = toc.iter().map(|(_, t, _)| squash(t)).collect();
    toc.iter()
        .filter(|(_, title, page)| {
            let Some(stripped) = strip_page_number(title) else {
                return true;
            };
            let twin = titles.contains(&squash(stripped));
            let contents = pages
                .iter()
                .find(|p| p.number == *page)
                .is_some_and(|p| contents_page(&p.text));
            !(twin || contents)
        })
        .cloned()
        .collect()
}

/// `title` without a trailing page number (and dot leaders before it).
fn strip_page_number(title: &str) -> Option<&str> {
    let t = title.trim_end();
    let digits = t.len() - t.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 4 {
        return None;
    }
    let head = &t[..t.len() - digits];
    if !head.ends_with([' ', '.', '\t']) {
        return None;
    }
    let head = head.trim_end_matches([' ', '.', '\t']);
    head.chars().any(char::is_alphabetic).then_some(head)
}

/// A page listing contents: many lines ending with a page number after leaders or space.
fn contents_page(text: &str) -> bool {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let entries = lines
        .iter()
        .filter(|l| strip_page_number(l).is_some())
        .count();
    entries >= 5 && entries * 10 >= lines.len() * 3
}

/// Outline entries `(level, title, page)` placed on the line where the title is printed:
/// on the target page, else the page after or before it (outline targets are often off by
/// one), else at the start of the target page.
fn outline_hints(pages: &[ExtractedPage], toc: &[(usize, String, u32)]) -> Vec<Hint> {
    let mut hints = Vec::new();
    let mut from: Option<(u32, usize)> = None;
    for (i, (level, title, page)) in toc.iter().enumerate() {
        let title = normalize(title)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if title.is_empty() {
            continue;
        }
        let want = squash(&title);
        // A target out of order with its neighbours (a destination resolved to another
        // copy of the same front matter) is looked for where the order puts it.
        let prev_page = from.map_or(0, |(p, _)| p);
        let next_page = toc
            .get(i + 1..)
            .and_then(|rest| rest.iter().map(|(_, _, p)| *p).min());
        let out_of_order = *page < prev_page || next_page.is_some_and(|n| n < *page);
        let mut candidates = vec![*page, page.saturating_add(1), page.saturating_sub(1)];
        if out_of_order {
            let hi = next_page.unwrap_or(prev_page).max(prev_page);
            candidates = (prev_page..=hi).chain(candidates).collect();
        }
        // A line that is the title (or the title wrapped onto the next line) on any
        // candidate page first; then one that starts with it and goes on (the title plus
        // symbols the outline lost, never a running header that merely starts with it).
        let mut found = None;
        for max_extra in [0, want.len()] {
            found = candidates.iter().find_map(|&candidate| {
                let p = pages.iter().find(|p| p.number == candidate)?;
                let min = match from {
                    Some((fp, off)) if fp == candidate => off,
                    _ => 0,
                };
                // Past the previous entry's line first (a chapter and its first section
                // may share a title), else on it.
                let same_page = from.is_some_and(|(fp, _)| fp == candidate);
                let after = same_page
                    .then(|| {
                        p.text
                            .get(min..)
                            .and_then(|t| t.find('\n'))
                            .map(|n| min + n + 1)
                    })
                    .flatten();
                let beyond = after.and_then(|a| {
                    p.text
                        .get(a..)
                        .and_then(|rest| find_line(rest, &want, 0, max_extra))
                        .map(|o| a + o)
                });
                beyond
                    .or_else(|| find_line(&p.text, &want, min, max_extra))
                    .map(|off| (candidate, off))
            });
            if found.is_some() {
                break;
            }
        }
        let (page, offset) = match found {
            Some(f) => f,
            None => match pages.iter().find(|p| p.number == *page) {
                Some(p) => (p.number, 0),
                None => continue,
            },
        };
        from = Some((page, offset));
        let title = pages
            .iter()
            .find(|p| p.number == page)
            .and_then(|p| printed_title(&p.text, offset, &want))
            .unwrap_or(title);
        hints.push(Hint {
            page,
            offset,
            level: (*level).clamp(1, 250) as u8,
            title,
            source: HeadingSource::Outline,
        });
    }
    hints
}

/// The printed line at `offset` when it is the outline title as printed: the same letters
/// (outline text has extraction gaps, "R adii") or the title plus a few symbols the outline
/// lost ("Alpha Decay (α)").
fn printed_title(text: &str, offset: usize, want: &str) -> Option<String> {
    let line = text.get(offset..)?.split('\n').next()?.trim();
    let s = squash(line);
    let extra = s.strip_prefix(want)?;
    let ok = extra.is_empty()
        || (extra.chars().count() <= 3 && !extra.chars().any(|c| c.is_ascii_alphanumeric()));
    (ok && !line.is_empty()).then(|| line.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Letters and digits only, lower-cased: PDF text and outline titles differ in spacing,
/// hyphenation and punctuation ("R adii", "Speciﬁcations").
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Byte offset of the first line at or after `min` whose squashed text starts with `want`
/// followed by at most `max_extra` more letters and digits (a heading may wrap onto the next
/// line: two lines joined are tried too).
fn find_line(text: &str, want: &str, min: usize, max_extra: usize) -> Option<usize> {
    if want.is_empty() {
        return None;
    }
    let mut offsets = Vec::new();
    let mut off = 0;
    for line in text.split('\n') {
        offsets.push((off, line));
        off += line.len() + 1;
    }
    let fits = |s: &str| s.starts_with(want) && s.len() - want.len() <= max_extra;
    for (i, (start, line)) in offsets.iter().enumerate() {
        if *start + line.len() < min {
            continue;
        }
        let s = squash(line);
        if s.is_empty() {
            continue;
        }
        let lead = line.len() - line.trim_start().len();
        if fits(&s) {
            return Some(start + lead);
        }
        if want.starts_with(&s) && s.len() >= 4 {
            let joined = offsets
                .get(i + 1)
                .map(|(_, next)| format!("{s}{}", squash(next)))
                .unwrap_or_default();
            if fits(&joined) {
                return Some(start + lead);
            }
        }
    }
    None
}

/// Rejects placeholder titles that PDF producers leave in the Info dictionary.
fn sensible_title(t: &str) -> bool {
    let lower = t.trim().to_lowercase();
    let letters = lower.chars().filter(|c| c.is_alphabetic()).count();
    let junk_ext = [
        ".doc", ".docx", ".pdf", ".indd", ".qxd", ".p65", ".fm", ".tex", ".ps", ".dvi", ".rtf",
        ".txt",
    ];
    letters >= 3
        && lower.chars().count() <= 200
        && ![
            "untitled", "title", "document", "no title", "unknown", "slide 1", "pdf",
        ]
        .contains(&lower.as_str())
        && !lower.starts_with("microsoft word")
        && !lower.starts_with("microsoft powerpoint")
        && !junk_ext.iter().any(|e| lower.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_titles_are_rejected() {
        assert!(sensible_title("Carrier Installation Instructions"));
        assert!(!sensible_title("Microsoft Word - manual_v3.docx"));
        assert!(!sensible_title("untitled"));
        assert!(!sensible_title("scan0001.pdf"));
        assert!(!sensible_title("  "));
    }

    /// Found by `nic bench fuzz --target extract-pdf`: for a degenerate text matrix
    /// pdftohtml prints `width="-2147483648"` or a font size of `-1e30`, and the heading
    /// rules' sums of coordinates and the negated size overflowed (a panic with overflow
    /// checks, nonsense without).
    #[test]
    fn absurd_pdftohtml_coordinates_do_not_overflow() {
        let mut xml = String::from(
            r#"<page number="1"><fontspec id="0" size="20" family="Helvetica-Bold"/><fontspec id="1" size="-1e30" family="Helvetica"/>"#,
        );
        let coords = ["-2147483648", "2147483647", "1e30", "-1e30", "108", "0"];
        for (i, t) in coords.iter().enumerate() {
            for w in coords {
                xml.push_str(&format!(
                    r#"<text top="{}" left="{t}" width="{w}" height="{t}" font="{}">{} Heading {i}</text>"#,
                    100 + 20 * i,
                    i % 2,
                    "X".repeat(3000 * (i % 2))
                ));
            }
        }
        xml.push_str(r#"</page><page><text top="10" left="10" width="-2147483648" height="12" font="0">SECTION 2</text></page>"#);
        let boxes = fonts::parse_xml(&xml);
        assert!(boxes.len() > 30);
        let rules = fonts::Rules {
            reject: &|_: &str| false,
            lead_in: &starts_with_admonition,
            item: &is_item,
        };
        let _ = fonts::font_headings(&boxes, &rules);
    }
}
