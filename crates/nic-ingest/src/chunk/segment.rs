//! Segmentation of one page into atoms: the smallest pieces the packer moves.
//!
//! Blocks are paragraphs (blank-line separated), plus one block per heading line and per
//! list item, step, table row or safety notice (those start on their own line). Blocks are
//! split into sentences; a sentence over the token ceiling is split at line breaks, then
//! words, then (for a monster "word") characters, so that every atom fits.

use crate::headings::{is_label_line, starts_with_admonition};
use nic_core::ExtractedPage;
use once_cell::sync::Lazy;
use regex::Regex;
use std::collections::HashSet;

#[derive(Debug, Clone)]
pub(super) struct Atom {
    /// Byte range in the page text, trimmed.
    pub start: usize,
    pub end: usize,
    pub tokens: usize,
    /// First atom of a paragraph/list item: a good place to end the previous chunk.
    pub para_start: bool,
    /// A lead-in (heading, "WARNING", "Step 3", "Procedure:") that must stay with the next atom.
    pub glue_next: bool,
}

static ITEM_START: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^(?:[-*•·▪◦–]\s|\d{1,3}[.)](?:\s|$)|[a-zA-Z][.)]\s|\([a-zA-Z0-9]{1,3}\)\s|(?i:step)\s+\d+)")
        .unwrap()
});
static MARKER_ONLY: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^(?:(?i:step)\s*\d+[.:)]?|\d{1,3}[.)]|[a-zA-Z][.)]|\([a-zA-Z0-9]{1,3}\))$")
        .unwrap()
});

const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "fig", "figs", "no", "nos", "approx", "vs", "ref", "refs", "para", "sec",
    "ch", "vol", "rev", "max", "min", "dr", "mr", "mrs", "ms", "st", "inc", "ltd", "co", "corp",
    "cf", "ca", "eq", "pp", "p", "pg", "art", "dept", "est", "incl", "nom", "temp", "qty", "pt",
];

pub(super) fn segment_page(
    page: &ExtractedPage,
    max: usize,
    count: &dyn Fn(&str) -> usize,
) -> Vec<Atom> {
    let text = page.text.as_str();
    let marks: HashSet<usize> = page.sections.iter().map(|m| m.offset).collect();
    let mut atoms = Vec::new();
    for b in blocks(text, &marks) {
        let sentences = if b.heading {
            vec![(b.start, b.end)]
        } else {
            sentences(text, b.start, b.end)
        };
        for (k, (s, e)) in sentences.into_iter().enumerate() {
            let piece = &text[s..e];
            let tokens = count(piece);
            let glue = b.heading || is_lead_in(piece);
            if tokens <= max {
                atoms.push(Atom {
                    start: s,
                    end: e,
                    tokens,
                    para_start: k == 0,
                    glue_next: glue,
                });
            } else {
                for (j, (ps, pe, pt)) in split_long(text, s, e, max, count).into_iter().enumerate()
                {
                    atoms.push(Atom {
                        start: ps,
                        end: pe,
                        tokens: pt,
                        para_start: k == 0 && j == 0,
                        glue_next: false,
                    });
                }
            }
        }
    }
    atoms
}

struct Block {
    start: usize,
    end: usize,
    heading: bool,
}

fn blocks(text: &str, marks: &HashSet<usize>) -> Vec<Block> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, usize)> = None;
    let flush = |cur: &mut Option<(usize, usize)>, out: &mut Vec<Block>| {
        if let Some((start, end)) = cur.take() {
            out.push(Block {
                start,
                end,
                heading: false,
            });
        }
    };
    let mut offset = 0;
    for line in text.split('\n') {
        let line_start = offset;
        offset += line.len() + 1;
        let t = line.trim();
        if t.is_empty() {
            flush(&mut cur, &mut out);
            continue;
        }
        let s = line_start + (line.len() - line.trim_start().len());
        let e = s + t.len();
        let heading =
            t.len() <= 200 && (marks.contains(&line_start) && line_start > 0 || marks.contains(&s));
        if heading {
            flush(&mut cur, &mut out);
            out.push(Block {
                start: s,
                end: e,
                heading: true,
            });
        } else if starts_item(t) {
            flush(&mut cur, &mut out);
            cur = Some((s, e));
        } else if let Some(c) = cur.as_mut() {
            c.1 = e;
        } else {
            cur = Some((s, e));
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Lines that begin a unit of their own even without a blank line before them.
fn starts_item(t: &str) -> bool {
    ITEM_START.is_match(t) || starts_with_admonition(t) || t.contains(" | ") || is_label_line(t)
}

/// "WARNING", "Caution!", "Step 3", "a)", "Procedure:": nothing to say on its own.
fn is_lead_in(t: &str) -> bool {
    let t = t
        .trim()
        .trim_start_matches(['-', '*', '•', ' '])
        .trim_end_matches('*');
    if MARKER_ONLY.is_match(t) {
        return true;
    }
    if starts_with_admonition(t) {
        let rest = t.trim_start_matches(|c: char| c.is_alphabetic());
        if rest.chars().all(|c| !c.is_alphanumeric()) {
            return true;
        }
    }
    t.ends_with(':') && t.chars().count() <= 60
}

/// Sentence ranges (trimmed, absolute byte offsets) of the block `start..end`.
fn sentences(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let block = &text[start..end];
    let chars: Vec<(usize, char)> = block.char_indices().collect();
    let mut out = Vec::new();
    let mut sent_start = 0;
    let mut idx = 0;
    while idx < chars.len() {
        let (i, c) = chars[idx];
        idx += 1;
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let mut j = idx;
        while j < chars.len()
            && matches!(
                chars[j].1,
                '"' | '\'' | '”' | '’' | ')' | ']' | '.' | '!' | '?'
            )
        {
            j += 1;
        }
        if j >= chars.len() || !chars[j].1.is_whitespace() {
            continue;
        }
        let mut k = j;
        while k < chars.len() && chars[k].1.is_whitespace() {
            k += 1;
        }
        if k >= chars.len() {
            break;
        }
        let next = chars[k].1;
        if !(next.is_uppercase() || next.is_ascii_digit() || "\"'“‘([•*-".contains(next)) {
            continue;
        }
        let sentence = &block[sent_start..chars[j].0];
        if sentence.trim().chars().count() <= 4
            || (c == '.' && is_abbreviation(&block[sent_start..i]))
        {
            continue;
        }
        out.push((start + sent_start, start + chars[j].0));
        sent_start = chars[k].0;
        idx = k;
    }
    if sent_start < block.len() {
        out.push((start + sent_start, end));
    }
    out.into_iter()
        .filter_map(|(s, e)| trim_range(text, s, e))
        .collect()
}

fn is_abbreviation(before: &str) -> bool {
    let token = before.rsplit(char::is_whitespace).next().unwrap_or("");
    let token = token.trim_start_matches(['(', '"', '\'']).to_lowercase();
    (token.chars().count() == 1 && token.chars().all(char::is_alphabetic))
        || token.contains('.')
        || ABBREVIATIONS.contains(&token.as_str())
}

fn trim_range(text: &str, s: usize, e: usize) -> Option<(usize, usize)> {
    let piece = &text[s..e];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    (s + lead < e - trail).then_some((s + lead, e - trail))
}

/// Splits an over-long sentence into pieces of at most `max` tokens: at line breaks first,
/// then at word boundaries, then (a single monster word) at character boundaries.
fn split_long(
    text: &str,
    s: usize,
    e: usize,
    max: usize,
    count: &dyn Fn(&str) -> usize,
) -> Vec<(usize, usize, usize)> {
    let lines = ranges(text, s, e, |c| c == '\n');
    if lines.len() <= 1 {
        return split_units(text, &ranges(text, s, e, char::is_whitespace), max, count);
    }
    let mut out = Vec::new();
    let mut cur: Option<(usize, usize, usize)> = None;
    for (ls, le) in lines {
        let t = count(&text[ls..le]);
        if t > max {
            out.extend(cur.take());
            out.extend(split_units(
                text,
                &ranges(text, ls, le, char::is_whitespace),
                max,
                count,
            ));
            continue;
        }
        match cur.as_mut() {
            Some(c) if c.2 + t <= max => {
                c.1 = le;
                c.2 += t;
            }
            _ => {
                out.extend(cur.take());
                cur = Some((ls, le, t));
            }
        }
    }
    out.extend(cur);
    out
}

/// Non-empty ranges of `text[s..e]` separated by characters matching `sep`.
fn ranges(text: &str, s: usize, e: usize, sep: impl Fn(char) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (i, c) in text[s..e].char_indices() {
        if sep(c) {
            if let Some(o) = open.take() {
                out.push((s + o, s + i));
            }
        } else if open.is_none() {
            open = Some(i);
        }
    }
    if let Some(o) = open {
        out.push((s + o, e));
    }
    out
}

/// Packs consecutive units (words, or characters) into pieces of at most `max` tokens,
/// counting each candidate piece once and shrinking it when the tokenizer disagrees.
fn split_units(
    text: &str,
    units: &[(usize, usize)],
    max: usize,
    count: &dyn Fn(&str) -> usize,
) -> Vec<(usize, usize, usize)> {
    if units.len() == 1 {
        let (s, e) = units[0];
        let chars: Vec<(usize, usize)> = text[s..e]
            .char_indices()
            .map(|(i, c)| (s + i, s + i + c.len_utf8()))
            .collect();
        if chars.len() <= 1 {
            return vec![(s, e, count(&text[s..e]))];
        }
        return split_units(text, &chars, max, count);
    }
    let total = count(&text[units[0].0..units[units.len() - 1].1]).max(1);
    let per_unit = total as f64 / units.len() as f64;
    let guess = ((max as f64 * 0.9) / per_unit).floor().max(1.0) as usize;
    let mut out = Vec::new();
    let mut i = 0;
    while i < units.len() {
        let mut take = guess.min(units.len() - i);
        loop {
            let (ps, pe) = (units[i].0, units[i + take - 1].1);
            let t = count(&text[ps..pe]);
            if t <= max {
                out.push((ps, pe, t));
                i += take;
                break;
            }
            if take == 1 {
                out.extend(split_units(text, &[(ps, pe)], max, count));
                i += 1;
                break;
            }
            take = (take * max / t).clamp(1, take - 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &str) -> Vec<&str> {
        sentences(t, 0, t.len())
            .into_iter()
            .map(|(s, e)| &t[s..e])
            .collect()
    }

    #[test]
    fn sentence_boundaries_respect_abbreviations_and_markers() {
        assert_eq!(
            texts("1. Remove the cap, e.g. by hand. Check approx. 5 mm play. Done!"),
            vec![
                "1. Remove the cap, e.g. by hand.",
                "Check approx. 5 mm play.",
                "Done!"
            ]
        );
        assert_eq!(
            texts("Torque to 2.5 Nm. Then stop."),
            vec!["Torque to 2.5 Nm.", "Then stop."]
        );
    }

    #[test]
    fn lead_ins_are_recognised() {
        for t in [
            "WARNING",
            "- Warning!",
            "CAUTION:",
            "Step 3",
            "a)",
            "Procedure:",
        ] {
            assert!(is_lead_in(t), "{t}");
        }
        assert!(!is_lead_in("WARNING: Hot coolant can scald."));
    }

    #[test]
    fn monster_word_is_split_by_characters() {
        let t = "x".repeat(100);
        let count = |s: &str| s.len() / 10 + 1;
        let pieces = split_long(&t, 0, t.len(), 4, &count);
        assert!(pieces.len() > 1);
        assert!(pieces.iter().all(|p| p.2 <= 4 && count(&t[p.0..p.1]) <= 4));
        assert_eq!(pieces.first().unwrap().0, 0);
        assert_eq!(pieces.last().unwrap().1, t.len());
    }
}
