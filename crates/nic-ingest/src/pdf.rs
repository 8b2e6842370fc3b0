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

mod fallback;
mod worker;

use crate::structure::{self, running_lines, Headings, Hint};
use crate::{ExtractError, ExtractOptions};
use nic_core::text::{normalize, tidy_whitespace};
use nic_core::{ExtractedDoc, ExtractedPage, HeadingSource};
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
    Ok(build_doc(raw, stem, warnings))
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
fn build_doc(raw: RawPdf, stem: &str, mut warnings: Vec<String>) -> ExtractedDoc {
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
    if raw.toc.is_empty() {
        structure::build(&mut doc, Headings::Lines { skip: &skip }, &[]);
    } else {
        let hints = outline_hints(&doc.pages, &raw.toc);
        structure::build(&mut doc, Headings::Hints { hints, skip: &skip }, &[]);
    }
    doc
}

/// Outline entries `(level, title, page)` placed on the line where the title is printed:
/// on the target page, else the page after or before it (outline targets are often off by
/// one), else at the start of the target page.
fn outline_hints(pages: &[ExtractedPage], toc: &[(usize, String, u32)]) -> Vec<Hint> {
    let mut hints = Vec::new();
    let mut from: Option<(u32, usize)> = None;
    for (level, title, page) in toc {
        let title = normalize(title)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if title.is_empty() {
            continue;
        }
        let want = squash(&title);
        let mut found = None;
        for candidate in [*page, page.saturating_add(1), page.saturating_sub(1)] {
            let Some(p) = pages.iter().find(|p| p.number == candidate) else {
                continue;
            };
            let min = match from {
                Some((fp, off)) if fp == candidate => off,
                _ => 0,
            };
            if let Some(off) = find_line(&p.text, &want, min) {
                found = Some((candidate, off));
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

/// Letters and digits only, lower-cased: PDF text and outline titles differ in spacing,
/// hyphenation and punctuation ("R adii", "Speciﬁcations").
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Byte offset of the first line at or after `min` whose squashed text starts with `want`
/// (a heading may wrap onto the next line: two lines joined are tried too).
fn find_line(text: &str, want: &str, min: usize) -> Option<usize> {
    if want.is_empty() {
        return None;
    }
    let mut offsets = Vec::new();
    let mut off = 0;
    for line in text.split('\n') {
        offsets.push((off, line));
        off += line.len() + 1;
    }
    for (i, (start, line)) in offsets.iter().enumerate() {
        if *start + line.len() < min {
            continue;
        }
        let s = squash(line);
        if s.is_empty() {
            continue;
        }
        let lead = line.len() - line.trim_start().len();
        if s.starts_with(want) || (want.starts_with(&s) && s.len() >= 4) {
            if s.starts_with(want) {
                return Some(start + lead);
            }
            let joined = offsets
                .get(i + 1)
                .map(|(_, next)| format!("{s}{}", squash(next)))
                .unwrap_or_default();
            if joined.starts_with(want) {
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
}
