//! Seed inputs: small built-in documents, a PDF writer for them, and files read from the
//! shared corpus at run time (never copied into the repository).

use std::io::Write;
use std::path::{Path, PathBuf};

/// Files under `dir` with one of `exts` (lower case), at most `max_files` of them spread
/// over the sorted list, each at most `max_bytes` long.
pub fn corpus_files(dir: &Path, exts: &[&str], max_files: usize, max_bytes: u64) -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    walk(dir, exts, &mut paths, 0);
    paths.sort();
    let step = paths.len().div_ceil(max_files.max(1)).max(1);
    paths
        .iter()
        .step_by(step)
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= max_bytes))
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

fn walk(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 8 || out.len() > 100_000 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&p, exts, out, depth + 1),
            Ok(t) if t.is_file() => {
                let ext = p
                    .extension()
                    .and_then(|x| x.to_str())
                    .map(str::to_ascii_lowercase)
                    .unwrap_or_default();
                if exts.contains(&ext.as_str()) {
                    out.push(p);
                }
            }
            _ => {}
        }
    }
}

pub const MANUAL_TXT: &str = "HYDRAULIC LIFT SERVICE MANUAL\n\nModel HL-200 — Rev. 3\n\n\
SECTION 1 GENERAL\n\n1.1 Scope\nThis manual covers the HL-200 lift. Read it before service.\n\n\
WARNING: Lower the platform and lock out power before any work. Stored hydraulic pressure can cause injury.\n\n\
1.2 Specifications\n\nTable 1-1 Torque values\n| Fastener | Torque | Unit |\n| Pump bolts | 25 | N·m |\n| Cylinder cap | 110 | N·m |\n\n\
\x0cSECTION 2 MAINTENANCE\n\n2.1 Changing the hydraulic oil\n1. Lower the platform fully.\n2. Remove the drain plug (17 mm).\n3. Drain about 12 L of oil into a pan.\n   a) Inspect the magnetic plug.\n4. Refill with ISO VG 32 oil to the MAX mark.\n\n\
CAUTION: Do not mix oil grades.\n\nNOTE: Dispose of used oil per local rules.\n\n2.2 Troubleshooting\n\
Symptom: platform drifts down.\n- Check the lowering valve seal.\n- Check cylinder for leaks (P0420 style codes do not apply).\n\n\
--- PAGE 7 ---\nPara 3-2 Electrical\nPara 3-2.1 Fuses\nFuse F1 is 10 A at 24 V DC. Replace only with the same rating.\n\n\
**Pressure test**\nSet the relief valve to 180 bar ± 5 bar.\n";

pub const MANUAL_MD: &str = "# Chiller Troubleshooting\n\n## 1. Safety\n\n> **DANGER:** Refrigerant under pressure.\n\n\
## 2. Procedures\n\n### 2.1 Leak test\n\n1. Pressurize with dry nitrogen to 150 psi.\n2. Apply soap solution.\n3. Watch for bubbles for 5 min.\n\n\
### 2.2 Fault codes\n\n| Code | Meaning | Action |\n|---|---|---|\n| E1 | Low suction | Check charge |\n| E7 | High head | Clean condenser |\n\n\
* Bullet one\n* Bullet two with `code`\n\n---\n\n## 3. Specifications\n\nSuperheat: 8–12 °F at the outlet.\n";

pub const MANUAL_HTML: &str = "<!DOCTYPE html><html><head><title>Boiler Manual</title><style>p{}</style>\
<script>var x = '<h1>not a heading</h1>';</script></head><body><nav><a href='#'>Home</a></nav>\
<h1>Boiler B-40 Service</h1><h2 id='s1'>1 Safety</h2><div class='warning'><b>WARNING:</b> Shut off gas supply.</div>\
<h2>2 Burner</h2><h3>2.1 Ignition check</h3><ol><li>Turn the switch off.</li><li>Measure 120 V at terminal L1.</li>\
<li>Check flame sensor: 2&ndash;6 &micro;A.</li></ol><table><caption>Table 2-1 Clearances</caption>\
<tr><th>Part</th><th>Gap</th></tr><tr><td>Electrode</td><td>3 mm</td></tr><tr><td colspan=2>See note</td></tr></table>\
<h3>2.2 Flue</h3><p>Inspect the flue for blockage.<br>Replace gaskets &amp; seals.</p><pre>code  block\n  indented</pre>\
<ul><li>Item <ul><li>nested</li></ul></li></ul><footer>Page 3</footer></body></html>";

/// A small PDF with one page per entry (each a list of lines, the first in a larger
/// font), optionally with Flate-compressed content, an outline (one entry per page) and an
/// Info title. Offsets in the xref table are exact.
pub fn pdf(pages: &[&[&str]], compress: bool, outline: bool, title: Option<&str>) -> Vec<u8> {
    let mut objs: Vec<Vec<u8>> = Vec::new(); // object n is objs[n - 1]
    let n_pages = pages.len();
    // 1 catalog, 2 pages, 3 font, 4 outlines, 5 info, then per page: page, content; then
    // outline items.
    let page_id = |i: usize| 6 + 2 * i;
    let item_id = |i: usize| 6 + 2 * n_pages + i;
    let mut catalog = b"<< /Type /Catalog /Pages 2 0 R".to_vec();
    if outline {
        catalog.extend_from_slice(b" /Outlines 4 0 R /PageMode /UseOutlines");
    }
    catalog.extend_from_slice(b" >>");
    objs.push(catalog);
    let kids: Vec<String> = (0..n_pages)
        .map(|i| format!("{} 0 R", page_id(i)))
        .collect();
    objs.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {n_pages} >>",
            kids.join(" ")
        )
        .into_bytes(),
    );
    objs.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    );
    objs.push(
        format!(
            "<< /Type /Outlines /First {} 0 R /Last {} 0 R /Count {n_pages} >>",
            item_id(0),
            item_id(n_pages.saturating_sub(1))
        )
        .into_bytes(),
    );
    objs.push(
        format!(
            "<< /Title ({}) /Producer (nic-fuzz) >>",
            esc(title.unwrap_or(""))
        )
        .into_bytes(),
    );
    for (i, lines) in pages.iter().enumerate() {
        objs.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                page_id(i) + 1
            )
            .into_bytes(),
        );
        let mut content = String::from("BT\n/F1 16 Tf\n14 TL\n72 720 Td\n");
        for (j, l) in lines.iter().enumerate() {
            if j == 1 {
                content.push_str("/F1 11 Tf\n");
            }
            if j % 3 == 2 {
                content.push_str(&format!("[({}) -250 ({})] TJ\nT*\n", esc(l), esc("")));
            } else {
                content.push_str(&format!("({}) Tj\nT*\n", esc(l)));
            }
        }
        content.push_str("ET\n");
        objs.push(stream(content.as_bytes(), compress));
    }
    for (i, lines) in pages.iter().enumerate() {
        let mut item = format!(
            "<< /Title ({}) /Parent 4 0 R /Dest [{} 0 R /XYZ 0 792 0]",
            esc(lines.first().copied().unwrap_or("Page")),
            page_id(i)
        );
        if i > 0 {
            item.push_str(&format!(" /Prev {} 0 R", item_id(i - 1)));
        }
        if i + 1 < n_pages {
            item.push_str(&format!(" /Next {} 0 R", item_id(i + 1)));
        }
        item.push_str(" >>");
        objs.push(item.into_bytes());
    }
    let mut out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A stream object with its dictionary, Flate-compressed when asked.
pub fn stream(data: &[u8], compress: bool) -> Vec<u8> {
    let (body, filter) = if compress {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = enc.write_all(data);
        (enc.finish().unwrap_or_default(), " /Filter /FlateDecode")
    } else {
        (data.to_vec(), "")
    };
    let mut o = format!("<< /Length {}{filter} >>\nstream\n", body.len()).into_bytes();
    o.extend_from_slice(&body);
    o.extend_from_slice(b"\nendstream");
    o
}

/// A PDF string literal's content.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                o.push('\\');
                o.push(c);
            }
            c if c.is_ascii() => o.push(c),
            _ => o.push('?'),
        }
    }
    o
}

/// The built-in PDF seeds.
pub fn builtin_pdfs() -> Vec<Vec<u8>> {
    let p1: &[&str] = &[
        "SECTION 1 GENERAL",
        "1.1 Scope",
        "This manual covers the HL-200 lift.",
        "WARNING: Lock out power before any work.",
    ];
    let p2: &[&str] = &[
        "2.1 Changing the oil",
        "1. Lower the platform fully.",
        "2. Remove the drain plug (17 mm).",
        "3. Refill with 12 L of ISO VG 32 oil.",
        "Table 2-1 Torque",
        "Pump bolts 25 N m",
    ];
    let p3: &[&str] = &[
        "2.2 Troubleshooting",
        "Symptom: platform drifts.",
        "- Check the valve seal.",
    ];
    vec![
        pdf(&[p1, p2], false, false, None),
        pdf(&[p1, p2, p3], true, true, Some("HL-200 Service Manual")),
        pdf(&[p3, &[], p1], true, false, Some("Manual (rev 2)")),
        pdf(&[p2], false, true, None),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pdfs_extract_with_text() {
        let dir = tempfile::tempdir().unwrap();
        for (i, p) in builtin_pdfs().into_iter().enumerate() {
            let path = dir.path().join(format!("{i}.pdf"));
            std::fs::write(&path, p).unwrap();
            let doc = nic_ingest::extract_file(&path, &nic_ingest::ExtractOptions::default())
                .unwrap_or_else(|e| panic!("seed {i}: {e}"));
            assert!(!doc.pages.is_empty(), "seed {i}");
            assert!(
                doc.pages
                    .iter()
                    .any(|p| p.text.contains("Lower the platform")
                        || p.text.contains("platform drifts")),
                "seed {i}: {:?}",
                doc.pages
            );
        }
    }
}
