//! What a manual says about itself: revision, date and what it covers, read from its first
//! page (title block, running header). A field is recorded only when the page prints it in
//! a recognisable form; nothing is inferred from the file name or the modification time.

use nic_core::{DocMeta, ExtractedDoc};
use once_cell::sync::Lazy;
use regex::Regex;

static REVISION: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"(?i)\b(revision|rev\.|change|edition|version|issue)\s*(?:no\.?\s*)?([0-9]+(?:\.[0-9]+)*[A-Za-z]?|[A-Z]{1,2})\b",
    )
    .expect("static regex")
});
static DATE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(concat!(
        r"(?i)\b(?:\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:19|20)\d{2}",
        r"|(?:january|february|march|april|may|june|july|august|september|october|november|december)\s+(?:\d{1,2},\s+)?(?:19|20)\d{2}",
        r"|(?:19|20)\d{2}[-/](?:0[1-9]|1[0-2])[-/](?:0[1-9]|[12]\d|3[01]))\b"
    ))
    .expect("static regex")
});
static COVERS: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?i)\b(serial\s+(?:numbers?|nos?\.?)|models?\s*(?:covered|:)|applies\s+to|applicable\s+to|effectivity|covers\s*:)")
        .expect("static regex")
});

/// Lines of the first page (the title block) that are short enough to be a statement.
fn title_block(doc: &ExtractedDoc) -> Vec<&str> {
    doc.pages
        .first()
        .map(|p| {
            p.text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && l.chars().count() <= 160)
                .take(40)
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn find_meta(doc: &ExtractedDoc) -> DocMeta {
    let lines = title_block(doc);
    let revision = lines.iter().find_map(|l| {
        let c = REVISION.captures(l)?;
        // "Change the oil" is an instruction: the number must be there.
        let whole = c.get(0)?.as_str();
        whole
            .chars()
            .any(|ch| ch.is_ascii_digit() || ch.is_ascii_uppercase())
            .then(|| whole.trim().to_string())
            .filter(|w| !w.to_lowercase().starts_with("change the"))
    });
    let date = lines
        .iter()
        .find_map(|l| DATE.find(l).map(|m| m.as_str().to_string()));
    let covers: Vec<String> = lines
        .iter()
        .filter(|l| COVERS.is_match(l) && l.chars().any(|c| c.is_ascii_digit()))
        .take(4)
        .map(|l| l.to_string())
        .collect();
    DocMeta {
        title: doc.title.clone(),
        revision,
        date,
        covers,
    }
}
