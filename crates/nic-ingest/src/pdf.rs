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

use crate::headings::{mark_page, Heading, HeadingKind, SectionTracker};
use crate::{ExtractError, ExtractOptions};
use nic_core::text::{normalize, tidy_whitespace};
use nic_core::{ExtractedDoc, ExtractedPage, SectionMark};
use std::collections::{HashMap, HashSet};
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
    if raw.toc.is_empty() {
        mark_headings(&mut pages);
    } else {
        mark_outline(&mut pages, &raw.toc);
    }
    let title = raw
        .title
        .filter(|t| sensible_title(t))
        .unwrap_or_else(|| stem.to_string());
    ExtractedDoc {
        title,
        pages,
        empty_pages,
        warnings,
    }
}

/// Heading-like lines, skipping running headers and footers (short lines that repeat on
/// many pages: the manual's name, "Company Confidential", ...).
fn mark_headings(pages: &mut [ExtractedPage]) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for p in pages.iter() {
        let unique: HashSet<&str> = p
            .text
            .lines()
            .map(str::trim)
            .filter(|l| l.len() <= 80)
            .collect();
        for l in unique {
            *seen.entry(l).or_default() += 1;
        }
    }
    let threshold = (pages.len() / 5).max(3);
    let running: HashSet<String> = seen
        .into_iter()
        .filter(|(_, n)| *n >= threshold)
        .map(|(l, _)| l.to_string())
        .collect();
    let mut tracker = SectionTracker::default();
    for p in pages.iter_mut() {
        p.sections = mark_page(&p.text, &mut tracker, &|l| running.contains(l));
    }
}

/// Outline entries `(level, title, page)` become marks at the title's position on its page
/// (or the page start when the title is not found verbatim).
fn mark_outline(pages: &mut [ExtractedPage], toc: &[(usize, String, u32)]) {
    let mut by_page: HashMap<u32, Vec<(usize, &str)>> = HashMap::new();
    for (level, title, page) in toc {
        by_page.entry(*page).or_default().push((*level, title));
    }
    let mut tracker = SectionTracker::default();
    for p in pages.iter_mut() {
        let carried = tracker.path();
        let lower = p.text.to_ascii_lowercase();
        let mut from = 0;
        let mut marks: Vec<SectionMark> = Vec::new();
        for (level, title) in by_page.get(&p.number).into_iter().flatten() {
            let title = normalize(title)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if title.is_empty() {
                continue;
            }
            if let Some(i) = lower[from..].find(&title.to_ascii_lowercase()) {
                from += i;
            }
            tracker.apply(Heading {
                kind: HeadingKind::Leveled(*level),
                title,
            });
            marks.push(SectionMark {
                offset: from,
                path: tracker.path(),
            });
        }
        if !carried.is_empty() && marks.first().is_none_or(|m| m.offset > 0) {
            marks.insert(
                0,
                SectionMark {
                    offset: 0,
                    path: carried,
                },
            );
        }
        p.sections = marks;
    }
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
