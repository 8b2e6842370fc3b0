//! Target `citations`: the citation audit and reference renumbering
//! (`nic_answer::audit::audit`) on arbitrary LLM output against evidence blocks, plus the
//! snippet cutter. Invariants: the audited answer only carries references `[1]..[m]` to the
//! `m` citations returned (DESIGN §2: "a `[9]` that points at nothing can never reach the
//! client"), each pointing at evidence that exists; the report adds up.
//!
//! Input: the answer, then evidence blocks, separated by `\n=====\n`.

use crate::bytes::{self, pick};
use crate::engine::{Outcome, Scratch, Target};
use nic_answer::audit;
use rand::rngs::StdRng;
use rand::Rng;
use std::time::Duration;

pub static CITATIONS: Target = Target {
    name: "citations",
    about: "citation audit + renumbering of LLM answers, snippets",
    max_len: 64 << 10,
    time_limit: Duration::from_secs(10),
    dictionary: &[
        b"[1]",
        b"[2]",
        b"[0]",
        b"[99]",
        b"[1, 2]",
        b"[1][3]",
        b"[",
        b"]",
        b"[[2]3]",
        b"[ ]",
        b"[,]",
        b"[18446744073709551616]",
        b". ",
        b"? ",
        b"\n",
        b"e.g. ",
        b"No. 5 ",
        b"3.5 mm",
        b"25 N\xc2\xb7m",
        b"P0420",
        b"\n=====\n",
    ],
    seeds,
    structured: Some(mutate),
    run,
    describe: None,
};

const SEP: &[u8] = b"\n=====\n";

const EVIDENCE: &[&str] = &[
    "Torque the caliper bolts to 25 N·m. Use a new lock washer. WARNING: Support the vehicle on stands.",
    "Alternator output: 13.8–14.4 V at 2000 rpm. If below 13.5 V, check the belt tension (10 mm deflection).",
    "Fault code P0420: catalyst efficiency below threshold. Check the downstream O2 sensor first.",
    "Refrigerant charge: 2.3 kg of R-410A. Superheat 8–12 °F at the outlet.",
    "1. Lower the platform. 2. Remove the drain plug. 3. Drain 12 L of oil.",
];

fn seeds(_: Option<&std::path::Path>) -> Vec<Vec<u8>> {
    let answers = [
        "Torque the caliper bolts to 25 N·m [1]. Support the vehicle on stands [1].",
        "The alternator should give 13.8–14.4 V at 2000 rpm [2]. Check the belt [2][1].",
        "P0420 means catalyst efficiency is below threshold [3]. Check the O2 sensor [3, 2].",
        "Charge 2.3 kg of R-410A [4]. Superheat is 8–12 °F [9]. Nothing cited here.",
        "1. Lower the platform [5].\n2. Drain 12 L of oil [5].\n- Torque to 30 N·m [1].",
        "[1] [2]. [[2]3] text [0]. The pump [1 ] works [,]!",
    ];
    answers
        .iter()
        .map(|a| {
            let mut v = a.as_bytes().to_vec();
            for e in EVIDENCE {
                v.extend_from_slice(SEP);
                v.extend_from_slice(e.as_bytes());
            }
            v
        })
        .collect()
}

fn run(_: &mut Scratch, input: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(input);
    let mut parts = text.split("\n=====\n");
    let answer = parts.next().unwrap_or_default();
    let evidence: Vec<&str> = parts.collect();
    let a = audit::audit(answer, &evidence);
    let r = &a.report;
    assert_eq!(
        r.supported + r.unsupported,
        r.claims.len(),
        "the report does not add up"
    );
    assert_eq!(r.supported, r.claims.iter().filter(|c| c.supported).count());
    for (i, &c) in a.cited.iter().enumerate() {
        assert!(
            c < evidence.len(),
            "citation {} points at evidence {c} of {}",
            i + 1,
            evidence.len()
        );
        assert!(!a.cited[..i].contains(&c), "evidence {c} cited twice");
    }
    for n in bracket_numbers(&a.answer) {
        assert!(
            (1..=a.cited.len()).contains(&n),
            "the audited answer carries [{n}] but only {} citations are returned: {:?}",
            a.cited.len(),
            a.answer
        );
    }
    let _ = a.needs_fallback();
    let _ = serde_json::to_string(r);
    for c in &r.claims {
        if c.supported {
            for &n in &c.refs {
                assert!((1..=evidence.len()).contains(&n));
            }
        }
    }
    if let Some(e) = evidence.first() {
        let _ = audit::check_claim(answer, e);
    }
    for max in [0, 1, 3, 40, 400] {
        let s = nic_answer::engine::snippet(answer, max);
        let _ = s.len();
    }
    if a.report.supported > 0 {
        Outcome::Accepted
    } else {
        Outcome::Rejected
    }
}

/// The numbers of every `[digits]` group in `s`.
fn bracket_numbers(s: &str) -> Vec<usize> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'[' {
            let j = b[i + 1..]
                .iter()
                .position(|c| !c.is_ascii_digit())
                .map_or(b.len(), |p| i + 1 + p);
            if j > i + 1 && b.get(j) == Some(&b']') {
                out.push(s[i + 1..j].parse().unwrap_or(usize::MAX));
            }
        }
        i += 1;
    }
    out
}

const REFS: &[&str] = &[
    "[1]",
    "[2]",
    "[3]",
    "[5]",
    "[0]",
    "[6]",
    "[99]",
    "[1, 2]",
    "[1,2,3]",
    "[1][2]",
    "[2][1]",
    "[ 1 ]",
    "[1 ]",
    "[,]",
    "[ ]",
    "[]",
    "[",
    "]",
    "[[2]3]",
    "[[1]]",
    "[1[2]]",
    "[１]",
    "[18446744073709551616]",
    "[-1]",
    "[1.5]",
    "(1)",
    "【1】",
];

fn mutate(rng: &mut StdRng, input: &[u8], _seeds: &[Vec<u8>]) -> Vec<u8> {
    let (answer, rest) = super::split_once(input, SEP);
    let mut answer = answer.to_vec();
    match rng.gen_range(0..6) {
        0 | 1 => {
            // Replace or insert a reference.
            let r: &str = pick(rng, REFS);
            let groups = bytes::find_all(&answer, b"[");
            if !groups.is_empty() && rng.gen() {
                let at = groups[rng.gen_range(0..groups.len())];
                let end = answer[at..]
                    .iter()
                    .position(|&c| c == b']')
                    .map_or(at + 1, |e| at + e + 1);
                answer.splice(at..end, r.bytes());
            } else {
                bytes::insert(rng, &mut answer, r.as_bytes());
            }
        }
        2 => {
            // A sentence from the evidence with a reference, or with its numbers changed.
            let mut s = pick(rng, EVIDENCE)
                .split(". ")
                .next()
                .unwrap_or("")
                .to_string();
            if rng.gen() {
                let mut b = s.into_bytes();
                let n: &str = pick(rng, bytes::INTERESTING_NUMBERS);
                bytes::replace_number(rng, &mut b, n.as_bytes());
                s = String::from_utf8_lossy(&b).into_owned();
            }
            let r: &str = pick(rng, REFS);
            let sentence = format!(" {s} {r}.");
            bytes::insert(rng, &mut answer, sentence.as_bytes());
        }
        3 => {
            // Sentence boundaries that are not: abbreviations, decimals, lists, ellipses.
            let b: &str = pick(
                rng,
                &[
                    "e.g. ",
                    "No. 5 ",
                    "3.5",
                    "...",
                    "?!",
                    "\n- ",
                    "\n1. ",
                    " Fig. 3 ",
                    "。",
                    "\u{2026}",
                    ".\u{200b}",
                    "Dr. ",
                ],
            );
            bytes::insert(rng, &mut answer, b.as_bytes());
        }
        4 => {
            let extra: Vec<Vec<u8>> = REFS.iter().map(|r| r.as_bytes().to_vec()).collect();
            answer = bytes::mutate_lines(rng, &answer, &extra);
        }
        _ => {
            // Many references in a row or many sentences (the audit is per sentence).
            let n = rng.gen_range(2..2000);
            let piece: &str = pick(rng, &["[1]", " Check it [2].", "[", "Torque 25 N·m [1]. "]);
            bytes::insert(rng, &mut answer, piece.repeat(n).as_bytes());
        }
    }
    let mut out = answer;
    out.extend_from_slice(SEP);
    out.extend_from_slice(rest);
    out
}
