//! HTML extraction: visible text only, title, breadcrumbs or h1–h3 as the section path.

mod common;

use nic_ingest::{extract_file, ExtractOptions};
use std::path::PathBuf;

fn write(dir: &tempfile::TempDir, name: &str, html: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, html).unwrap();
    p
}

const PAGE: &str = r#"<!DOCTYPE html><html><head>
<title>Alternator Test | Acme Service Manual</title>
<style>body { color: red } .secret { display: none }</style>
<script>var tracking = "SCRIPT_TEXT";</script>
</head><body>
<header class="site-header"><a href="/">Acme</a> HEADER_TEXT</header>
<nav><ul><li><a href="/a">NAV_TEXT</a></li></ul></nav>
<nav aria-label="breadcrumb"><ol class="breadcrumb">
  <li><a href="/">Home</a></li><li><a href="/charging">Charging System</a></li>
  <li aria-current="page">Alternator Test</li></ol></nav>
<main>
<h1>Alternator Test</h1>
<p>Check the drive belt tension first.
   The belt must deflect 10 mm.</p>
<div class="note" style="display: none">HIDDEN_TEXT</div>
<noscript>NOSCRIPT_TEXT</noscript>
<template><p>TEMPLATE_TEXT</p></template>
<svg><text>SVG_TEXT</text></svg>
<ol><li>Connect the voltmeter.</li><li>Start the engine.</li></ol>
<table><tr><th>Speed</th><th>Voltage</th></tr><tr><td>Idle</td><td>13.8&nbsp;V</td></tr></table>
<p>Line one<br>line two<br><br>New paragraph &amp; more.</p>
</main>
<footer>FOOTER_TEXT</footer>
</body></html>"#;

#[test]
fn only_visible_text_with_structure() {
    let dir = tempfile::tempdir().unwrap();
    let doc = extract_file(&write(&dir, "alt.html", PAGE), &ExtractOptions::default()).unwrap();
    assert_eq!(doc.title, "Alternator Test | Acme Service Manual");
    assert_eq!(doc.pages.len(), 1);
    let p = &doc.pages[0];
    assert_eq!(p.number, 1);
    for hidden in [
        "SCRIPT_TEXT",
        "HEADER_TEXT",
        "NAV_TEXT",
        "HIDDEN_TEXT",
        "NOSCRIPT_TEXT",
        "TEMPLATE_TEXT",
        "SVG_TEXT",
        "FOOTER_TEXT",
        "color: red",
        "Home",
    ] {
        assert!(
            !p.text.contains(hidden),
            "{hidden} leaked into:\n{}",
            p.text
        );
    }
    assert!(p
        .text
        .contains("Check the drive belt tension first. The belt must deflect 10 mm."));
    assert!(
        p.text
            .contains("1. Connect the voltmeter.\n\n2. Start the engine."),
        "{}",
        p.text
    );
    assert!(
        p.text.contains("Speed | Voltage\nIdle | 13.8 V"),
        "{}",
        p.text
    );
    assert!(
        p.text
            .contains("Line one\nline two\n\nNew paragraph & more."),
        "{}",
        p.text
    );
    assert!(p.text.starts_with("Alternator Test\n\nCheck"), "{}", p.text);
}

#[test]
fn breadcrumbs_give_the_section_path() {
    let dir = tempfile::tempdir().unwrap();
    let doc = extract_file(&write(&dir, "alt.htm", PAGE), &ExtractOptions::default()).unwrap();
    let p = &doc.pages[0];
    assert_eq!(p.sections.len(), 1);
    assert_eq!(p.sections[0].offset, 0);
    assert_eq!(
        p.sections[0].path,
        vec!["Charging System", "Alternator Test"]
    );
}

#[test]
fn headings_give_the_section_path_without_breadcrumbs() {
    let dir = tempfile::tempdir().unwrap();
    let html = "<html><head><title>Brakes</title></head><body>\
        <h1>Brakes</h1><p>Intro text.</p>\
        <h2>Front Brakes</h2><p>Front pads wear faster.</p>\
        <h3>Pad Removal</h3><p>Remove the two <b>caliper</b> bolts.</p>\
        <h2>Rear Brakes</h2><p>Rear drums need adjustment.</p></body></html>";
    let doc = extract_file(
        &write(&dir, "brakes.HTML", html),
        &ExtractOptions::default(),
    )
    .unwrap();
    let p = &doc.pages[0];
    let at = |needle: &str| p.section_at(p.text.find(needle).unwrap()).unwrap().clone();
    assert_eq!(at("Intro text"), vec!["Brakes"]);
    assert_eq!(at("Front pads"), vec!["Brakes", "Front Brakes"]);
    assert_eq!(
        at("caliper bolts"),
        vec!["Brakes", "Front Brakes", "Pad Removal"]
    );
    assert_eq!(at("Rear drums"), vec!["Brakes", "Rear Brakes"]);
    // Each mark sits exactly at its heading's text.
    for m in &p.sections {
        assert!(p.text[m.offset..].starts_with(m.path.last().unwrap().as_str()));
    }
}

#[test]
fn page_of_scripts_is_an_empty_page_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut html = String::from("<html><head><title>App</title></head><body>");
    for i in 0..200 {
        html.push_str(&format!(
            "<script>console.log({i}); document.write('x');</script>"
        ));
    }
    html.push_str("</body></html>");
    let doc = extract_file(&write(&dir, "app.html", &html), &ExtractOptions::default()).unwrap();
    assert!(doc.pages.is_empty());
    assert_eq!(doc.empty_pages, vec![1]);
}

/// Issue 11/16: a page nested 200,000 elements deep (html5ever is quadratic in the depth)
/// is read with its text, its table with ragged rows and a warning, never a hang or a panic.
#[test]
fn pathologically_deep_nesting_is_flattened_and_its_text_kept() {
    let dir = tempfile::tempdir().unwrap();
    let n = 200_000;
    let page = format!(
        "<html><body><h1>Belt Guard</h1>{}<h2>Deep Check</h2><p>Check the belt tension.</p>\
         <table><tr><th>Item</th><th>Torque</th></tr><tr><td>Guard bolt</td></tr>\
         <tr><td>Idler</td><td>25 N·m</td><td>extra cell</td></tr></table>{}</body></html>",
        "<div><span>".repeat(n),
        "</span></div>".repeat(n)
    );
    let doc = extract_file(&write(&dir, "deep.html", &page), &ExtractOptions::default()).unwrap();
    let text = &doc.pages[0].text;
    assert!(text.contains("Check the belt tension."), "{text:.200}");
    assert!(text.contains("25 N·m"));
    assert!(
        doc.warnings.iter().any(|w| w.contains("flattened")),
        "{:?}",
        doc.warnings
    );
    assert!(doc.tree.headings().any(|s| s.heading == "Belt Guard"));
}
