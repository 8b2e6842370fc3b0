//! TXT/MD extraction: pages from markers and form feeds, sections from headings and labels.

mod common;

use nic_ingest::{extract_file, ExtractOptions};
use std::path::PathBuf;

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

const MANUAL: &str = "\
TM 9-2320 GENERATOR SET

CHAPTER 2 OPERATION

2.1 Starting Procedure
Para 2-1.1 Check the oil level before starting.
Para 2-1.2 Open the fuel valve.
--- PAGE 3 ---
STOPPING THE ENGINE
1-2.3 Allow the engine to cool for five minutes.
Table 7-1 Torque Values
Bolt | Torque
M8 | 25 Nm
--- PAGE 4 ---
Safety Notice 4-A
WARNING: Never refuel a running engine.
\x0cThis form feed does not start a page when markers are used.
";

#[test]
fn page_markers_give_page_numbers_and_sections() {
    let dir = tempfile::tempdir().unwrap();
    let doc = extract_file(
        &write(&dir, "tm.txt", MANUAL.as_bytes()),
        &ExtractOptions::default(),
    )
    .unwrap();
    assert_eq!(doc.title, "TM 9-2320 GENERATOR SET");
    let numbers: Vec<u32> = doc.pages.iter().map(|p| p.number).collect();
    assert_eq!(numbers, vec![2, 3, 4], "text before PAGE 3 is page 2");
    let section = |page: usize, needle: &str| {
        let p = &doc.pages[page];
        p.section_at(
            p.text
                .find(needle)
                .unwrap_or_else(|| panic!("{needle} in {}", p.text)),
        )
        .unwrap()
        .clone()
    };
    assert_eq!(
        section(0, "Open the fuel"),
        vec![
            "TM 9-2320 GENERATOR SET",
            "CHAPTER 2 OPERATION",
            "2.1 Starting Procedure",
            "Para 2-1.2"
        ]
    );
    assert_eq!(
        section(0, "Check the oil"),
        vec![
            "TM 9-2320 GENERATOR SET",
            "CHAPTER 2 OPERATION",
            "2.1 Starting Procedure",
            "Para 2-1.1"
        ]
    );
    assert_eq!(
        section(1, "Allow the engine"),
        vec![
            "TM 9-2320 GENERATOR SET",
            "CHAPTER 2 OPERATION",
            "2.1 Starting Procedure",
            "STOPPING THE ENGINE"
        ]
    );
    assert_eq!(
        section(1, "M8 | 25 Nm"),
        vec![
            "TM 9-2320 GENERATOR SET",
            "CHAPTER 2 OPERATION",
            "2.1 Starting Procedure",
            "STOPPING THE ENGINE",
            "Table 7-1 Torque Values"
        ]
    );
    assert_eq!(
        section(2, "Never refuel").last().unwrap(),
        "Safety Notice 4-A"
    );
    assert!(doc.pages[2].text.contains("This form feed"));
    assert!(!doc.pages.iter().any(|p| p.text.contains("--- PAGE")));
}

#[test]
fn form_feeds_split_pages_and_sections_carry_over() {
    let dir = tempfile::tempdir().unwrap();
    let text = "# Pump Manual\n\n## Installation\n\nMount the pump level.\x0cTighten the four bolts.\x0c\x0c## Service\n\nChange the oil yearly.\x0c";
    let doc = extract_file(
        &write(&dir, "pump.md", text.as_bytes()),
        &ExtractOptions::default(),
    )
    .unwrap();
    assert_eq!(doc.title, "Pump Manual");
    let numbers: Vec<u32> = doc.pages.iter().map(|p| p.number).collect();
    assert_eq!(numbers, vec![1, 2, 4]);
    assert_eq!(doc.empty_pages, vec![3]);
    assert_eq!(
        doc.pages[1].section_at(0).unwrap(),
        &vec!["Pump Manual", "Installation"]
    );
    assert_eq!(
        doc.pages[2].section_at(0).unwrap(),
        &vec!["Pump Manual", "Service"]
    );
}

#[test]
fn non_utf8_text_is_decoded_as_latin1_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let doc = extract_file(
        &write(
            &dir,
            "old.TXT",
            b"Temp\xe9rature maximale: 90\xb0C.\r\nV\xe9rifier le niveau.",
        ),
        &ExtractOptions::default(),
    )
    .unwrap();
    assert!(
        doc.pages[0]
            .text
            .contains("Température maximale: 90°C.\nVérifier"),
        "{}",
        doc.pages[0].text
    );
    assert!(doc.warnings.iter().any(|w| w.contains("UTF-8")));
}

#[test]
fn ligatures_and_odd_spaces_are_normalised() {
    let dir = tempfile::tempdir().unwrap();
    let doc = extract_file(
        &write(
            &dir,
            "l.txt",
            "Replace the ﬁlter\u{00A0}every   500 h.".as_bytes(),
        ),
        &ExtractOptions::default(),
    )
    .unwrap();
    assert_eq!(doc.pages[0].text, "Replace the filter every 500 h.");
}
