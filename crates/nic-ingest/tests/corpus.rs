//! Extraction of the real manuals in ../shared/corpus (skipped when absent).

mod common;

use nic_ingest::{chunk_document, extract_file, scan_roots, ChunkOptions, ExtractOptions};
use std::time::Instant;

#[test]
fn real_pdfs_extract_with_page_counts_and_text() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    // (file, pages in the document as poppler's pdfinfo counts them)
    let expected = [
        ("electronics/raspberry-pi-gpio-manual.pdf", 16u32),
        ("electronics/visionfive2-openplc.pdf", 68),
        ("hvac/carrier-small-hvac.pdf", 14),
        ("medical/mri-technical-operations-manual.pdf", 38),
        ("nuclear/nuclear-physics-reactor-theory.pdf", 142),
    ];
    for (file, pages) in expected {
        let t = Instant::now();
        let doc = extract_file(&corpus.join(file), &ExtractOptions::default()).unwrap();
        let total = doc.pages.len() + doc.empty_pages.len();
        eprintln!(
            "{file}: {total} pages, {} with text, empty {:?}, title {:?}, {:.1}s, warnings {:?}",
            doc.pages.len(),
            doc.empty_pages,
            doc.title,
            t.elapsed().as_secs_f64(),
            doc.warnings
        );
        if let Some(p) = doc.pages.get(doc.pages.len() / 2) {
            eprintln!(
                "  page {} sections {:?}\n  {:.300}",
                p.number,
                p.sections.first(),
                p.text
            );
        }
        assert_eq!(total as u32, pages, "{file}");
        assert!(
            doc.pages.len() * 10 >= total * 7,
            "{file}: most pages should have text"
        );
        let numbers: Vec<u32> = doc.pages.iter().map(|p| p.number).collect();
        assert!(
            numbers.windows(2).all(|w| w[0] < w[1]),
            "{file}: pages in order"
        );
        assert!(numbers.iter().all(|&n| n >= 1 && n as usize <= total));
    }
}

#[test]
fn real_text_manuals_have_sections() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let doc = extract_file(
        &corpus.join("vehicle/civilian_vehicle_manual.txt"),
        &ExtractOptions::default(),
    )
    .unwrap();
    assert_eq!(doc.title, "CIVILIAN VEHICLE OWNER'S MANUAL");
    let page = &doc.pages[0];
    let at = page.text.find("Remove drain plug using 14mm").unwrap();
    let section = page.section_at(at).unwrap();
    assert!(
        section
            .iter()
            .any(|s| s == "SECTION 2: ROUTINE MAINTENANCE"),
        "{section:?}"
    );
    assert!(
        section.iter().any(|s| s == "Engine Oil Change"),
        "{section:?}"
    );
    assert_eq!(section.last().unwrap(), "Procedure");
}

#[test]
fn real_service_manual_html_pages() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let pages = corpus.join("vehicle/vw-gti-1997-service-manual/pages");
    let doc = extract_file(&pages.join("1000.html"), &ExtractOptions::default()).unwrap();
    assert!(doc.title.starts_with("Axle Nut"), "{}", doc.title);
    let p = &doc.pages[0];
    assert_eq!(p.number, 1);
    assert_eq!(
        p.sections[0].path,
        vec![
            "Repair and Diagnosis",
            "Transmission and Drivetrain",
            "Drive Axles, Bearings and Joints",
            "Wheel Hub",
            "Axle Nut"
        ]
    );
    assert!(
        !p.text.contains("Operation CHARM") && !p.text.contains("Expand All"),
        "{}",
        p.text
    );
    let doc = extract_file(&pages.join("6180.html"), &ExtractOptions::default()).unwrap();
    let text = &doc.pages[0].text;
    assert!(text.contains("Tighten to: 265 Nm (195 ft lb)"), "{text}");
    assert!(
        text.contains("Warning! Loosen/tighten only with vehicle on ground."),
        "{text}"
    );
    assert_eq!(
        doc.pages[0].sections[0].path.last().unwrap(),
        "Base Suspension"
    );
}

/// Extracts and chunks the whole 10,338-page HTML service manual and prints the time.
/// Run with `cargo test -p nic-ingest --release --test corpus -- --ignored --nocapture`.
#[test]
#[ignore = "measurement, not a check: run by hand"]
fn measure_html_corpus_extraction() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let root = corpus.join("vehicle/vw-gti-1997-service-manual");
    let (files, errors) = scan_roots(&[root]);
    assert!(errors.is_empty());
    let t = Instant::now();
    let (mut pages, mut bytes, mut failed) = (0, 0u64, 0);
    let mut docs = Vec::new();
    for f in &files {
        match extract_file(&f.path, &ExtractOptions::default()) {
            Ok(d) => {
                pages += d.pages.len();
                docs.push((d, f));
            }
            Err(e) => {
                failed += 1;
                eprintln!("{}: {e}", f.doc);
            }
        }
        bytes += f.size;
    }
    let extract_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let chunks: usize = docs
        .iter()
        .map(|(d, f)| chunk_document(d, f, &ChunkOptions::default(), &common::fake_tokens).len())
        .sum();
    eprintln!(
        "{} files ({:.1} MB), {pages} pages with text, {failed} failed: extract {extract_s:.1} s; \
         {chunks} chunks (fake tokenizer) in {:.1} s",
        files.len(),
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
}
