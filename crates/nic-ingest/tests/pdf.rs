//! PDF extraction on documents generated here: page numbers, blank pages, title, bad files.

mod common;

use common::{lines, pdf_bytes, pdf_document};
use lopdf::{EncryptionState, EncryptionVersion, Permissions};
use nic_ingest::{extract_file, ExtractError, ExtractOptions};
use std::path::PathBuf;

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn three_pages() -> Vec<Vec<String>> {
    vec![
        lines(&[
            "1 INTRODUCTION",
            "This manual covers the hydraulic pump model HP-200.",
        ]),
        lines(&[
            "2 MAINTENANCE",
            "2.1 Filter Replacement",
            "Replace the filter every 500 hours.",
        ]),
        lines(&[
            "2.2 Seal Inspection",
            "Inspect the shaft seal for leaks at each service.",
        ]),
    ]
}

#[test]
fn pages_are_numbered_from_one_with_their_own_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "pump.pdf",
        &pdf_bytes(&three_pages(), Some("HP-200 Pump Service Manual")),
    );
    let doc = extract_file(&p, &ExtractOptions::default()).unwrap();
    assert_eq!(doc.title, "HP-200 Pump Service Manual");
    let numbers: Vec<u32> = doc.pages.iter().map(|p| p.number).collect();
    assert_eq!(numbers, vec![1, 2, 3]);
    assert!(doc.pages[0].text.contains("hydraulic pump model HP-200"));
    assert!(
        doc.pages[1].text.contains("every 500 hours") && !doc.pages[1].text.contains("shaft seal")
    );
    assert!(doc.pages[2].text.contains("shaft seal"));
    assert!(doc.empty_pages.is_empty());
}

#[test]
fn sections_come_from_heading_lines_and_carry_across_pages() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "pump.pdf", &pdf_bytes(&three_pages(), None));
    let doc = extract_file(&p, &ExtractOptions::default()).unwrap();
    assert_eq!(doc.title, "pump", "no Info title: the file stem");
    let p2 = &doc.pages[1];
    let at = p2.text.find("every 500 hours").unwrap();
    assert_eq!(
        p2.section_at(at).unwrap(),
        &vec!["2 MAINTENANCE", "2.1 Filter Replacement"]
    );
    let p3 = &doc.pages[2];
    assert_eq!(
        p3.section_at(0).unwrap(),
        &vec!["2 MAINTENANCE", "2.2 Seal Inspection"]
    );
}

#[test]
fn blank_page_is_reported_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let mut pages = three_pages();
    pages.insert(1, Vec::new());
    let p = write(&dir, "gap.pdf", &pdf_bytes(&pages, None));
    let doc = extract_file(&p, &ExtractOptions::default()).unwrap();
    assert_eq!(doc.empty_pages, vec![2]);
    let numbers: Vec<u32> = doc.pages.iter().map(|p| p.number).collect();
    assert_eq!(numbers, vec![1, 3, 4]);
}

#[test]
fn binary_junk_named_pdf_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let p = write(&dir, "junk.pdf", &junk);
    let err = extract_file(&p, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::NotPdf), "{err}");
    assert!(err.to_string().contains("not a PDF"));
}

#[test]
fn truncated_pdf_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = pdf_bytes(&three_pages(), None);
    let p = write(&dir, "cut.pdf", &bytes[..bytes.len() / 2]);
    let err = extract_file(&p, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::PdfTruncated), "{err}");
    assert!(err.to_string().contains("truncated"));
}

#[test]
fn header_only_pdf_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "hollow.pdf", b"%PDF-1.4\n% nothing here\n%%EOF\n");
    let err = extract_file(&p, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::PdfDamaged(_)), "{err}");
}

#[test]
fn encrypted_pdf_is_refused_with_a_remedy() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc = pdf_document(&three_pages(), None);
    let id = lopdf::Object::string_literal(b"0123456789abcdef".to_vec());
    doc.trailer.set("ID", vec![id.clone(), id]);
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner-secret",
        user_password: "user-secret",
        key_length: 128,
        permissions: Permissions::all(),
    })
    .unwrap();
    doc.encrypt(&state).unwrap();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let p = write(&dir, "locked.pdf", &bytes);
    let err = extract_file(&p, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::PdfEncrypted), "{err}");
    assert!(err.to_string().contains("decrypt"));
}

#[test]
fn outline_gives_the_section_path() {
    use lopdf::{dictionary, Object};
    let dir = tempfile::tempdir().unwrap();
    let mut doc = pdf_document(
        &[
            lines(&["Safety first. Read everything."]),
            lines(&["Brake Pads", "Measure pad thickness with a caliper."]),
        ],
        None,
    );
    let pages = doc.get_pages();
    let (p1, p2) = (pages[&1], pages[&2]);
    let outlines_id = doc.new_object_id();
    let chapter_id = doc.new_object_id();
    let pads_id = doc.add_object(dictionary! {
        "Title" => Object::string_literal("Brake Pads"),
        "Parent" => chapter_id,
        "Dest" => vec![p2.into(), "Fit".into()],
    });
    doc.objects.insert(
        chapter_id,
        Object::Dictionary(dictionary! {
            "Title" => Object::string_literal("Brakes"),
            "Parent" => outlines_id,
            "Dest" => vec![p1.into(), "Fit".into()],
            "First" => pads_id,
            "Last" => pads_id,
            "Count" => 1,
        }),
    );
    doc.objects.insert(
        outlines_id,
        Object::Dictionary(dictionary! {
            "Type" => "Outlines", "First" => chapter_id, "Last" => chapter_id, "Count" => 2,
        }),
    );
    let catalog = doc.catalog_mut().unwrap();
    catalog.set("Outlines", outlines_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let p = write(&dir, "outlined.pdf", &bytes);
    let doc = extract_file(&p, &ExtractOptions::default()).unwrap();
    let page2 = &doc.pages[1];
    let at = page2.text.find("caliper").unwrap();
    assert_eq!(page2.section_at(at).unwrap(), &vec!["Brakes", "Brake Pads"]);
    assert_eq!(doc.pages[0].section_at(0).unwrap(), &vec!["Brakes"]);
}

#[test]
fn extractor_panics_are_contained() {
    // pdf-extract panics (`expect("MediaBox")`) on pages without a MediaBox.
    let dir = tempfile::tempdir().unwrap();
    let mut doc = pdf_document(&three_pages(), None);
    let pages_id = doc
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    doc.get_object_mut(pages_id)
        .unwrap()
        .as_dict_mut()
        .unwrap()
        .remove(b"MediaBox");
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let p = write(&dir, "nobox.pdf", &bytes);
    let doc = extract_file(&p, &ExtractOptions::default()).unwrap();
    assert_eq!(doc.pages.len() + doc.empty_pages.len(), 3);
    eprintln!("warnings: {:?}", doc.warnings);
    if doc.pages.is_empty() {
        assert!(
            doc.warnings.iter().any(|w| w.contains("crashed")),
            "{:?}",
            doc.warnings
        );
    } else {
        // pdftotext is installed and recovered the text.
        assert!(
            doc.warnings.iter().any(|w| w.contains("pdftotext")),
            "{:?}",
            doc.warnings
        );
    }
}

#[test]
fn time_limit_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let pages: Vec<Vec<String>> = (0..400)
        .map(|i| {
            (0..40)
                .map(|l| format!("Page {i} line {l} with some words to lay out"))
                .collect()
        })
        .collect();
    let p = write(&dir, "long.pdf", &pdf_bytes(&pages, None));
    let opts = ExtractOptions {
        pdf_timeout: std::time::Duration::from_millis(1),
        ..ExtractOptions::default()
    };
    let err = extract_file(&p, &opts).unwrap_err();
    assert!(matches!(err, ExtractError::PdfTimeout { .. }), "{err}");
    assert!(err.to_string().contains("NOVA_PDF_TIMEOUT_S"), "{err}");
}
