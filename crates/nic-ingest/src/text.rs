//! TXT and Markdown extraction.
//!
//! Plain-text manuals carry their page breaks as form feeds (`\x0c`, what `pdftotext` and
//! old word processors emit) or as `--- PAGE N ---` markers written by conversion scripts;
//! the marker's own number is the page number a technician sees, so it is used as is.
//! Sections come from the heading rules in [`crate::headings`].
//!
//! Bad input is refused early and cheaply, before any per-line work: NUL bytes mean a binary
//! file, and a single line over 1 MB is not a manual (a 50 MB one-line file would otherwise
//! become tens of thousands of meaningless chunks).

use crate::headings::{classify_line, CandKind};
use crate::structure::{self, running_lines, Headings};
use crate::ExtractError;
use nic_core::text::{normalize, tidy_whitespace};
use nic_core::{ExtractedDoc, ExtractedPage};
use once_cell::sync::Lazy;
use regex::Regex;

/// Longest accepted line, in bytes.
pub(crate) const MAX_LINE_BYTES: usize = 1 << 20;

static PAGE_MARKER: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?mi)^[ \t]*-{2,}[ \t]*PAGE[ \t]+(\d{1,6})[ \t]*-{2,}[ \t]*$").unwrap()
});

/// Decodes bytes as UTF-8 (BOM-aware, UTF-16 with a BOM too), falling back to Windows-1252
/// with a warning. Refuses binary content.
pub(crate) fn decode_text(
    bytes: &[u8],
    warnings: &mut Vec<String>,
) -> Result<String, ExtractError> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        if enc != encoding_rs::UTF_8 {
            let (s, _, had_errors) = enc.decode(bytes);
            if had_errors {
                warnings.push(format!("invalid {} sequences were replaced", enc.name()));
            }
            return Ok(s.into_owned());
        }
        return decode_8bit(&bytes[bom_len..], warnings);
    }
    decode_8bit(bytes, warnings)
}

fn decode_8bit(bytes: &[u8], warnings: &mut Vec<String>) -> Result<String, ExtractError> {
    if bytes.contains(&0) {
        return Err(ExtractError::Binary);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(_) => {
            warnings.push(
                "not valid UTF-8; decoded as Windows-1252 (Latin-1), check accented characters"
                    .to_string(),
            );
            let (s, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            Ok(s.into_owned())
        }
    }
}

/// Length in bytes of the longest line.
pub(crate) fn longest_line(bytes: &[u8]) -> usize {
    bytes
        .split(|&b| b == b'\n' || b == b'\r' || b == 0x0c)
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0)
}

pub(crate) fn extract_text(bytes: &[u8], stem: &str) -> Result<ExtractedDoc, ExtractError> {
    let longest = longest_line(bytes);
    if longest > MAX_LINE_BYTES {
        return Err(ExtractError::LineTooLong {
            bytes: longest as u64,
        });
    }
    let mut warnings = Vec::new();
    let text = normalize(&decode_text(bytes, &mut warnings)?);
    let raw_pages = split_pages(&text, &mut warnings);
    let mut doc = ExtractedDoc {
        title: String::new(),
        warnings,
        ..Default::default()
    };
    for (number, raw) in raw_pages {
        let text = tidy_whitespace(&raw);
        if !text.chars().any(char::is_alphanumeric) {
            doc.empty_pages.push(number);
            continue;
        }
        doc.pages.push(ExtractedPage {
            number,
            text,
            sections: Vec::new(),
        });
    }
    let running = running_lines(&doc.pages);
    let skip = |l: &str| running.contains(l);
    doc.title = title_of(&doc.pages, &skip).unwrap_or_else(|| stem.to_string());
    structure::build(&mut doc, Headings::Lines { skip: &skip }, &[]);
    Ok(doc)
}

/// The first line when it is a heading (Markdown `#`, ALL-CAPS, numbered ...), skipping
/// running headers; else `None` and the caller uses the file name.
fn title_of(pages: &[ExtractedPage], skip: &dyn Fn(&str) -> bool) -> Option<String> {
    let mut lines = pages
        .first()?
        .text
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty() || skip(l));
    let first = lines.next()?;
    let stands_alone = lines.next().is_none_or(str::is_empty);
    classify_line(first)
        .filter(|h| h.kind != CandKind::Label)
        .map(|h| h.title)
        .or_else(|| structure::long_caps_title(first).then(|| first.to_string()))
        .or_else(|| (stands_alone && title_line(first)).then(|| first.to_string()))
}

/// A first line printed on its own, shaped like a title rather than a sentence:
/// "Conveyor Belt Tensioner — Maintenance Procedure (Test Manual XSS-01)".
fn title_line(t: &str) -> bool {
    let words: Vec<&str> = t.split_whitespace().collect();
    let capitalised = words
        .iter()
        .filter(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        })
        .count();
    (2..=16).contains(&words.len())
        && t.chars().count() <= 120
        && !t.ends_with(['.', ':', '?', '!', ','])
        && capitalised * 2 >= words.len()
        && !crate::headings::starts_with_admonition(t)
        && !crate::headings::is_item(t)
}

/// Splits normalised text into `(page number, raw page text)`.
fn split_pages(text: &str, warnings: &mut Vec<String>) -> Vec<(u32, String)> {
    let markers: Vec<(usize, usize, u32)> = PAGE_MARKER
        .captures_iter(text)
        .filter_map(|c| {
            let m = c.get(0)?;
            Some((m.start(), m.end(), c[1].parse().ok()?))
        })
        .collect();
    if markers.is_empty() {
        let mut parts: Vec<&str> = text.split('\x0c').collect();
        if parts.len() > 1 && parts.last().is_some_and(|p| p.trim().is_empty()) {
            parts.pop(); // a trailing form feed ends the last page, it does not open a new one
        }
        return parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| (i as u32 + 1, p.to_string()))
            .collect();
    }
    let mut pages: Vec<(u32, String)> = Vec::new();
    let preamble = &text[..markers[0].0];
    let first_number = markers[0].2.max(1);
    let mut carry = String::new();
    if !preamble.trim().is_empty() {
        if first_number > 1 {
            pages.push((first_number - 1, preamble.to_string()));
        } else {
            carry = preamble.to_string();
            warnings.push("text before the first page marker was added to that page".into());
        }
    }
    for (i, &(_, end, number)) in markers.iter().enumerate() {
        let stop = markers.get(i + 1).map_or(text.len(), |m| m.0);
        let body = text[end..stop].replace('\x0c', "\n");
        let body = if i == 0 && !carry.is_empty() {
            format!("{carry}\n\n{body}")
        } else {
            body
        };
        let number = number.max(1);
        if let Some(existing) = pages.iter_mut().find(|(n, _)| *n == number) {
            warnings.push(format!(
                "page marker {number} appears more than once; merged"
            ));
            existing.1.push_str("\n\n");
            existing.1.push_str(&body);
        } else {
            pages.push((number, body));
        }
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_give_their_own_numbers() {
        let mut w = Vec::new();
        let p = split_pages(
            "intro\n--- PAGE 3 ---\nthree\n--- PAGE 4 ---\nfour\n",
            &mut w,
        );
        let numbers: Vec<u32> = p.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![2, 3, 4]);
        assert!(p[1].1.contains("three") && !p[1].1.contains("PAGE"));
    }

    #[test]
    fn form_feeds_count_pages_and_trailing_one_is_ignored() {
        let mut w = Vec::new();
        let p = split_pages("one\x0ctwo\x0c\x0cfour\x0c", &mut w);
        let numbers: Vec<u32> = p.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4]);
        assert!(p[2].1.trim().is_empty());
    }

    #[test]
    fn latin1_is_decoded_with_a_warning() {
        let mut w = Vec::new();
        let s = decode_text(b"Temp\xe9rature 20\xb0C", &mut w).unwrap();
        assert_eq!(s, "Température 20°C");
        assert_eq!(w.len(), 1);
    }
}
