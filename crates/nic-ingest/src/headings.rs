//! Heading candidates: what one line of a manual *could* be, before the document decides.
//!
//! Manuals announce their structure in a handful of ways: Markdown `#` headings, keyword
//! headings (`CHAPTER 4`, `SECTION 3: BRAKES`), numbered titles (`3.2 Brake Inspection`),
//! paragraph labels (`Para 2-2.1`, `3-2.1 Bleeding`), numbered tables and safety notices
//! (`Table 7-1 ...`, `Safety Notice 4-A`), ALL-CAPS and bold lines. This module only
//! classifies one line; [`crate::structure`] decides with the whole document in view which
//! kinds are headings there (a `1. Fuel System Issue` line is a list item in a manual that
//! numbers its paragraphs `Para 1-2`, a top-level heading in one that numbers `1 Scope`).
//!
//! Lines that are never headings, whatever they look like: list items and bullets (`- DO
//! NOT DRIVE`), safety notices (`WARNING: HOT`), figure captions, table rows, lines ending
//! like sentences, and labels ending in a colon (`**Procedure:**` introduces a list).

use once_cell::sync::Lazy;
use regex::Regex;

/// How a candidate heading line is numbered or styled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CandKind {
    /// Markdown `#` count.
    Markdown(u8),
    /// `CHAPTER 4`, `PART II`, `APPENDIX A`, `MODULE 2`.
    Chapter,
    /// `SECTION 3`.
    Section,
    /// `3.2 Brake Inspection`: two or more dotted components.
    Dotted,
    /// `1. Introduction`, `2 Installation`: one component.
    Plain,
    /// `Para 2-1.1`, `3-2.1`.
    Para,
    /// `Table 7-1 ...`, `Safety Notice 4-A`: addressable units that hold no subsections.
    Label,
    /// A short ALL-CAPS line.
    Caps,
    /// A whole-line bold `**Title**`.
    Bold,
    /// A whole-line bold label `**Procedure:**`: a subsection below the bold titles.
    BoldLabel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub kind: CandKind,
    /// The heading as printed (emphasis markers removed).
    pub title: String,
    /// `SECTION 3`, `Para 2-1.1`, `3.2`, `Table 7-1`.
    pub number: Option<String>,
    /// Numbering components for nesting: `Para 3-2.1` -> ["3","2","1"].
    pub comps: Vec<String>,
}

/// Words that open a safety notice. Such lines are content, never headings.
const ADMONITIONS: &[&str] = &[
    "WARNING",
    "WARNINGS",
    "CAUTION",
    "DANGER",
    "NOTE",
    "NOTES",
    "NOTICE",
    "IMPORTANT",
];

static MD_HEADING: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^(#{1,6})\s+(.+?)\s*#*\s*$").expect("static regex"));
static KEYWORD: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"^(?i:(chapter|part|appendix|section|module))\s+([0-9]+(?:[.-][0-9]+)*|[IVXLC]+|[A-Z])\b\.?(.*)$",
    )
    .expect("static regex")
});
static PARA: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^((?:Para(?:graph)?\.?|PARA(?:GRAPH)?\.?)\s+(\d+(?:[-.]\d+)*[a-z]?)|(\d{1,2}-\d{1,3}(?:\.\d{1,3})*))(.*)$")
        .expect("static regex")
});
static LABEL: Lazy<Regex> = Lazy::new(|| {
    Regex::new(concat!(
        r"^((?:Table|TABLE)\s+([0-9]+(?:[-.][0-9]+)*[A-Za-z]?)",
        r"|(?:Safety|SAFETY)\s+(?:Notice|NOTICE)\s+([0-9A-Z]+(?:-[0-9A-Z]+)*))",
        r"(.*)$"
    ))
    .expect("static regex")
});
static NUMBERED: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^(\d{1,2}(?:\.\d{1,2}){0,4})(\.?)\s+(.+)$").expect("static regex"));
/// Markers that open a list item or step: `-`, `*`, `•`, `1.`, `1)`, `a.`, `(a)`, `Step 3`.
pub(crate) static ITEM_MARKER: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^(?:[-*•·▪◦–○●■□➢✓]\s|\d{1,3}[.)](?:\s|$)|[a-zA-Z][.)]\s|\([a-zA-Z0-9]{1,3}\)\s|(?i:step)\s+\d+)")
        .expect("static regex")
});
static CAPTION: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^(?:Figure|FIGURE|Fig\.|FIG\.|Diagram|DIAGRAM|Illustration)\s*[0-9]+(?:[-.][0-9]+)*[A-Za-z]?\b")
        .expect("static regex")
});

/// True when `line` opens a safety notice (`WARNING`, `Caution:`, `**NOTE**` ...).
pub(crate) fn starts_with_admonition(line: &str) -> bool {
    admonition_word(line).is_some()
}

/// The admonition word opening `line`, upper-cased.
pub(crate) fn admonition_word(line: &str) -> Option<&'static str> {
    let t = line.trim_start_matches(|c: char| {
        c == '*' || c == '_' || c == '-' || c == '•' || c == '!' || c == '⚠' || c.is_whitespace()
    });
    let word: String = t.chars().take_while(|c| c.is_alphabetic()).collect();
    if word.is_empty() {
        return None;
    }
    // "Note the reading" is prose; "NOTE", "Note:", "NOTE -" open a notice.
    let after = t[word.len()..].chars().next();
    let upper = word.chars().all(|c| c.is_uppercase());
    if !upper && !matches!(after, Some(':' | '!' | '*') | None) {
        return None;
    }
    ADMONITIONS
        .iter()
        .find(|a| a.eq_ignore_ascii_case(&word))
        .copied()
}

/// A line opening a list item or step (never a heading).
pub(crate) fn is_item(line: &str) -> bool {
    ITEM_MARKER.is_match(line.trim_start())
}

/// A figure or diagram caption.
pub(crate) fn is_caption(line: &str) -> bool {
    CAPTION.is_match(line.trim())
}

/// A table row written with `|` separators.
pub(crate) fn is_table_row(line: &str) -> bool {
    let t = line.trim();
    (t.starts_with('|') && t.matches('|').count() >= 2) || t.matches(" | ").count() >= 1
}

/// `Para 2-1.1`, `Table 7-1`, `Safety Notice 4-A` at the start of a line.
pub(crate) fn is_label_line(line: &str) -> bool {
    let t = line.trim();
    LABEL.is_match(t) || PARA.captures(t).is_some_and(|c| c.get(2).is_some())
}

/// Classifies one trimmed line; `None` for ordinary content.
pub(crate) fn classify_line(line: &str) -> Option<Candidate> {
    let line = line.trim();
    if line.is_empty() || line.len() > 200 {
        return None;
    }
    if let Some(c) = MD_HEADING.captures(line) {
        let title = strip_emphasis(&c[2]);
        if !title.chars().any(char::is_alphanumeric) {
            return None;
        }
        let (number, comps) = numbering_of(&title);
        return Some(Candidate {
            kind: CandKind::Markdown(c[1].len() as u8),
            title,
            number,
            comps,
        });
    }
    if starts_with_admonition(line)
        || line.chars().count() > 120
        || line.contains("....")
        || line.contains(". . .")
        || line.contains('…')
        || is_table_row(line)
        || is_caption(line)
        || !line.chars().any(char::is_alphabetic)
    {
        return None;
    }
    if let Some(inner) = bold_line(line) {
        let label = line.ends_with(':') || inner.trim().ends_with(':');
        let inner = inner.trim().trim_end_matches(':').trim();
        if inner.is_empty() || inner.chars().count() > 80 {
            return None;
        }
        if ends_like_sentence(inner) || is_item(inner) || starts_with_admonition(inner) {
            return None;
        }
        if label {
            return Some(Candidate {
                kind: CandKind::BoldLabel,
                title: inner.to_string(),
                number: None,
                comps: Vec::new(),
            });
        }
        let mut cand = classify_line(inner).unwrap_or(Candidate {
            kind: CandKind::Bold,
            title: inner.to_string(),
            number: None,
            comps: Vec::new(),
        });
        if cand.kind == CandKind::Caps {
            cand.kind = CandKind::Bold;
        }
        return Some(cand);
    }
    if let Some(c) = KEYWORD.captures(line) {
        return keyword(line, &c);
    }
    if let Some(c) = LABEL.captures(line) {
        return label(line, &c);
    }
    if let Some(c) = PARA.captures(line) {
        return para(line, &c);
    }
    if let Some(c) = NUMBERED.captures(line) {
        let number = &c[1];
        let rest = c[3].trim();
        let comps: Vec<String> = number.split('.').map(str::to_string).collect();
        let first: u32 = comps.first()?.parse().ok()?;
        if comps.len() == 1 && first > 40 {
            return None;
        }
        if !title_like(rest) {
            return None;
        }
        return Some(Candidate {
            kind: if comps.len() > 1 {
                CandKind::Dotted
            } else {
                CandKind::Plain
            },
            title: strip_emphasis(line),
            number: Some(number.to_string()),
            comps,
        });
    }
    if is_item(line) {
        return None;
    }
    if all_caps_heading(line) {
        return Some(Candidate {
            kind: CandKind::Caps,
            title: line.to_string(),
            number: None,
            comps: Vec::new(),
        });
    }
    None
}

fn keyword(line: &str, c: &regex::Captures<'_>) -> Option<Candidate> {
    let rest = c[3].trim();
    let rest_body = rest.trim_start_matches([':', '-', '–', '—', '.', ' ']);
    let rest_ok = rest_body.is_empty()
        || (rest_body.chars().count() <= 80
            && !ends_like_sentence(rest_body)
            && rest_body
                .chars()
                .next()
                .is_some_and(|ch| ch.is_uppercase() || ch.is_ascii_digit()));
    if !rest_ok {
        return None;
    }
    let word = c[1].to_ascii_lowercase();
    let kind = if word == "section" {
        CandKind::Section
    } else {
        CandKind::Chapter
    };
    let id = &c[2];
    Some(Candidate {
        kind,
        title: strip_emphasis(line),
        number: Some(format!("{} {}", &c[1], id)),
        comps: split_comps(id),
    })
}

/// `Table 7-1 Torque Values`, `Safety Notice 4-A`: a short title after the label is kept;
/// body text after it means the line is a sentence that starts with a reference.
fn label(line: &str, c: &regex::Captures<'_>) -> Option<Candidate> {
    let rest = &c[4];
    if !(rest.is_empty() || rest.starts_with([' ', ':', '.', '\t', '-', '–', '—'])) {
        return None;
    }
    let body = rest
        .trim()
        .trim_start_matches([':', '.', '-', '–', '—', ' ']);
    if body.chars().count() > 80 || ends_like_sentence(body) {
        return None;
    }
    if body.chars().next().is_some_and(char::is_lowercase) {
        return None; // "Table 2-1 lists the torques" is a sentence
    }
    let id = c.get(2).or(c.get(3))?.as_str();
    Some(Candidate {
        kind: CandKind::Label,
        title: strip_emphasis(line),
        number: Some(c[1].trim().to_string()),
        comps: split_comps(id),
    })
}

/// `Para 2-2.1 Front Pad Replacement`, `1-2.3 Remove the cover.`, not `85-95 psi`.
fn para(line: &str, c: &regex::Captures<'_>) -> Option<Candidate> {
    let label = c[1].trim();
    let rest = &c[4];
    if !(rest.is_empty() || rest.starts_with([' ', ':', '.', '\t'])) {
        return None;
    }
    let body = rest
        .trim()
        .trim_start_matches([':', '.', '-', '–', '—', ' ']);
    let bare = c.get(3).is_some();
    if bare && !body.starts_with(|ch: char| ch.is_uppercase()) {
        return None; // "85-95 psi is the normal range"
    }
    if bare && (ends_like_sentence(body) || !title_like(body)) {
        return None;
    }
    let id = c.get(2).or(c.get(3))?.as_str();
    // "Para 2-1.1 Check the oil level." numbers a paragraph of text: the label is the
    // heading, the sentence its content.
    let title = if body.is_empty() || ends_like_sentence(body) || body.chars().count() > 90 {
        label.to_string()
    } else {
        strip_emphasis(line)
    };
    Some(Candidate {
        kind: CandKind::Para,
        title,
        number: Some(label.to_string()),
        comps: split_comps(id),
    })
}

fn split_comps(id: &str) -> Vec<String> {
    id.split(['-', '.'])
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_uppercase())
        .collect()
}

/// The numbering of a Markdown heading's text (`SECTION 3: SPECS` -> ["3"]).
fn numbering_of(title: &str) -> (Option<String>, Vec<String>) {
    match classify_line(title) {
        Some(c) if !matches!(c.kind, CandKind::Markdown(_)) => (c.number, c.comps),
        _ => (None, Vec::new()),
    }
}

/// `**Text**` or `**Label:**` / `**Label**:` (the whole line bold) -> `Text`.
fn bold_line(line: &str) -> Option<&str> {
    let inner = line
        .strip_prefix("**")
        .or_else(|| line.strip_prefix("__"))?;
    let inner = inner
        .strip_suffix("**:")
        .or_else(|| inner.strip_suffix("**"))
        .or_else(|| inner.strip_suffix("__:"))
        .or_else(|| inner.strip_suffix("__"))?;
    if inner.contains("**") {
        return None;
    }
    Some(inner)
}

pub(crate) fn strip_emphasis(s: &str) -> String {
    s.replace("**", "").replace("__", "").trim().to_string()
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
    if line.chars().count() > 70 || ends_like_sentence(line) || line.split_whitespace().count() > 10
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

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(line: &str) -> Option<CandKind> {
        classify_line(line).map(|h| h.kind)
    }

    #[test]
    fn recognises_heading_styles() {
        assert_eq!(kind("# Title"), Some(CandKind::Markdown(1)));
        assert_eq!(kind("### SECTION 1: SPECS"), Some(CandKind::Markdown(3)));
        assert_eq!(kind("3.2 Brake Inspection"), Some(CandKind::Dotted));
        assert_eq!(kind("1. Introduction"), Some(CandKind::Plain));
        assert_eq!(kind("CHAPTER 4 ENGINE"), Some(CandKind::Chapter));
        assert_eq!(kind("Section 2"), Some(CandKind::Section));
        assert_eq!(
            kind("SECTION 3: COMMON TROUBLESHOOTING"),
            Some(CandKind::Section)
        );
        assert_eq!(kind("BRAKE SYSTEM"), Some(CandKind::Caps));
        assert_eq!(kind("**Engine Specifications**"), Some(CandKind::Bold));
        assert_eq!(kind("**Procedure:**"), Some(CandKind::BoldLabel));
        assert_eq!(
            kind("Para 2-2.1 Front Pad Replacement"),
            Some(CandKind::Para)
        );
        assert_eq!(kind("1-2.3 Fuel Delivery Check"), Some(CandKind::Para));
        assert_eq!(
            kind("Table 7-1 Torque Specifications"),
            Some(CandKind::Label)
        );
        assert_eq!(kind("Safety Notice 4-A"), Some(CandKind::Label));
        let c = classify_line("Para 3-2.1 Bleeding").unwrap();
        assert_eq!(c.comps, vec!["3", "2", "1"]);
        assert_eq!(c.number.as_deref(), Some("Para 3-2.1"));
        let c = classify_line("### SECTION 1: SPECS").unwrap();
        assert_eq!(c.comps, vec!["1"]);
    }

    #[test]
    fn steps_warnings_bullets_and_prose_are_not_headings() {
        for line in [
            "- DO NOT DRIVE",
            "* CHECK ENGINE",
            "a. Remove the cover",
            "WARNING",
            "CAUTION: HOT SURFACE",
            "**NOTE**",
            "The engine oil should be changed every 7,500 miles.",
            "85-95 psi is the normal range",
            "Section 2 describes the brakes.",
            "Table 2-1 lists the torques for the caliper.",
            "Figure 2-1 Brake Caliper Assembly",
            "| Item | Value |",
            "P0420",
            "12",
        ] {
            assert_eq!(kind(line), None, "{line}");
        }
    }

    #[test]
    fn admonitions_need_a_notice_shape() {
        assert!(starts_with_admonition("WARNING: hot"));
        assert!(starts_with_admonition("Note: check"));
        assert!(starts_with_admonition("**CAUTION**"));
        assert!(!starts_with_admonition("Note the reading on the gauge"));
        assert!(!starts_with_admonition("Noted defects"));
    }
}
