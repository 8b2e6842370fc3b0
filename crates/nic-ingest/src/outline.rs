//! `nic outline`: how a manual was understood, for a person checking it.
//!
//! One line per heading (indented by level, with its page and the kinds of block it
//! holds), then the safety notices found and the totals — enough to see at a glance
//! whether a new manual's headings, procedures and warnings came out right before relying
//! on its citations.

use nic_core::{BlockKind, DocTree, ExtractedDoc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The JSON form of `nic outline --json`.
#[derive(Debug, Serialize)]
pub struct OutlineReport<'a> {
    pub meta: &'a nic_core::DocMeta,
    pub pages: usize,
    pub empty_pages: &'a [u32],
    pub counts: nic_core::StructureCounts,
    pub sections: Vec<OutlineSection<'a>>,
    pub warnings_found: Vec<OutlineNotice<'a>>,
    pub parser_warnings: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct OutlineSection<'a> {
    pub id: u32,
    pub level: u8,
    pub page: u32,
    pub page_end: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<&'a str>,
    pub heading: &'a str,
    pub source: nic_core::HeadingSource,
    /// Block kind -> count, this section's own blocks.
    pub blocks: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Serialize)]
pub struct OutlineNotice<'a> {
    pub kind: &'static str,
    pub page: u32,
    pub section: u32,
    pub text: &'a str,
}

pub fn outline_report(doc: &ExtractedDoc) -> OutlineReport<'_> {
    let tree = &doc.tree;
    let sections = tree
        .sections
        .iter()
        .filter(|s| s.parent.is_some() || own_blocks(tree, s.id).values().sum::<usize>() > 0)
        .map(|s| OutlineSection {
            id: s.id,
            level: s.level,
            page: s.page_start,
            page_end: s.page_end,
            number: s.number.as_deref(),
            heading: &s.heading,
            source: s.source,
            blocks: own_blocks(tree, s.id),
        })
        .collect();
    let warnings_found = tree
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Admonition)
        .filter_map(|b| {
            Some(OutlineNotice {
                kind: b.admonition?.as_str(),
                page: b.page,
                section: b.section,
                text: &b.text,
            })
        })
        .collect();
    OutlineReport {
        meta: &tree.meta,
        pages: doc.pages.len() + doc.empty_pages.len(),
        empty_pages: &doc.empty_pages,
        counts: tree.counts(),
        sections,
        warnings_found,
        parser_warnings: &doc.warnings,
    }
}

fn own_blocks(tree: &DocTree, id: u32) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    if let Some(s) = tree.section(id) {
        for b in tree
            .blocks
            .get(s.first_block as usize..s.end_block as usize)
            .unwrap_or(&[])
        {
            if b.kind != BlockKind::Heading {
                *m.entry(b.kind.as_str()).or_insert(0) += 1;
            }
        }
    }
    m
}

/// The text form of `nic outline`.
pub fn render_outline(doc: &ExtractedDoc) -> String {
    let r = outline_report(doc);
    let mut out = String::new();
    let _ = writeln!(out, "{}", r.meta.label());
    for c in &r.meta.covers {
        let _ = writeln!(out, "  covers: {c}");
    }
    let _ = writeln!(
        out,
        "{} pages ({} without text), {} sections, {} procedures, {} tables, {} warnings",
        r.pages,
        r.empty_pages.len(),
        r.counts.sections,
        r.counts.procedures,
        r.counts.tables,
        r.counts.warnings
    );
    if r.counts.sections == 0 {
        let _ = writeln!(
            out,
            "no structure found: no headings were recognised; citations will name pages only"
        );
    }
    let _ = writeln!(out);
    for s in &r.sections {
        let indent = "  ".repeat(s.level.saturating_sub(1) as usize);
        let heading = if s.level == 0 {
            "(before the first heading)"
        } else {
            s.heading
        };
        let pages = if s.page_end > s.page {
            format!("p.{}-{}", s.page, s.page_end)
        } else {
            format!("p.{}", s.page)
        };
        let blocks: Vec<String> = s.blocks.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(
            out,
            "{indent}{heading}  [{pages}]{}",
            if blocks.is_empty() {
                String::new()
            } else {
                format!("  {}", blocks.join(", "))
            }
        );
    }
    if !r.warnings_found.is_empty() {
        let _ = writeln!(out, "\nsafety notices:");
        for w in &r.warnings_found {
            let first: String = w.text.lines().collect::<Vec<_>>().join(" ");
            let short: String = first.chars().take(100).collect();
            let _ = writeln!(out, "  p.{} {}: {}", w.page, w.kind, short);
        }
    }
    for w in r.parser_warnings {
        let _ = writeln!(out, "parser warning: {w}");
    }
    out
}
