//! HTML extraction: the visible text of one page, its `<title>` and its section path.
//!
//! What a reader sees is what gets indexed: scripts, styles, navigation, site headers and
//! footers, templates, SVG and buttons are dropped, so that boilerplate repeated on 10,000
//! pages does not drown the manual's own words in search. Block elements become paragraph
//! breaks (the chunker splits there), `<br>` a line break, table rows lines with cells
//! separated by ` | `.
//!
//! The section path comes from the page's breadcrumbs when it has some (a service-manual site
//! knows exactly where a page sits: "Brakes > Front > Pads"), else from h1–h3 as they occur.
//! Heading positions are tracked through normalisation with a private-use sentinel character
//! placed right before the heading's first visible character, so the marks' byte offsets are
//! exact in the final text.

mod depth;

use crate::structure::{self, Headings, Hint};
use crate::text::decode_text;
use crate::ExtractError;
use ego_tree::iter::Edge;
use ego_tree::NodeRef;
use nic_core::text::{normalize, tidy_whitespace};
use nic_core::{ExtractedDoc, ExtractedPage, HeadingSource};
use scraper::node::Element;
use scraper::{ElementRef, Html, Node};

/// Marks a heading position in the raw text; never present in input (stripped).
const SENTINEL: char = '\u{E000}';

const SKIP_TAGS: &[&str] = &[
    "head", "script", "style", "noscript", "nav", "header", "footer", "template", "svg", "button",
    "select", "option", "iframe", "object", "canvas", "math", "datalist",
];
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "aside",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "caption",
    "hr",
    "figure",
    "figcaption",
    "address",
    "details",
    "summary",
    "fieldset",
    "form",
    "center",
    "body",
];
/// Class or id tokens of site chrome (exact, case-insensitive).
const BOILERPLATE: &[&str] = &[
    "header",
    "footer",
    "nav",
    "navbar",
    "navigation",
    "sidebar",
    "menu",
    "site-header",
    "site-footer",
    "skip-link",
    "cookie-banner",
    "toolbar",
];
const HOME_WORDS: &[&str] = &["home", "start", "index", "main page", "homepage", "top"];

pub(crate) fn extract_html(bytes: &[u8], stem: &str) -> Result<ExtractedDoc, ExtractError> {
    let mut warnings = Vec::new();
    let source = decode_text(bytes, &mut warnings)?;
    let (source, flattened) = depth::flatten(&source, depth::MAX_DEPTH);
    if flattened {
        warnings.push(format!(
            "elements nested deeper than {} levels were flattened (their text is kept)",
            depth::MAX_DEPTH
        ));
    }
    let html = Html::parse_document(&source);
    let title = find_title(&html);
    let crumbs = find_breadcrumbs(&html).map(|c| trim_crumbs(c, title.as_deref().unwrap_or("")));

    let mut w = Walker::default();
    w.walk(html.tree.root());
    let (text, offsets) = resolve_sentinels(&tidy_whitespace(&normalize(&w.out)));

    let hints: Vec<Hint> = w
        .headings
        .into_iter()
        .zip(offsets)
        .map(|((level, title), offset)| Hint {
            page: 1,
            offset,
            level: level as u8,
            title,
            source: HeadingSource::Html,
        })
        .collect();
    let title = title
        .or_else(|| hints.first().map(|h| h.title.clone()))
        .unwrap_or_else(|| stem.to_string());
    let mut doc = ExtractedDoc {
        title,
        warnings,
        ..Default::default()
    };
    if text.chars().any(char::is_alphanumeric) {
        doc.pages.push(ExtractedPage {
            number: 1,
            text,
            sections: Vec::new(),
        });
    } else {
        doc.empty_pages.push(1); // reported by the caller from `empty_pages`
    }
    let context = crumbs.unwrap_or_default();
    structure::build(
        &mut doc,
        Headings::Hints {
            hints,
            skip: &|_| false,
        },
        &context,
    );
    Ok(doc)
}

fn clean_inline(s: &str) -> String {
    normalize(s)
        .replace(SENTINEL, "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn element_text(node: NodeRef<'_, Node>) -> String {
    ElementRef::wrap(node).map_or_else(String::new, |e| clean_inline(&e.text().collect::<String>()))
}

fn find_title(html: &Html) -> Option<String> {
    html.tree
        .nodes()
        .find(|n| n.value().as_element().is_some_and(|e| e.name() == "title"))
        .map(element_text)
        .filter(|t| !t.is_empty())
}

fn attr_contains(e: &Element, needle: &str) -> bool {
    ["class", "id", "aria-label", "itemtype"]
        .iter()
        .filter_map(|a| e.attr(a))
        .any(|v| v.to_ascii_lowercase().contains(needle))
}

/// Items of the first breadcrumb trail: `<li>` texts when it is a list, else its links and
/// any plain-text segment (the current page is often not a link).
fn find_breadcrumbs(html: &Html) -> Option<Vec<String>> {
    let trail = html.tree.nodes().find(|n| {
        n.value()
            .as_element()
            .is_some_and(|e| attr_contains(e, "breadcrumb"))
    })?;
    let lis: Vec<String> = trail
        .descendants()
        .filter(|n| n.value().as_element().is_some_and(|e| e.name() == "li"))
        .map(element_text)
        .map(|t| strip_separators(&t).to_string())
        .filter(|t| !t.is_empty())
        .collect();
    if !lis.is_empty() {
        return Some(lis);
    }
    let mut items = Vec::new();
    let mut skip_inside: Option<ego_tree::NodeId> = None;
    for edge in trail.traverse() {
        match edge {
            Edge::Open(n) if skip_inside.is_none() => match n.value() {
                Node::Element(e) if e.name() == "a" => {
                    let t = element_text(n);
                    if !t.is_empty() {
                        items.push(t);
                    }
                    skip_inside = Some(n.id());
                }
                Node::Text(t) => {
                    let t = clean_inline(t);
                    let t = strip_separators(&t);
                    if !t.is_empty() {
                        items.push(t.to_string());
                    }
                }
                _ => {}
            },
            Edge::Close(n) if skip_inside == Some(n.id()) => skip_inside = None,
            _ => {}
        }
    }
    (!items.is_empty()).then_some(items)
}

fn strip_separators(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ">»›/|→:·•\\-–—".contains(c))
}

/// Drops "Home" and the leading items the page title already names (site, make, model),
/// keeping at least the last two items: "Brakes > Front > Pads", not "Home > VW > 1997 > …".
fn trim_crumbs(mut items: Vec<String>, title: &str) -> Vec<String> {
    while items.len() > 1 && HOME_WORDS.contains(&items[0].to_lowercase().as_str()) {
        items.remove(0);
    }
    let title = title.to_lowercase();
    while items.len() > 2 && title.contains(&items[0].to_lowercase()) {
        items.remove(0);
    }
    items
}

/// Walks the DOM once, appending visible text to `out`.
#[derive(Default)]
struct Walker {
    out: String,
    /// (level, title) of each h1–h6, in document order; one sentinel each in `out`.
    headings: Vec<(usize, String)>,
    pending_sentinels: usize,
    pre_depth: usize,
    cell_depth: usize,
    /// Next item number of each open list (`None` for unordered lists).
    lists: Vec<Option<u32>>,
}

impl Walker {
    fn walk(&mut self, root: NodeRef<'_, Node>) {
        let mut skipping: Option<ego_tree::NodeId> = None;
        for edge in root.traverse() {
            match edge {
                Edge::Open(node) => {
                    if skipping.is_some() {
                        continue;
                    }
                    match node.value() {
                        Node::Text(t) => self.text(t),
                        Node::Element(e) => {
                            if skipped(e) {
                                skipping = Some(node.id());
                            } else {
                                self.open(e, node);
                            }
                        }
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if skipping == Some(node.id()) {
                        skipping = None;
                    } else if skipping.is_none() {
                        if let Node::Element(e) = node.value() {
                            self.close(e);
                        }
                    }
                }
            }
        }
    }

    fn open(&mut self, e: &Element, node: NodeRef<'_, Node>) {
        let name = e.name();
        match name {
            "br" => self.brk("\n"),
            "tr" => self.brk("\n"),
            "td" | "th" => {
                let prev_cell = node.prev_siblings().any(|s| {
                    s.value()
                        .as_element()
                        .is_some_and(|p| matches!(p.name(), "td" | "th"))
                });
                if prev_cell {
                    self.out.push_str(" | ");
                }
                self.cell_depth += 1;
            }
            "li" => {
                self.brk("\n\n");
                if let Some(Some(n)) = self.lists.last_mut() {
                    let label = format!("{n}. ");
                    *n += 1;
                    self.text(&label);
                }
            }
            "ol" => {
                let start = e
                    .attr("start")
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(1);
                self.lists.push(Some(start));
                self.brk("\n\n");
            }
            "ul" => {
                self.lists.push(None);
                self.brk("\n\n");
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.brk("\n\n");
                let title = element_text(node);
                if !title.is_empty() {
                    self.headings
                        .push((usize::from(name.as_bytes()[1] - b'0'), title));
                    self.pending_sentinels += 1;
                }
            }
            "pre" => {
                self.pre_depth += 1;
                self.brk("\n\n");
            }
            _ if BLOCK_TAGS.contains(&name) => self.brk("\n\n"),
            _ => {}
        }
    }

    fn close(&mut self, e: &Element) {
        match e.name() {
            "td" | "th" => self.cell_depth = self.cell_depth.saturating_sub(1),
            "ol" | "ul" => {
                self.lists.pop();
                self.brk("\n\n");
            }
            "pre" => {
                self.pre_depth = self.pre_depth.saturating_sub(1);
                self.brk("\n\n");
            }
            "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" => self.brk("\n\n"),
            name if BLOCK_TAGS.contains(&name) => self.brk("\n\n"),
            _ => {}
        }
    }

    /// A line or paragraph break; inside a table cell only a space (the row stays one line).
    fn brk(&mut self, b: &str) {
        if self.cell_depth > 0 {
            self.out.push(' ');
        } else {
            self.out.push_str(b);
        }
    }

    fn text(&mut self, t: &str) {
        let keep_lines = self.pre_depth > 0 && self.cell_depth == 0;
        for c in t.chars() {
            let c = match c {
                SENTINEL => continue,
                '\n' | '\r' if keep_lines => c,
                c if c.is_whitespace() => ' ',
                c => c,
            };
            if self.pending_sentinels > 0 && !c.is_whitespace() {
                for _ in 0..self.pending_sentinels {
                    self.out.push(SENTINEL);
                }
                self.pending_sentinels = 0;
            }
            self.out.push(c);
        }
    }
}

fn skipped(e: &Element) -> bool {
    if SKIP_TAGS.contains(&e.name()) || e.attr("hidden").is_some() {
        return true;
    }
    if e.attr("aria-hidden")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || e.attr("role")
            .is_some_and(|v| v.eq_ignore_ascii_case("navigation"))
    {
        return true;
    }
    if e.attr("style").is_some_and(|s| {
        let s = s.to_ascii_lowercase().replace(' ', "");
        s.contains("display:none") || s.contains("visibility:hidden")
    }) {
        return true;
    }
    if attr_contains(e, "breadcrumb") {
        return true;
    }
    ["class", "id"].iter().filter_map(|a| e.attr(a)).any(|v| {
        v.split_whitespace()
            .any(|tok| BOILERPLATE.iter().any(|b| b.eq_ignore_ascii_case(tok)))
    })
}

/// Removes sentinels from tidy text, returning the text and each sentinel's byte offset.
fn resolve_sentinels(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut offsets = Vec::new();
    for c in s.chars() {
        if c == SENTINEL {
            offsets.push(out.len());
        } else {
            out.push(c);
        }
    }
    (out, offsets)
}
