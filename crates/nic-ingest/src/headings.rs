//! Heading detection for plain-text-like pages (TXT, Markdown, PDF without an outline).
//!
//! Manuals announce their structure in a handful of ways: Markdown `#` headings, numbered
//! headings (`3.2 Brake Inspection`, `CHAPTER 4`), ALL-CAPS lines, bold lines, and numbered
//! paragraph labels (`Para 2-2.1`, `Table 7-1`, `Safety Notice 4-A`). A citation is far more
//! useful with "Brakes > 3.2 Brake Inspection > Para 3-2.1" than with a page number alone, so
//! each recognised line becomes a section mark. The rules are deliberately conservative:
//! a procedure step ("1. Remove the drain plug") or a warning ("WARNING: HOT") must never be
//! mistaken for a heading, because it would then rename the section of everything after it.

use nic_core::{SectionMark, SectionPath};
use once_cell::sync::Lazy;
use regex::Regex;

/// How a recognised heading line fits into the section hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeadingKind {
    /// Explicit depth: Markdown `#` count, number of components in `2.3.1`, CHAPTER = 1.
    Leveled(usize),
    /// ALL-CAPS or bold line: one level below the last explicit heading.
    Unleveled,
    /// Numbered paragraph label: the last element of the path, under the current heading.
    Label,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Heading {
    pub kind: HeadingKind,
    pub title: String,
}

/// Words that open a safety notice. Such lines are content, never headings.
const ADMONITIONS: &[&str] = &[
    "WARNING",
    "CAUTION",
    "DANGER",
    "NOTE",
    "NOTICE",
    "IMPORTANT",
];

static MD_HEADING: Lazy<Regex> = Lazy::new(|| Regex::new(r"^(#{1,6})\s+(.+?)\s*#*\s*$").unwrap());
static KEYWORD_HEADING: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"^(?i:(chapter|part|appendix|section))\s+([0-9]+(?:\.[0-9]+)*|[IVXLC]+|[A-Z])\b\.?(.*)$",
    )
    .unwrap()
});
static LABEL: Lazy<Regex> = Lazy::new(|| {
    Regex::new(concat!(
        r"^((?:Para(?:graph)?\.?|PARA(?:GRAPH)?\.?)\s+\d+(?:[-.]\d+)*[a-z]?",
        r"|(?:Table|TABLE)\s+\d+(?:[-.]\d+)*[A-Za-z]?",
        r"|(?:Safety|SAFETY)\s+(?:Notice|NOTICE)\s+[0-9A-Z]+(?:-[0-9A-Z]+)*",
        r"|\d{1,2}-\d{1,3}(?:\.\d{1,3})*)",
        r"(.*)$"
    ))
    .unwrap()
});
static NUMBERED: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^(\d{1,2}(?:\.\d{1,2}){0,4})(\.?)\s+(.+)$").unwrap());

/// True when `line` opens a safety notice (`WARNING`, `Caution:`, `**NOTE**` ...).
pub(crate) fn starts_with_admonition(line: &str) -> bool {
    let t = line.trim_start_matches(|c: char| {
        c == '*' || c == '_' || c == '-' || c == '•' || c.is_whitespace()
    });
    let word: String = t.chars().take_while(|c| c.is_alphabetic()).collect();
    ADMONITIONS.iter().any(|a| a.eq_ignore_ascii_case(&word))
}

/// Classifies one trimmed line; `None` for ordinary content.
pub(crate) fn classify_line(line: &str) -> Option<Heading> {
    let line = line.trim();
    if line.is_empty() || line.len() > 200 {
        return None;
    }
    if let Some(c) = MD_HEADING.captures(line) {
        let title = strip_emphasis(&c[2]);
        if title.is_empty() {
            return None;
        }
        return Some(Heading {
            kind: HeadingKind::Leveled(c[1].len()),
            title,
        });
    }
    if starts_with_admonition(line)
        || line.len() > 120
        || line.contains("....")
        || line.contains('…')
    {
        return None;
    }
    if let Some(inner) = bold_line(line) {
        let inner = inner.trim();
        if let Some(label) = inner.strip_suffix(':') {
            let label = label.trim();
            if !label.is_empty() && label.chars().count() <= 60 {
                return Some(Heading {
                    kind: HeadingKind::Label,
                    title: label.to_string(),
                });
            }
            return None;
        }
        if !inner.is_empty() && inner.chars().count() <= 80 && !ends_like_sentence(inner) {
            return Some(Heading {
                kind: HeadingKind::Unleveled,
                title: inner.to_string(),
            });
        }
        return None;
    }
    if let Some(c) = KEYWORD_HEADING.captures(line) {
        let rest = c[3].trim();
        let rest_ok = rest.is_empty()
            || (rest.chars().count() <= 80
                && !ends_like_sentence(rest)
                && rest
                    .trim_start_matches([':', '-', '–', '—', '.', ' '])
                    .chars()
                    .next()
                    .is_some_and(|ch| ch.is_uppercase() || ch.is_ascii_digit()));
        if rest_ok {
            let level = match c[1].to_ascii_lowercase().as_str() {
                "section" => 2,
                _ => 1,
            };
            return Some(Heading {
                kind: HeadingKind::Leveled(level),
                title: strip_emphasis(line),
            });
        }
        return None;
    }
    if let Some(h) = label(line) {
        return Some(h);
    }
    if let Some(c) = NUMBERED.captures(line) {
        let number = &c[1];
        let rest = c[3].trim();
        let depth = number.split('.').count();
        let first: u32 = number.split('.').next()?.parse().ok()?;
        if depth == 1 && first > 40 {
            return None;
        }
        if title_like(rest) {
            return Some(Heading {
                kind: HeadingKind::Leveled(depth),
                title: strip_emphasis(line),
            });
        }
        return None;
    }
    if all_caps_heading(line) {
        return Some(Heading {
            kind: HeadingKind::Unleveled,
            title: line.to_string(),
        });
    }
    None
}

/// A numbered paragraph label at the start of `line`: `Para 2-2.1`, `1-2.3`, `Table 7-1`.
/// A short title after the label is kept ("Table 7-1 Torque Values"); body text is not.
fn label(line: &str) -> Option<Heading> {
    let c = LABEL.captures(line)?;
    let label = c[1].trim();
    let raw_rest = &c[2];
    if !(raw_rest.is_empty() || raw_rest.starts_with([' ', ':', '.', '\t'])) {
        return None;
    }
    let rest = raw_rest
        .trim()
        .trim_start_matches([':', '.', '-', '–', '—', ' ']);
    let bare_range = label.starts_with(|ch: char| ch.is_ascii_digit()) && !label.contains('.');
    if bare_range && !rest.starts_with(|ch: char| ch.is_uppercase()) {
        // "85-95 psi": a range of values, not a paragraph number.
        return None;
    }
    let title = if !rest.is_empty() && rest.chars().count() <= 60 && !ends_like_sentence(rest) {
        format!("{label} {rest}")
    } else {
        label.to_string()
    };
    Some(Heading {
        kind: HeadingKind::Label,
        title: strip_emphasis(&title),
    })
}

/// `**Text**` (the whole line bold) -> `Text`.
fn bold_line(line: &str) -> Option<&str> {
    let inner = line.strip_prefix("**")?;
    let inner = inner
        .strip_suffix("**:")
        .map(|s| s.strip_suffix(':').unwrap_or(s))
        .or_else(|| inner.strip_suffix("**"))?;
    if inner.contains("**") {
        return None;
    }
    Some(inner)
}

fn strip_emphasis(s: &str) -> String {
    s.replace("**", "").trim().to_string()
}

fn ends_like_sentence(s: &str) -> bool {
    s.ends_with(['.', ',', ';', '?', '!']) && !s.ends_with("...")
}

/// A short Title-Case or ALL-CAPS phrase: "Brake Inspection", "Removal and Installation".
fn title_like(rest: &str) -> bool {
    let rest = strip_emphasis(rest);
    if rest.chars().count() > 80 || ends_like_sentence(&rest) || rest.contains(':') {
        return false;
    }
    let words: Vec<&str> = rest.split_whitespace().collect();
    if words.is_empty() || words.len() > 10 {
        return false;
    }
    if !words[0].chars().next().is_some_and(|c| c.is_uppercase()) {
        return false;
    }
    let significant: Vec<&&str> = words
        .iter()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 4)
        .collect();
    if significant.is_empty() {
        return words.len() <= 3;
    }
    let capitalised = significant
        .iter()
        .filter(|w| w.chars().next().is_some_and(|c| c.is_uppercase()))
        .count();
    capitalised * 10 >= significant.len() * 7
}

/// A short line of capitals such as "BRAKE SYSTEM" or "TROUBLESHOOTING".
fn all_caps_heading(line: &str) -> bool {
    let line = line.trim_end_matches(':');
    if line.chars().count() > 60 || ends_like_sentence(line) || line.split_whitespace().count() > 8
    {
        return false;
    }
    let letters = line.chars().filter(|c| c.is_alphabetic()).count();
    let non_space = line.chars().filter(|c| !c.is_whitespace()).count();
    letters >= 4
        && letters * 10 >= non_space * 6
        && line
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(|c| c.is_uppercase())
}

/// Turns a stream of headings into section paths, keeping the hierarchy across pages.
#[derive(Debug, Default, Clone)]
pub(crate) struct SectionTracker {
    /// (level, title, unleveled)
    stack: Vec<(usize, String, bool)>,
    label: Option<String>,
    /// Top-level number of the last numbered heading.
    last_top: Option<u32>,
    /// The document uses Markdown `#` headings.
    markdown: bool,
}

impl SectionTracker {
    /// Numbered headings must continue the document's numbering.
    fn plausible(&self, h: &Heading) -> bool {
        if !matches!(h.kind, HeadingKind::Leveled(_)) {
            return true;
        }
        match (leading_number(&h.title), self.last_top) {
            (None, _) => true,
            (Some(n), None) => n <= 10,
            (Some(n), Some(last)) => n >= last && n <= last + 2,
        }
    }

    pub fn apply(&mut self, h: Heading) {
        match h.kind {
            HeadingKind::Leveled(level) => {
                if let Some(n) = leading_number(&h.title) {
                    self.last_top = Some(n);
                }
                self.stack.retain(|(l, _, _)| *l < level);
                self.stack.push((level, h.title, false));
                self.label = None;
            }
            HeadingKind::Unleveled => {
                let level = match self.stack.last() {
                    Some((l, _, true)) => *l,
                    Some((l, _, false)) => l + 1,
                    None => 1,
                };
                self.stack.retain(|(l, _, _)| *l < level);
                self.stack.push((level, h.title, true));
                self.label = None;
            }
            HeadingKind::Label => self.label = Some(h.title),
        }
    }

    pub fn path(&self) -> SectionPath {
        let mut p: SectionPath = self.stack.iter().map(|(_, t, _)| t.clone()).collect();
        p.extend(self.label.iter().cloned());
        p
    }
}

/// Top-level number of a numbered heading: "3.2 Brake Inspection" -> 3.
fn leading_number(title: &str) -> Option<u32> {
    let digits: String = title.chars().take_while(char::is_ascii_digit).collect();
    let next = title[digits.len()..].chars().next();
    if digits.is_empty() || !matches!(next, Some('.' | ' ')) {
        return None;
    }
    digits.parse().ok()
}

/// Marks for one page: a carry-over mark at 0 when the page does not open with a heading,
/// then one mark per heading line. `skip` tells lines to ignore (running headers).
///
/// Two guards keep look-alikes out: numbered headings must continue the numbering (same or
/// next chapter, the first one at most 10), which rejects table cells such as "20 GPIO";
/// and a run of four or more heading-like lines with no text between them is a table of
/// contents or a parts list, not four empty sections. Once a document has shown Markdown
/// `#` headings, numbered and keyword lines are list items, not headings.
pub(crate) fn mark_page(
    text: &str,
    tracker: &mut SectionTracker,
    skip: &dyn Fn(&str) -> bool,
) -> Vec<SectionMark> {
    enum Line {
        Heading(usize, Heading, bool),
        Content,
    }
    let mut lines = Vec::new();
    let mut offset = 0;
    let mut in_fence = false;
    for line in text.split('\n') {
        let start = offset;
        offset += line.len() + 1;
        let t = line.trim();
        if t.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if t.is_empty() || skip(t) {
            continue;
        }
        match classify_line(t) {
            Some(h) if !in_fence => lines.push(Line::Heading(start, h, t.starts_with('#'))),
            _ => lines.push(Line::Content),
        }
    }
    // Drop runs of >= 4 consecutive non-Markdown headings (labels do not count as headings).
    let mut i = 0;
    while i < lines.len() {
        let run = lines[i..]
            .iter()
            .take_while(|l| matches!(l, Line::Heading(_, h, false) if h.kind != HeadingKind::Label))
            .count();
        if run >= 4 {
            for l in &mut lines[i..i + run] {
                *l = Line::Content;
            }
        }
        i += run.max(1);
    }
    let carried = tracker.path();
    let mut marks = Vec::new();
    for l in lines {
        if let Line::Heading(start, h, markdown) = l {
            tracker.markdown |= markdown;
            let explicit_elsewhere =
                tracker.markdown && !markdown && matches!(h.kind, HeadingKind::Leveled(_));
            if !explicit_elsewhere && tracker.plausible(&h) {
                tracker.apply(h);
                marks.push(SectionMark {
                    offset: start,
                    path: tracker.path(),
                });
            }
        }
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
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(line: &str) -> Option<HeadingKind> {
        classify_line(line).map(|h| h.kind)
    }

    #[test]
    fn recognises_heading_styles() {
        assert_eq!(kind("# Title"), Some(HeadingKind::Leveled(1)));
        assert_eq!(kind("### SECTION 1: SPECS"), Some(HeadingKind::Leveled(3)));
        assert_eq!(kind("3.2 Brake Inspection"), Some(HeadingKind::Leveled(2)));
        assert_eq!(kind("1. Introduction"), Some(HeadingKind::Leveled(1)));
        assert_eq!(kind("CHAPTER 4 ENGINE"), Some(HeadingKind::Leveled(1)));
        assert_eq!(kind("Section 2"), Some(HeadingKind::Leveled(2)));
        assert_eq!(kind("BRAKE SYSTEM"), Some(HeadingKind::Unleveled));
        assert_eq!(
            kind("**Engine Specifications**"),
            Some(HeadingKind::Unleveled)
        );
        assert_eq!(kind("**Procedure:**"), Some(HeadingKind::Label));
        for label in [
            "Para 2-2.1 Check the oil.",
            "1-2.3 Remove the cover.",
            "Table 7-1",
            "Safety Notice 4-A",
        ] {
            assert_eq!(kind(label), Some(HeadingKind::Label), "{label}");
        }
    }

    #[test]
    fn steps_warnings_and_prose_are_not_headings() {
        for line in [
            "1. Warm the engine to operating temperature (about 5 minutes of driving)",
            "2. Park on level ground and engage parking brake",
            "WARNING",
            "CAUTION: HOT SURFACE",
            "**NOTE**",
            "The engine oil should be changed every 7,500 miles.",
            "85-95 psi is the normal range",
            "Section 2 describes the brakes.",
            "P0420",
            "12",
        ] {
            assert_eq!(kind(line), None, "{line}");
        }
    }

    #[test]
    fn tables_of_contents_and_stray_numbers_are_not_sections() {
        let mut t = SectionTracker::default();
        let toc = "CONTENTS\n1 Introduction\n2 Installation\n3 Operation\n4 Service\n\nForeword text.\n1 Introduction\nText here.\n20 GPIO\nMore text.\n2 Installation\nMount it.";
        let marks = mark_page(toc, &mut t, &|_| false);
        let paths: Vec<String> = marks.iter().map(|m| m.path.join(" > ")).collect();
        assert_eq!(paths, vec!["1 Introduction", "2 Installation"]);
    }

    #[test]
    fn markdown_documents_keep_numbered_lines_as_list_items() {
        let mut t = SectionTracker::default();
        let md = "# Guide\n## Cleaning\nSteps:\n1. **Safety First:**\n2. Remove Debris\n3. Clean Fins\nDone.";
        let marks = mark_page(md, &mut t, &|_| false);
        assert_eq!(marks.last().unwrap().path, vec!["Guide", "Cleaning"]);
    }

    #[test]
    fn labels_sit_under_the_current_heading() {
        let mut t = SectionTracker::default();
        for l in [
            "CHAPTER 2 BRAKES",
            "2.1 Pads",
            "Para 2-1.1 Inspect.",
            "Para 2-1.2 Replace.",
            "2.2 Rotors",
        ] {
            t.apply(classify_line(l).unwrap());
        }
        assert_eq!(t.path(), vec!["CHAPTER 2 BRAKES", "2.2 Rotors"]);
        t.apply(classify_line("Para 2-2.1 Measure.").unwrap());
        assert_eq!(
            t.path(),
            vec!["CHAPTER 2 BRAKES", "2.2 Rotors", "Para 2-2.1"]
        );
    }
}
