//! Target `structure`: the document-structure parser (headings, numbering schemes,
//! nesting, typed blocks: steps, lists, tables, admonitions, captions, page markers) on
//! generated manual-shaped text, through the public TXT/MD path, with the tree and chunk
//! invariants of [`super::extract::check_doc`]. Unlike `extract-text` (bytes, encodings),
//! the inputs here stay line-structured so the parser's own decisions get exercised.

use crate::bytes::{self, pick};
use crate::engine::{Outcome, Scratch, Target};
use crate::seeds;
use rand::rngs::StdRng;
use rand::Rng;
use std::path::Path;
use std::time::Duration;

pub static STRUCTURE: Target = Target {
    name: "structure",
    about: "document structure from text: headings, numbering, nesting, blocks, pages",
    max_len: 256 << 10,
    time_limit: Duration::from_secs(30),
    dictionary: &[
        b"\n",
        b"\n\n",
        b"1.",
        b"1.1 ",
        b"SECTION ",
        b"# ",
        b"WARNING:",
        b"| x |",
        b"\x0c",
    ],
    seeds,
    structured: Some(mutate_text),
    run,
    describe: None,
};

fn seeds(corpus: Option<&Path>) -> Vec<Vec<u8>> {
    let mut s = vec![
        seeds::MANUAL_TXT.as_bytes().to_vec(),
        seeds::MANUAL_MD.as_bytes().to_vec(),
    ];
    let mut rng: StdRng = rand::SeedableRng::seed_from_u64(1);
    for _ in 0..6 {
        s.push(gen_doc(&mut rng));
    }
    if let Some(c) = corpus {
        s.extend(seeds::corpus_files(c, &["txt", "md"], 8, 256 << 10));
    }
    s
}

fn run(scratch: &mut Scratch, input: &[u8]) -> Outcome {
    // Markdown when the text uses `#` headings, so both rule sets run.
    let ext = if input.starts_with(b"#") { "md" } else { "txt" };
    let path = scratch.path(&format!("structure.{ext}"));
    if let Err(e) = std::fs::write(&path, input) {
        return Outcome::Contained(format!("cannot write the scratch file: {e}"));
    }
    match nic_ingest::extract_file(&path, &nic_ingest::ExtractOptions::default()) {
        Ok(doc) => {
            super::extract::check_doc(&doc, &path);
            Outcome::Accepted
        }
        Err(_) => Outcome::Rejected,
    }
}

const WORDS: &[&str] = &[
    "Brake",
    "Pads",
    "Hydraulic",
    "Pump",
    "Alternator",
    "Test",
    "Removal",
    "Installation",
    "Wiring",
    "Diagram",
    "Compressor",
    "Filter",
    "Valve",
    "Sensor",
    "Calibration",
    "General",
    "Safety",
    "Specifications",
    "Troubleshooting",
    "Coolant",
    "Fuse",
    "Relay",
    "Bearing",
    "Température",
    "Ölwechsel",
    "STRAßE",
    "ﬁlter",
    "PLC",
    "MRI",
    "P0420",
    "E7",
    "R-410A",
];

fn title(rng: &mut StdRng) -> String {
    (0..rng.gen_range(1..6))
        .map(|_| pick(rng, WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

fn sentence(rng: &mut StdRng) -> String {
    let n: &str = pick(rng, &["25", "0.5", "12–15", "1,200", "-40", "3/8", "110"]);
    let u: &str = pick(
        rng,
        &[
            "N·m", "Nm", "ft-lbs", "psi", "bar", "V", "A", "mm", "°C", "L", "in.",
        ],
    );
    format!(
        "{} the {} to {n} {u} and check the {}.",
        pick(rng, &["Torque", "Set", "Measure", "Fill", "Adjust"]),
        title(rng).to_lowercase(),
        title(rng).to_lowercase()
    )
}

fn number(rng: &mut StdRng) -> String {
    pick(
        rng,
        &[
            "1",
            "2",
            "3",
            "10",
            "0",
            "99",
            "4294967296",
            "IV",
            "A",
            "3-2",
        ],
    )
    .to_string()
}

/// One line of a manual: a heading in one of the schemes, a block line, or a page break.
pub(crate) fn gen_line(rng: &mut StdRng) -> String {
    match rng.gen_range(0..22) {
        0 => format!("SECTION {} {}", number(rng), title(rng).to_uppercase()),
        1 => {
            let depth = rng.gen_range(1..6);
            let n: Vec<String> = (0..depth)
                .map(|_| rng.gen_range(0..12).to_string())
                .collect();
            format!("{} {}", n.join("."), title(rng))
        }
        2 => format!(
            "Para {}-{}{} {}",
            rng.gen_range(0..9),
            rng.gen_range(0..20),
            if rng.gen() { ".1" } else { "" },
            title(rng)
        ),
        3 => format!("{} {}", "#".repeat(rng.gen_range(1..8)), title(rng)),
        4 => title(rng).to_uppercase(),
        5 => format!("**{}**", title(rng)),
        6 => format!(
            "{}{} {}",
            pick(
                rng,
                &[
                    "WARNING",
                    "CAUTION",
                    "NOTE",
                    "DANGER",
                    "Safety Notice",
                    "IMPORTANT",
                    "⚠ WARNING"
                ]
            ),
            pick(rng, &[":", "", " -", "!"]),
            sentence(rng)
        ),
        7 => format!("{}. {}", rng.gen_range(0..30), sentence(rng)),
        8 => format!("{}) {}", pick(rng, &["a", "b", "iv", "B"]), sentence(rng)),
        9 => format!(
            "{} {}",
            pick(rng, &["-", "*", "•", "+", "–"]),
            sentence(rng)
        ),
        10 => {
            let cols = rng.gen_range(1..7);
            let cells: Vec<String> = (0..cols).map(|_| title(rng)).collect();
            if rng.gen_bool(0.2) {
                format!("|{}|", vec!["---"; cols].join("|"))
            } else {
                format!("| {} |", cells.join(" | "))
            }
        }
        11 => format!(
            "{} {}-{} {}",
            pick(rng, &["Table", "Figure", "Fig."]),
            rng.gen_range(0..9),
            rng.gen_range(0..9),
            title(rng)
        ),
        12 => format!(
            "--- PAGE {} ---",
            pick(
                rng,
                &[
                    "1",
                    "2",
                    "3",
                    "7",
                    "0",
                    "999999",
                    "4294967295",
                    "4294967296",
                    "01"
                ]
            )
        ),
        13 => "\x0c".into(),
        14 | 15 => String::new(),
        16 => {
            // Deep numbering.
            let depth = *[20usize, 100, 300, 2000]
                .get(rng.gen_range(0..4))
                .unwrap_or(&20);
            format!("{} {}", vec!["1"; depth].join("."), title(rng))
        }
        17 => format!("{}{}", " ".repeat(rng.gen_range(1..12)), sentence(rng)),
        18 => format!(
            "Step {} of {}: {}",
            rng.gen_range(0..9),
            rng.gen_range(0..9),
            sentence(rng)
        ),
        19 => sentence(rng).repeat(rng.gen_range(1..60)),
        20 => format!("```\n{}\n```", sentence(rng)),
        _ => sentence(rng),
    }
}

/// A whole generated manual: headings with their blocks, over a few pages.
pub(crate) fn gen_doc(rng: &mut StdRng) -> Vec<u8> {
    let mut lines = vec![title(rng).to_uppercase(), String::new()];
    for _ in 0..rng.gen_range(5..80) {
        lines.push(gen_line(rng));
        if rng.gen_bool(0.3) {
            lines.push(String::new());
        }
    }
    lines.join("\n").into_bytes()
}

/// Line-level edits with generated lines, a generated block, or a whole new document.
pub(crate) fn mutate_text(rng: &mut StdRng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    match rng.gen_range(0..8) {
        0..=3 => {
            let extra: Vec<Vec<u8>> = (0..4).map(|_| gen_line(rng).into_bytes()).collect();
            bytes::mutate_lines(rng, input, &extra)
        }
        4 => {
            // A run of lines of one kind: a long procedure, a table, headings ever deeper.
            let mut d = input.to_vec();
            let n = rng.gen_range(2..400);
            let block: Vec<String> = match rng.gen_range(0..3) {
                0 => (1..=n).map(|i| format!("{i}. Step text {i}.")).collect(),
                1 => (0..n).map(|i| format!("| r{i} | {i} mm | ok |")).collect(),
                _ => (1..=n.min(300))
                    .map(|i| format!("{} Level {i}", vec!["2"; i].join(".")))
                    .collect(),
            };
            let at = rng.gen_range(0..=d.len());
            d.splice(at..at, format!("\n{}\n", block.join("\n")).into_bytes());
            d
        }
        5 => {
            // Line endings: CRLF, CR only, none.
            let to: &[u8] = pick(rng, &[&b"\r\n"[..], b"\r", b"\n\n\n", b" "]);
            let mut out = Vec::with_capacity(input.len());
            for &c in input {
                if c == b'\n' {
                    out.extend_from_slice(to);
                } else {
                    out.push(c);
                }
            }
            out
        }
        6 if !seeds.is_empty() => {
            // Lines of two documents interleaved.
            let other = &seeds[rng.gen_range(0..seeds.len())];
            let a: Vec<&[u8]> = input.split(|&c| c == b'\n').collect();
            let b: Vec<&[u8]> = other.split(|&c| c == b'\n').collect();
            let mut out: Vec<&[u8]> = Vec::new();
            for i in 0..a.len().max(b.len()) {
                if let Some(l) = a.get(i) {
                    out.push(l);
                }
                if rng.gen_bool(0.3) {
                    if let Some(l) = b.get(i) {
                        out.push(l);
                    }
                }
            }
            out.join(&b'\n')
        }
        _ => gen_doc(rng),
    }
}
