//! Targets `extract-pdf`, `extract-html`, `extract-text`: the extractors through
//! `nic_ingest::extract_file`, the path `nic ingest` takes (size checks, the PDF worker with
//! its time limit and guard, the pdftotext/pdftohtml fallbacks when installed), then what
//! ingest does next with the document (chunking, the outline). Invariants checked on every
//! extracted document: [`check_doc`].

use crate::bytes::{self, pick};
use crate::engine::{Outcome, Scratch, Target};
use crate::seeds;
use nic_core::ExtractedDoc;
use nic_ingest::{ChunkOptions, ExtractError, ExtractOptions, SourceFile};
use rand::rngs::StdRng;
use rand::Rng;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The PDF time limit inside NIC (`NOVA_PDF_TIMEOUT_S`) for fuzzing; the target's own
/// limit leaves room for the worker, pdftotext and pdftohtml each using it.
const PDF_TIMEOUT: Duration = Duration::from_secs(5);

pub static PDF: Target = Target {
    name: "extract-pdf",
    about: "PDF extraction (lopdf + pdf-extract in NIC's worker, poppler fallbacks), chunking",
    max_len: 6 << 20,
    time_limit: Duration::from_secs(40),
    dictionary: &[
        b"obj",
        b"endobj",
        b"stream\n",
        b"\nendstream",
        b"<<",
        b">>",
        b"[",
        b"]",
        b" 0 R",
        b"/Type",
        b"/Page",
        b"/Pages",
        b"/Kids",
        b"/Count",
        b"/Contents",
        b"/Length",
        b"/Filter",
        b"/FlateDecode",
        b"/LZWDecode",
        b"/ASCII85Decode",
        b"/ObjStm",
        b"/XRef",
        b"/Font",
        b"/Encoding",
        b"/Differences",
        b"/ToUnicode",
        b"/Outlines",
        b"/First",
        b"/Next",
        b"/Parent",
        b"/Dest",
        b"/Encrypt",
        b"BT",
        b"ET",
        b"Tj",
        b"TJ",
        b"Tf",
        b"Td",
        b"Tm",
        b"T*",
        b"'",
        b"q",
        b"Q",
        b"cm",
        b"Do",
        b"BI",
        b"ID",
        b"EI",
        b"xref",
        b"trailer",
        b"startxref",
        b"%%EOF",
        b"(",
        b")",
        b"\\",
        b"<FEFF>",
        b"%PDF-1.7",
    ],
    seeds: pdf_seeds,
    structured: Some(mutate_pdf),
    run: |s, i| extract(s, i, "pdf"),
    describe: None,
};

pub static HTML: Target = Target {
    name: "extract-html",
    about: "HTML extraction (scraper/html5ever, headings, lists, tables), chunking",
    max_len: 1 << 20,
    time_limit: Duration::from_secs(30),
    dictionary: &[
        b"<h1>",
        b"</h1>",
        b"<h2>",
        b"<h3 id=x>",
        b"</h3>",
        b"<p>",
        b"</p>",
        b"<div>",
        b"</div>",
        b"<ul>",
        b"<ol start=3>",
        b"<li>",
        b"</li>",
        b"<table>",
        b"<tr>",
        b"<td>",
        b"<th>",
        b"</td>",
        b"<br>",
        b"<pre>",
        b"<script>",
        b"</script>",
        b"<style>",
        b"<!--",
        b"-->",
        b"<",
        b">",
        b"</",
        b"&amp;",
        b"&#x110000;",
        b"&nbsp;",
        b"<b>WARNING:</b>",
        b"<nav>",
        b"<caption>",
        b"<frameset>",
        b"<template>",
        b"<svg>",
        b"<math>",
        b"<![CDATA[",
    ],
    seeds: html_seeds,
    structured: Some(mutate_html),
    run: |s, i| extract(s, i, "html"),
    describe: None,
};

pub static TEXT: Target = Target {
    name: "extract-text",
    about: "TXT/MD extraction (decoding, page markers, form feeds), structure, chunking",
    max_len: 1 << 20,
    time_limit: Duration::from_secs(30),
    dictionary: &[
        b"\x0c",
        b"--- PAGE 4294967296 ---",
        b"--- PAGE 0 ---",
        b"\n--- PAGE 2 ---\n",
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"\xfe\xff",
        b"\r\n",
        b"\r",
        b"# ",
        b"## ",
        b"SECTION ",
        b"WARNING: ",
        b"1. ",
        b"a) ",
        b"| a | b |",
        b"**",
        b"Para 1-2 ",
        b"1.2.3 ",
    ],
    seeds: text_seeds,
    structured: Some(super::structure::mutate_text),
    // .txt or .md by the input's length: both go through the same extractor.
    run: |s, i| extract(s, i, if i.len() % 2 == 0 { "txt" } else { "md" }),
    describe: None,
};

fn extract(scratch: &mut Scratch, input: &[u8], ext: &str) -> Outcome {
    let path = scratch.path(&format!("manual.{ext}"));
    if let Err(e) = std::fs::write(&path, input) {
        return Outcome::Contained(format!("cannot write the scratch file: {e}"));
    }
    let opts = ExtractOptions {
        pdf_timeout: PDF_TIMEOUT,
        ..ExtractOptions::default()
    };
    match nic_ingest::extract_file(&path, &opts) {
        Ok(doc) => {
            check_doc(&doc, &path);
            Outcome::Accepted
        }
        Err(e @ (ExtractError::PdfCrashed(_) | ExtractError::PdfTimeout { .. })) => {
            Outcome::Contained(e.to_string())
        }
        Err(e) => {
            let _ = e.to_string();
            Outcome::Rejected
        }
    }
}

/// A word count standing in for the embedder's tokenizer (~4/3 tokens per word).
fn fake_tokens(s: &str) -> usize {
    (s.split_whitespace().count() * 4).div_ceil(3)
}

/// What ingest does with an extracted document, plus the invariants the types document.
pub(crate) fn check_doc(doc: &ExtractedDoc, path: &Path) {
    let pages: std::collections::HashMap<u32, &str> = doc
        .pages
        .iter()
        .map(|p| (p.number, p.text.as_str()))
        .collect();
    assert_eq!(pages.len(), doc.pages.len(), "two pages with one number");
    for p in &doc.pages {
        assert!(p.number >= 1, "page number 0");
        for m in &p.sections {
            assert!(
                p.text.is_char_boundary(m.offset),
                "section mark at byte {} of page {} ({} bytes): outside or inside a character",
                m.offset,
                p.number,
                p.text.len()
            );
        }
    }
    let tree = &doc.tree;
    for (i, s) in tree.sections.iter().enumerate() {
        assert_eq!(s.id as usize, i, "section ids are their indexes");
        if let Some(parent) = s.parent {
            assert!(parent < s.id, "section {i}: parent {parent} is not earlier");
            let pl = tree.sections[parent as usize].level;
            assert_eq!(
                s.level as u32,
                pl as u32 + 1,
                "section {i}: level is not its depth"
            );
        }
        assert!(
            s.first_block <= s.end_block && s.end_block as usize <= tree.blocks.len(),
            "section {i}: blocks {}..{} of {}",
            s.first_block,
            s.end_block,
            tree.blocks.len()
        );
        let _ = tree.path(s.id);
        let _ = tree.subtree_end(s.id);
    }
    for (i, b) in tree.blocks.iter().enumerate() {
        assert!(
            (b.section as usize) < tree.sections.len().max(1),
            "block {i}: no section {}",
            b.section
        );
        let text = pages.get(&b.page).copied();
        assert!(text.is_some(), "block {i}: no page {}", b.page);
        let text = text.unwrap_or_default();
        assert!(
            text.get(b.start..b.end).is_some(),
            "block {i}: bytes {}..{} not in page {} ({} bytes)",
            b.start,
            b.end,
            b.page,
            text.len()
        );
        assert!(
            b.char_start <= b.char_end && b.char_end <= text.chars().count(),
            "block {i}: chars {}..{} not in page {}",
            b.char_start,
            b.char_end,
            b.page
        );
    }
    let _ = tree.counts();
    let src = SourceFile {
        path: PathBuf::from(path),
        doc: "fuzz/manual".into(),
        domain: "fuzz".into(),
        size: 1,
    };
    let chunks = nic_ingest::chunk_document(doc, &src, &ChunkOptions::default(), &fake_tokens);
    for c in &chunks {
        let text = pages.get(&c.page).copied();
        assert!(
            text.is_some(),
            "a chunk on page {}, which is not extracted",
            c.page
        );
        let n = text.unwrap_or_default().chars().count();
        assert!(
            c.char_start <= c.char_end && c.char_end <= n,
            "chunk chars {}..{} outside page {} ({n} chars)",
            c.char_start,
            c.char_end,
            c.page
        );
        assert!(c.block_start <= c.block_end && c.block_end as usize <= tree.blocks.len());
        let _ = c.section_display();
    }
    let _ = nic_ingest::render_outline(doc);
    let _ = serde_json::to_string(&nic_ingest::outline_report(doc));
}

fn pdf_seeds(corpus: Option<&Path>) -> Vec<Vec<u8>> {
    let mut s = seeds::builtin_pdfs();
    if let Some(c) = corpus {
        // Real manuals are slow to extract (0.5–2 s each): the small ones only.
        s.extend(seeds::corpus_files(c, &["pdf"], 8, 2 << 20));
    }
    s
}

fn html_seeds(corpus: Option<&Path>) -> Vec<Vec<u8>> {
    let mut s = vec![seeds::MANUAL_HTML.as_bytes().to_vec()];
    if let Some(c) = corpus {
        s.extend(seeds::corpus_files(c, &["html", "htm"], 48, 512 << 10));
    }
    s
}

fn text_seeds(corpus: Option<&Path>) -> Vec<Vec<u8>> {
    let mut s = vec![
        seeds::MANUAL_TXT.as_bytes().to_vec(),
        seeds::MANUAL_MD.as_bytes().to_vec(),
        b"one line".to_vec(),
        // UTF-16 with a BOM, and Windows-1252.
        {
            let mut v = vec![0xff, 0xfe];
            for u in "SECTION 1\r\nWARNING: hot\r\n".encode_utf16() {
                v.extend_from_slice(&u.to_le_bytes());
            }
            v
        },
        b"Temp\xe9rature 20\xb0C\n1. Step\n".to_vec(),
    ];
    if let Some(c) = corpus {
        s.extend(seeds::corpus_files(c, &["txt", "md"], 16, 512 << 10));
    }
    s
}

// ---------------------------------------------------------------- PDF mutations

/// (start, end) of each stream's data.
fn streams(d: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for s in bytes::find_all(d, b"stream") {
        // "endstream" also contains "stream": skip those.
        if s >= 3 && &d[s - 3..s] == b"end" {
            continue;
        }
        let mut a = s + 6;
        if d.get(a) == Some(&b'\r') {
            a += 1;
        }
        if d.get(a) == Some(&b'\n') {
            a += 1;
        }
        if let Some(e) = d[a.min(d.len())..]
            .windows(9)
            .position(|w| w == b"endstream")
        {
            out.push((a, a + e));
        }
        if out.len() > 256 {
            break;
        }
    }
    out
}

const CONTENT_OPS: &[&str] = &[
    "BT",
    "ET",
    "(text) Tj",
    "[(a) -120 (b)] TJ",
    "/F1 12 Tf",
    "/F9 0 Tf",
    "1 0 0 1 72 720 Tm",
    "0 -14 Td",
    "T*",
    "(x) '",
    "q",
    "Q",
    "1 0 0 1 0 0 cm",
    "/Im1 Do",
    "/X Do",
    "1e30 1e30 Td",
    "-0 0 Td",
    "12 TL",
    "3 Tr",
    "BI /W 1 /H 1 ID \u{0} EI",
    "(\\376\\377\\000A) Tj",
    "<FEFF0041> Tj",
    "(unbalanced Tj",
    "99999999999 Tz",
    "[",
    "]",
    "<<",
    ">>",
    "/Name",
    "%comment",
];

fn content(rng: &mut StdRng) -> String {
    let mut c = String::from("BT /F1 11 Tf 72 720 Td\n");
    for _ in 0..rng.gen_range(1..40) {
        if rng.gen_bool(0.5) {
            let line = super::structure::gen_line(rng).replace(['(', ')', '\\'], "");
            c.push_str(&format!("({line}) Tj T*\n"));
        } else {
            c.push_str(pick(rng, CONTENT_OPS));
            c.push('\n');
        }
    }
    c.push_str("ET\n");
    c
}

fn mutate_pdf(rng: &mut StdRng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut d = input.to_vec();
    match rng.gen_range(0..11) {
        0 => {
            // Mutate inside a stream (compressed data or content operators).
            let st = streams(&d);
            if !st.is_empty() {
                let (a, b) = st[rng.gen_range(0..st.len())];
                let inner = bytes::mutate(rng, d[a..b].to_vec(), &[], PDF.dictionary, PDF.max_len);
                d.splice(a..b, inner);
            }
        }
        1 => {
            // New content for a stream, compressed when the stream says FlateDecode.
            let st = streams(&d);
            if !st.is_empty() {
                let (a, b) = st[rng.gen_range(0..st.len())];
                let dict = &d[a.saturating_sub(200)..a];
                let flate = !bytes::find_all(dict, b"FlateDecode").is_empty();
                let mut c = content(rng).into_bytes();
                if rng.gen_bool(0.2) {
                    let n = *[300usize, 5000, 50000]
                        .get(rng.gen_range(0..3))
                        .unwrap_or(&300);
                    let o: &str = pick(rng, &["[", "<<", "q "]);
                    c.extend_from_slice(&bytes::nested(o, None, n));
                }
                let c = if flate {
                    let s = seeds::stream(&c, true);
                    // seeds::stream wraps a dictionary around it: take the data back out.
                    streams(&s)
                        .first()
                        .map(|&(x, y)| s[x..y].to_vec())
                        .unwrap_or(c)
                } else {
                    c
                };
                d.splice(a..b, c);
            }
        }
        2 => {
            // An xref offset, a startxref, a /Size, a /Length or /Count: any number.
            let n = if rng.gen() {
                pick(rng, bytes::INTERESTING_NUMBERS).to_string()
            } else {
                rng.gen_range(0..d.len().max(1) + 10).to_string()
            };
            bytes::replace_number(rng, &mut d, n.as_bytes());
        }
        3 => {
            // Retarget a reference: cycles, self references, missing objects.
            let refs = bytes::find_all(&d, b" 0 R");
            if !refs.is_empty() {
                let at = refs[rng.gen_range(0..refs.len())];
                let start = d[..at]
                    .iter()
                    .rposition(|c| !c.is_ascii_digit())
                    .map_or(0, |p| p + 1);
                let n = rng.gen_range(0..40).to_string();
                d.splice(start..at, n.into_bytes());
            }
        }
        4 => {
            // Deep nesting, the stack-overflow shape.
            let n = *[257usize, 1000, 5000, 100_000]
                .get(rng.gen_range(0..4))
                .unwrap_or(&5000);
            let o: &str = pick(rng, &["[", "<<", "<< /A ", "[[<<"]);
            let nest = bytes::nested(o, None, n);
            let objs = bytes::find_all(&d, b"obj\n");
            let at = if objs.is_empty() || rng.gen_bool(0.3) {
                rng.gen_range(0..=d.len())
            } else {
                objs[rng.gen_range(0..objs.len())] + 4
            };
            d.splice(at..at, nest);
        }
        5 => {
            let names: &[&[u8]] = &[
                b"/FlateDecode",
                b"/LZWDecode",
                b"/ASCII85Decode",
                b"/ASCIIHexDecode",
                b"/RunLengthDecode",
                b"/DCTDecode",
                b"/Crypt",
                b"/Page",
                b"/Pages",
                b"/Font",
                b"/Outlines",
                b"/ObjStm",
                b"/XRef",
            ];
            let from = names[rng.gen_range(0..names.len())];
            let to = names[rng.gen_range(0..names.len())];
            let hits = bytes::find_all(&d, from);
            if !hits.is_empty() {
                let at = hits[rng.gen_range(0..hits.len())];
                d.splice(at..at + from.len(), to.iter().copied());
            }
        }
        6 => {
            // Duplicate or drop an object.
            let starts = bytes::find_all(&d, b" 0 obj");
            if !starts.is_empty() {
                let s = starts[rng.gen_range(0..starts.len())];
                let s = d[..s]
                    .iter()
                    .rposition(|c| !c.is_ascii_digit())
                    .map_or(0, |p| p + 1);
                if let Some(e) = d[s..].windows(6).position(|w| w == b"endobj") {
                    let obj = d[s..s + e + 6].to_vec();
                    if rng.gen() {
                        let at = bytes::find_all(&d, b"xref")
                            .last()
                            .copied()
                            .unwrap_or(d.len());
                        d.splice(at..at, obj.into_iter().chain(*b"\n"));
                    } else {
                        d.drain(s..s + e + 6);
                    }
                }
            }
        }
        7 => match rng.gen_range(0..4) {
            0 => {
                if let Some(&e) = bytes::find_all(&d, b"%%EOF").last() {
                    d.truncate(e);
                }
            }
            1 => {
                let cut = rng.gen_range(0..=d.len());
                d.truncate(cut);
                d.extend_from_slice(b"\n%%EOF\n");
            }
            2 => {
                // An incremental update whose trailer points back at itself.
                let at = d.len();
                d.extend_from_slice(
                    format!("\n99 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\nxref\n99 1\n{:010} 00000 n \ntrailer\n<< /Size 100 /Root 99 0 R /Prev {at} >>\nstartxref\n{at}\n%%EOF\n", at + 1).as_bytes(),
                );
            }
            _ => {
                if let Some(t) = bytes::find_all(&d, b"trailer").last().copied() {
                    if let Some(o) = d[t..].windows(2).position(|w| w == b"<<") {
                        let enc: &str = pick(
                            rng,
                            &[
                                " /Encrypt 1 0 R",
                                " /Encrypt << /Filter /Standard /V 2 >>",
                                " /Root 0 0 R",
                                " /Size -1",
                                " /Info 999 0 R",
                            ],
                        );
                        d.splice(t + o + 2..t + o + 2, enc.bytes());
                    }
                }
            }
        },
        8 => {
            // Splice the objects of another seed in.
            if !seeds.is_empty() {
                let other = &seeds[rng.gen_range(0..seeds.len())];
                if !other.is_empty() {
                    let (a, b) = bytes::range(rng, other.len());
                    let at = rng.gen_range(0..=d.len());
                    d.splice(at..at, other[a..b].iter().copied());
                }
            }
        }
        _ => {
            // A fresh document with generated pages.
            let n = rng.gen_range(1..6);
            let pages: Vec<Vec<String>> = (0..n)
                .map(|_| {
                    (0..rng.gen_range(0..25))
                        .map(|_| super::structure::gen_line(rng))
                        .collect()
                })
                .collect();
            let refs: Vec<Vec<&str>> = pages
                .iter()
                .map(|p| p.iter().map(String::as_str).collect())
                .collect();
            let refs2: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
            d = seeds::pdf(
                &refs2,
                rng.gen(),
                rng.gen(),
                rng.gen_bool(0.5).then_some("Title (x)"),
            );
        }
    }
    d
}

// ---------------------------------------------------------------- HTML mutations

const NEST_TAGS: &[(&str, &str)] = &[
    ("<div>", "</div>"),
    ("<ul><li>", "</li></ul>"),
    ("<ol><li>", "</li></ol>"),
    ("<table><tr><td>", "</td></tr></table>"),
    ("<b>", "</b>"),
    ("<span>", "</span>"),
    ("<section>", "</section>"),
    ("<blockquote>", "</blockquote>"),
    ("<h2>", "</h2>"),
    ("<p>", "</p>"),
    ("<a href=x>", "</a>"),
    ("<font>", "</font>"),
    ("<li>", ""),
    ("<td>", ""),
    ("<dl><dd>", "</dd></dl>"),
];

const BROKEN: &[&str] = &[
    "<",
    "</",
    "<h2",
    "<h2>",
    "</h2>",
    "<h7>",
    "<!--",
    "-->",
    "<![CDATA[",
    "<script>",
    "</script>",
    "<style>",
    "<table>",
    "<tr>",
    "<td colspan=99999999 rowspan=99999999>",
    "<ol start=-5>",
    "<li value=4294967296>",
    "&#x110000;",
    "&#0;",
    "&amp",
    "&",
    "<br/>",
    "<pre>",
    "<?xml?>",
    "<!DOCTYPE>",
    "<svg><math>",
    "<template>",
    "<noscript>",
    "<textarea>",
    "<plaintext>",
    "<h1 class='x'>",
    "</body>",
    "</html><p>after",
    "<frameset>",
    "<select><option>",
    "\0",
    "<table><caption>",
    "<th>",
    "<h3>WARNING</h3>",
    "<b>CAUTION:</b>",
];

const HEAD_TAGS: &[&str] = &[
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "li", "td", "th", "table", "pre", "b",
];

fn tags(d: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < d.len() && out.len() < 4096 {
        if d[i] == b'<' {
            if let Some(e) = d[i..].iter().take(256).position(|&c| c == b'>') {
                out.push((i, i + e + 1));
                i += e + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

fn mutate_html(rng: &mut StdRng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut d = input.to_vec();
    match rng.gen_range(0..7) {
        0 => {
            let (o, c) = NEST_TAGS[rng.gen_range(0..NEST_TAGS.len())];
            let n = *[100usize, 512, 1000, 5000, 20000]
                .get(rng.gen_range(0..5))
                .unwrap_or(&512);
            let close = (rng.gen_bool(0.5) && !c.is_empty()).then_some(c);
            let mut nest = bytes::nested(o, None, n);
            nest.extend_from_slice(b"Deep text 1.2 Check");
            if let Some(c) = close {
                nest.extend_from_slice(c.repeat(n).as_bytes());
            }
            let at = bytes::find_all(&d, b"<body>")
                .first()
                .map_or_else(|| rng.gen_range(0..=d.len()), |b| b + 6);
            d.splice(at..at, nest);
        }
        1 => {
            let b: &str = pick(rng, BROKEN);
            bytes::insert(rng, &mut d, b.as_bytes());
        }
        2 => {
            let t = tags(&d);
            if !t.is_empty() {
                let (a, b) = t[rng.gen_range(0..t.len())];
                match rng.gen_range(0..4) {
                    0 => {
                        d.drain(a..b);
                    }
                    1 => {
                        let tag = d[a..b].to_vec();
                        let times = if rng.gen_bool(0.2) {
                            rng.gen_range(2..3000)
                        } else {
                            2
                        };
                        d.splice(a..a, tag.repeat(times - 1));
                    }
                    2 => {
                        let (c, e) = t[rng.gen_range(0..t.len())];
                        let other = d[c..e].to_vec();
                        if c >= b {
                            let mine = d[a..b].to_vec();
                            d.splice(c..e, mine);
                            d.splice(a..b, other);
                        }
                    }
                    _ => {
                        let closing = d.get(a + 1) == Some(&b'/');
                        let name: &str = pick(rng, HEAD_TAGS);
                        let new = if closing {
                            format!("</{name}>")
                        } else {
                            format!("<{name}>")
                        };
                        d.splice(a..b, new.into_bytes());
                    }
                }
            }
        }
        3 => {
            // Drop every closing tag of one kind.
            let name: &str = pick(rng, HEAD_TAGS);
            let close = format!("</{name}>");
            let hits = bytes::find_all(&d, close.as_bytes());
            for &h in hits.iter().rev() {
                d.drain(h..h + close.len());
            }
        }
        4 => {
            let line = super::structure::gen_line(rng);
            let name: &str = pick(rng, HEAD_TAGS);
            let s = format!("<{name}>{}</{name}>", line.replace('<', "&lt;"));
            let t = tags(&d);
            let at = t
                .get(rng.gen_range(0..t.len().max(1)))
                .map_or(d.len(), |x| x.1);
            d.splice(at..at, s.into_bytes());
        }
        5 => {
            // A large table.
            let rows = rng.gen_range(1..400);
            let cols = rng.gen_range(1..20);
            let mut s = String::from("<table><tr>");
            for c in 0..cols {
                s.push_str(&format!("<th>H{c}</th>"));
            }
            s.push_str("</tr>");
            for r in 0..rows {
                s.push_str("<tr>");
                for c in 0..cols {
                    s.push_str(&format!("<td>{r}.{c} mm</td>"));
                }
                s.push_str("</tr>");
            }
            s.push_str("</table>");
            bytes::insert(rng, &mut d, s.as_bytes());
        }
        _ => {
            // Splice another page in at a tag boundary.
            if !seeds.is_empty() {
                let other = &seeds[rng.gen_range(0..seeds.len())];
                let t = tags(other);
                if !t.is_empty() {
                    let from = t[rng.gen_range(0..t.len())].0;
                    let mine = tags(&d);
                    let cut = mine
                        .get(rng.gen_range(0..mine.len().max(1)))
                        .map_or(d.len(), |x| x.0);
                    d.truncate(cut);
                    d.extend_from_slice(&other[from..]);
                }
            }
        }
    }
    d
}
