//! Bad input gives a clear per-file error (or a reported empty page), never a panic.

mod common;

use nic_ingest::{extract_file, ExtractError, ExtractOptions};
use std::io::Write;
use std::time::Duration;

#[test]
fn zero_byte_file_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.pdf", "b.txt", "c.html", "d.md"] {
        let p = dir.path().join(name);
        std::fs::write(&p, b"").unwrap();
        let err = extract_file(&p, &ExtractOptions::default()).unwrap_err();
        assert!(matches!(err, ExtractError::Empty), "{name}: {err}");
        assert_eq!(err.to_string(), "empty file (0 bytes)");
    }
}

#[test]
fn oversized_file_names_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.txt");
    std::fs::write(&p, vec![b'a'; 3 * 1024 * 1024 + 5]).unwrap();
    let opts = ExtractOptions {
        pdf_timeout: Duration::from_secs(5),
        max_file_bytes: 2 * 1024 * 1024,
    };
    let err = extract_file(&p, &opts).unwrap_err();
    assert_eq!(
        err.to_string(),
        "file is 4 MB, above NOVA_MAX_FILE_MB=2; raise the limit or split the file"
    );
}

#[test]
fn fifty_megabyte_single_line_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("oneline.txt");
    let mut f = std::fs::File::create(&p).unwrap();
    let block = "lorem ipsum dolor sit amet ".repeat(40_000);
    while f.metadata().unwrap().len() < 50 * 1024 * 1024 {
        f.write_all(block.as_bytes()).unwrap();
    }
    drop(f);
    let err = extract_file(&p, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::LineTooLong { .. }), "{err}");
    assert!(err.to_string().contains("single line is 51 MB"), "{err}");
}

#[test]
fn binary_file_named_txt_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("blob.txt");
    std::fs::write(&p, [0x7fu8, b'E', b'L', b'F', 0, 0, 1, 2, b'\n', 0, 9]).unwrap();
    let err = extract_file(&p, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::Binary), "{err}");
}

#[test]
fn unsupported_extension_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.docx");
    std::fs::write(&p, b"x").unwrap();
    let err = extract_file(&p, &ExtractOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("unsupported file type \".docx\""),
        "{err}"
    );
    let err = extract_file(&dir.path().join("gone.pdf"), &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::Io(_)), "{err}");
    let err = extract_file(dir.path(), &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::Unsupported(_)), "{err}");
}

#[test]
fn utf16_text_with_a_bom_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("u16.txt");
    let mut bytes = vec![0xff, 0xfe];
    for u in "Check the fuse.".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(&p, bytes).unwrap();
    let doc = extract_file(&p, &ExtractOptions::default()).unwrap();
    assert_eq!(doc.pages[0].text, "Check the fuse.");
}
