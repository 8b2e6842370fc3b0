//! Hostile PDFs fail cleanly, one file at a time: deep nesting that would overflow a parser's
//! stack and decompression bombs that would take memory up are refused with a reason before
//! the PDF libraries see them. A test that overflows a stack aborts this whole test binary,
//! so a regression fails loudly.

use nic_ingest::{extract_file, ExtractError, ExtractOptions};
use std::io::Write;
use std::path::Path;

/// Assembles a PDF from object bodies (`1 0 obj` ... numbered from 1) with a correct xref.
fn assemble(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut b = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    b.extend_from_slice(data);
    b.extend_from_slice(b"\nendstream");
    b
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A one-page PDF whose page content is `content` (FlateDecode when `compress`), with
/// `extra` written into the page dictionary.
fn one_page(content: &[u8], compress: bool, extra: &str) -> Vec<u8> {
    let font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec();
    let contents = if compress {
        stream("/Filter /FlateDecode", &zlib(content))
    } else {
        stream("", content)
    };
    assemble(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
             /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R {extra} >>"
        )
        .into_bytes(),
        font,
        contents,
    ])
}

const TEXT: &[u8] = b"BT /F1 12 Tf 72 720 Td (Check the brake fluid level.) Tj ET";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn refused(path: &Path, needle: &str) {
    let started = std::time::Instant::now();
    let err =
        extract_file(path, &ExtractOptions::default()).expect_err("a hostile PDF must be refused");
    assert!(
        matches!(err, ExtractError::PdfDamaged(_)),
        "{}: {err}",
        path.display()
    );
    assert!(
        err.to_string().contains(needle),
        "{}: {err}",
        path.display()
    );
    assert!(
        started.elapsed().as_secs() < 20,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_well_formed_page_still_extracts() {
    let dir = tempfile::tempdir().unwrap();
    for compress in [false, true] {
        let p = write(dir.path(), "ok.pdf", &one_page(TEXT, compress, ""));
        let doc = extract_file(&p, &ExtractOptions::default()).unwrap();
        assert!(doc.pages[0].text.contains("brake fluid"), "{doc:?}");
    }
}

#[test]
fn nested_arrays_at_object_level_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let nest = format!("/Junk {}{}", "[".repeat(5000), "]".repeat(5000));
    let p = write(dir.path(), "arrays.pdf", &one_page(TEXT, false, &nest));
    assert!(std::fs::metadata(&p).unwrap().len() < 11_000);
    refused(&p, "nested deeper than");
}

#[test]
fn nested_dictionaries_at_object_level_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let nest = format!("/Junk {}{}", "<< /A ".repeat(5000), ">>".repeat(5000));
    let p = write(dir.path(), "dicts.pdf", &one_page(TEXT, false, &nest));
    refused(&p, "nested deeper than");
}

#[test]
fn unterminated_nesting_is_refused_too() {
    let dir = tempfile::tempdir().unwrap();
    let nest = format!("/Junk {}", "[".repeat(5000));
    let p = write(dir.path(), "open.pdf", &one_page(TEXT, false, &nest));
    refused(&p, "nested deeper than");
}

#[test]
fn nested_arrays_and_dictionaries_in_a_content_stream_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut arrays = TEXT.to_vec();
    arrays.extend_from_slice(format!(" {}{} Tj", "[".repeat(5000), "]".repeat(5000)).as_bytes());
    let mut dicts = TEXT.to_vec();
    dicts.extend_from_slice(
        format!(" /P {}{} BDC EMC", "<</A ".repeat(5000), ">>".repeat(5000)).as_bytes(),
    );
    for (name, content) in [("carr", &arrays), ("cdict", &dicts)] {
        for compress in [false, true] {
            let p = write(
                dir.path(),
                &format!("{name}-{compress}.pdf"),
                &one_page(content, compress, ""),
            );
            refused(&p, "nested deeper than");
        }
    }
}

#[test]
fn deep_nesting_a_million_levels_deep_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut content = TEXT.to_vec();
    content.extend(std::iter::repeat_n(b'[', 1_000_000));
    let p = write(dir.path(), "million.pdf", &one_page(&content, true, ""));
    assert!(std::fs::metadata(&p).unwrap().len() < 20_000);
    refused(&p, "nested deeper than");
}

#[test]
fn brackets_inside_strings_comments_and_binary_streams_are_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut content = b"% [[[[ a comment ".to_vec();
    content.extend_from_slice(&[b'['; 600]);
    content.extend_from_slice(b"\nBT /F1 12 Tf 72 720 Td (");
    content.extend_from_slice(&[b'['; 600]);
    content.extend_from_slice(b") Tj ET ");
    content.extend_from_slice(TEXT);
    // A binary (font-like) stream full of brackets and high bytes.
    let mut blob = Vec::new();
    for i in 0..200_000u32 {
        blob.push(if i % 3 == 0 {
            b'['
        } else {
            (i % 251) as u8 | 0x80
        });
    }
    let mut pdf_objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
           /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        stream("/Filter /FlateDecode", &zlib(&content)),
    ];
    pdf_objects.push(stream("/Filter /FlateDecode /Length1 1", &zlib(&blob)));
    // An image made of '[' bytes (a uniform grey of value 91) is not parsed, so not counted.
    pdf_objects.push(stream(
        "/Type /XObject /Subtype /Image /Width 1000 /Height 1000 /ColorSpace /DeviceGray \
         /BitsPerComponent 8 /Filter /FlateDecode",
        &zlib(&vec![b'['; 1_000_000]),
    ));
    let p = write(dir.path(), "benign.pdf", &assemble(&pdf_objects));
    let doc = extract_file(&p, &ExtractOptions::default()).unwrap();
    assert!(doc.pages[0].text.contains("brake fluid"), "{doc:?}");
}

/// `len` zero bytes, zlib-compressed without ever holding them in memory.
fn zlib_zeros(len: usize) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 16];
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len());
        e.write_all(&block[..n]).unwrap();
        left -= n;
    }
    e.finish().unwrap()
}

fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_flate_bomb_is_refused_without_inflating_it() {
    let dir = tempfile::tempdir().unwrap();
    // 200 MB of zeros in about 200 KB: far above this small file's decompression cap (64 MB).
    let bomb = zlib_zeros(200 << 20);
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
           /Resources << /Font << /F1 4 0 R >> >> /Contents [5 0 R 6 0 R] >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        stream("", TEXT),
    ];
    objects.push(stream("/Filter /FlateDecode", &bomb));
    let p = write(dir.path(), "bomb.pdf", &assemble(&objects));
    let before = peak_rss_kb();
    refused(&p, "decompresses to more than 64 MB");
    if let (Some(b), Some(a)) = (before, peak_rss_kb()) {
        eprintln!("peak RSS before {b} kB, after {a} kB");
        assert!(
            a.saturating_sub(b) < 48 * 1024,
            "peak RSS grew by {} kB",
            a - b
        );
    }
}

#[test]
fn a_bomb_disguised_as_an_image_but_used_as_page_content_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = zlib_zeros(100 << 20);
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        stream(
            "/Subtype /Image /Width 1 /Height 1 /Filter /FlateDecode",
            &bomb,
        ),
    ];
    let p = write(dir.path(), "image-bomb.pdf", &assemble(&objects));
    refused(&p, "decompresses to more than");
}

#[test]
fn bombs_through_lzw_and_ascii85_chains_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // ASCII85 of a zlib bomb: the chain is decoded stage by stage, streaming.
    let bomb = zlib_zeros(100 << 20);
    let mut a85 = Vec::new();
    for chunk in bomb.chunks(4) {
        let mut b = [0u8; 4];
        b[..chunk.len()].copy_from_slice(chunk);
        let mut v = u32::from_be_bytes(b);
        if v == 0 && chunk.len() == 4 {
            a85.push(b'z');
            continue;
        }
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            *d = (v % 85) as u8 + b'!';
            v /= 85;
        }
        a85.extend_from_slice(&digits[..chunk.len() + 1]);
    }
    a85.extend_from_slice(b"~>");
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        stream("/Filter [/ASCII85Decode /FlateDecode]", &a85),
    ];
    let p = write(dir.path(), "a85-bomb.pdf", &assemble(&objects));
    refused(&p, "decompresses to more than");
    // LZW: codes for a run of zeros grow by one byte each, so ~15 KB of codes make > 64 MB.
    let mut enc = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
    let lzw = enc.encode(&vec![0u8; 80 << 20]).unwrap();
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        stream("/Filter /LZWDecode", &lzw),
    ];
    let p = write(dir.path(), "lzw-bomb.pdf", &assemble(&objects));
    refused(&p, "decompresses to more than");
}

/// A one-page PDF with an outline: object 6 is the outline root, 7 its only entry, and
/// `entry` is written into the entry's dictionary.
fn with_outline(entry: &str) -> Vec<u8> {
    assemble(&[
        b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
          /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        stream("", TEXT),
        b"<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>".to_vec(),
        format!("<< /Title (Brakes) /Parent 6 0 R /Dest [3 0 R /XYZ 0 792 0] {entry} >>")
            .into_bytes(),
    ])
}

/// Issue 11: an outline whose entries point back at themselves or at their parent is
/// ignored with a warning, and the page text is still read (lopdf alone would loop until
/// memory ran out, or recurse until the stack overflowed and the process aborted).
#[test]
fn a_cyclic_outline_is_ignored_and_the_text_kept() {
    let dir = tempfile::tempdir().unwrap();
    for (name, entry) in [
        ("next-loop.pdf", "/Next 7 0 R"),
        ("first-loop.pdf", "/First 6 0 R /Count 1"),
    ] {
        let p = write(dir.path(), name, &with_outline(entry));
        let doc = extract_file(&p, &ExtractOptions::default()).unwrap();
        assert!(doc.pages[0].text.contains("brake fluid"), "{name}: {doc:?}");
        assert!(
            doc.warnings.iter().any(|w| w.contains("outline")),
            "{name}: {:?}",
            doc.warnings
        );
    }
    // The same file without the loop keeps its outline entry as a heading.
    let p = write(dir.path(), "sound.pdf", &with_outline(""));
    let doc = extract_file(&p, &ExtractOptions::default()).unwrap();
    assert!(
        doc.warnings.iter().all(|w| !w.contains("cyclic")),
        "{:?}",
        doc.warnings
    );
}
