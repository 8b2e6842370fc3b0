//! Shared helpers for the integration tests: PDF generation, a fake tokenizer, sources.
#![allow(dead_code)]

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};
use nic_ingest::SourceFile;
use std::path::{Path, PathBuf};

/// Word-count-based stand-in for the embedder's tokenizer (~4/3 tokens per word).
pub fn fake_tokens(s: &str) -> usize {
    (s.split_whitespace().count() * 4).div_ceil(3)
}

pub fn source(doc: &str, domain: &str) -> SourceFile {
    SourceFile {
        path: PathBuf::from(doc),
        doc: doc.to_string(),
        domain: domain.to_string(),
        size: 1,
    }
}

/// The real corpus, or `None` (with a message) when it is absent.
pub fn corpus() -> Option<PathBuf> {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ));
    if p.is_dir() {
        Some(p.to_path_buf())
    } else {
        eprintln!("skipping: shared corpus not found at {}", p.display());
        None
    }
}

/// Builds a PDF document with one page per entry, each a list of text lines in Helvetica.
/// An empty list gives a blank page.
pub fn pdf_document(pages: &[Vec<String>], title: Option<&str>) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids = Vec::new();
    for lines in pages {
        let mut ops = Vec::new();
        if !lines.is_empty() {
            ops.push(Operation::new("BT", vec![]));
            ops.push(Operation::new("Tf", vec!["F1".into(), 11.into()]));
            ops.push(Operation::new("TL", vec![14.into()]));
            ops.push(Operation::new("Td", vec![72.into(), 720.into()]));
            for line in lines {
                ops.push(Operation::new(
                    "Tj",
                    vec![Object::string_literal(line.as_str())],
                ));
                ops.push(Operation::new("T*", vec![]));
            }
            ops.push(Operation::new("ET", vec![]));
        }
        let content = Content { operations: ops };
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    if let Some(t) = title {
        let info_id = doc.add_object(dictionary! { "Title" => Object::string_literal(t) });
        doc.trailer.set("Info", info_id);
    }
    doc
}

pub fn pdf_bytes(pages: &[Vec<String>], title: Option<&str>) -> Vec<u8> {
    let mut doc = pdf_document(pages, title);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

pub fn lines(ls: &[&str]) -> Vec<String> {
    ls.iter().map(|s| s.to_string()).collect()
}
