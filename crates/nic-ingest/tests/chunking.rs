//! Chunking invariants: pages, token ceiling, offsets, lead-ins, order, overlap, sections.

mod common;

use common::{fake_tokens, source};
use nic_core::{Chunk, ExtractedDoc, ExtractedPage, SectionMark};
use nic_ingest::{chunk_document, ChunkOptions};
use std::cell::Cell;

fn page(number: u32, text: &str, sections: Vec<(usize, &[&str])>) -> ExtractedPage {
    ExtractedPage {
        number,
        text: text.to_string(),
        sections: sections
            .into_iter()
            .map(|(offset, path)| SectionMark {
                offset,
                path: path.iter().map(|s| s.to_string()).collect(),
                section: 0,
            })
            .collect(),
    }
}

fn doc(pages: Vec<ExtractedPage>) -> ExtractedDoc {
    ExtractedDoc {
        title: "Test Manual".into(),
        pages,
        ..Default::default()
    }
}

fn sentence(i: usize) -> String {
    format!("Sentence number {i} describes torque, wear limits and the inspection of part {i}.")
}

fn paragraphs(from: usize, n_par: usize, per: usize) -> String {
    (0..n_par)
        .map(|p| {
            (0..per)
                .map(|s| sentence(from + p * per + s))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Checks the invariants every chunking must satisfy and returns the chunks.
fn check(d: &ExtractedDoc, opts: &ChunkOptions, count: &dyn Fn(&str) -> usize) -> Vec<Chunk> {
    let chunks = chunk_document(d, &source("v/m.txt", "v"), opts, count);
    for c in &chunks {
        let p = d
            .pages
            .iter()
            .find(|p| p.number == c.page)
            .expect("chunk page exists");
        let round: String = p
            .text
            .chars()
            .skip(c.char_start)
            .take(c.char_end - c.char_start)
            .collect();
        assert_eq!(round, c.text, "offsets round-trip");
        assert!(!c.text.trim().is_empty());
        assert!(
            count(&c.text) <= opts.max_tokens,
            "ceiling: {} > {}",
            count(&c.text),
            opts.max_tokens
        );
        let byte = p
            .text
            .char_indices()
            .nth(c.char_start)
            .map_or(p.text.len(), |(b, _)| b);
        if let Some(s) = p.section_at(byte) {
            assert_eq!(&c.section, s, "section in force at the chunk start");
        }
        assert_eq!(
            (c.doc.as_str(), c.domain.as_str(), c.title.as_str()),
            ("v/m.txt", "v", "Test Manual")
        );
    }
    chunks
}

#[test]
fn chunks_stay_within_pages_and_under_the_ceiling() {
    let d = doc(vec![
        page(1, &paragraphs(0, 12, 4), vec![]),
        page(2, &paragraphs(100, 1, 2), vec![]),
        page(5, &paragraphs(200, 20, 3), vec![]),
    ]);
    let opts = ChunkOptions::default();
    let chunks = check(&d, &opts, &fake_tokens);
    let pages: Vec<u32> = chunks.iter().map(|c| c.page).collect();
    assert!(pages.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(chunks.iter().filter(|c| c.page == 2).count(), 1);
    // Sizes cluster around the target, not at a handful of tokens.
    let big: Vec<usize> = chunks
        .iter()
        .filter(|c| c.page == 5)
        .map(|c| fake_tokens(&c.text))
        .collect();
    assert!(
        big.iter()
            .take(big.len() - 1)
            .all(|&t| t >= opts.target_tokens / 2),
        "{big:?}"
    );
    // Every sentence of the page is in some chunk.
    for i in 200..260 {
        assert!(
            chunks.iter().any(|c| c.text.contains(&sentence(i))),
            "sentence {i} lost"
        );
    }
}

#[test]
fn overlap_repeats_some_sentences_but_never_a_whole_chunk() {
    let d = doc(vec![page(1, &paragraphs(0, 1, 60), vec![])]);
    let opts = ChunkOptions::default();
    let chunks = check(&d, &opts, &fake_tokens);
    assert!(chunks.len() >= 3);
    for w in chunks.windows(2) {
        assert!(w[1].char_start > w[0].char_start, "progress");
        assert!(
            w[1].char_end > w[0].char_end,
            "no chunk inside the previous one"
        );
        if w[1].char_start < w[0].char_end {
            let shared: String = w[0]
                .text
                .chars()
                .skip(w[1].char_start - w[0].char_start)
                .collect();
            assert!(
                fake_tokens(&shared) <= opts.overlap_tokens,
                "overlap {}",
                fake_tokens(&shared)
            );
        }
    }
    assert!(
        chunks.windows(2).any(|w| w[1].char_start < w[0].char_end),
        "some overlap"
    );
}

#[test]
fn lead_ins_stay_with_their_first_sentence() {
    // Slide the warning across every position relative to chunk boundaries.
    // Short filler sentences (3 tokens each) make the boundary land everywhere.
    for filler in 0..160 {
        let mut text: String = (0..filler).map(|i| format!("Check valve{i}. ")).collect();
        text.push_str(
            "\n\nWARNING\n\nDisconnect the battery before removing the starter motor.\n\n",
        );
        text.push_str("Step 4\n\nRemove the two mounting bolts from the starter.\n\n");
        text.push_str(
            "CAUTION: The starter is heavy. Support it while removing the last bolt.\n\n",
        );
        text.push_str(&paragraphs(100, 1, 12));
        let d = doc(vec![page(1, &text, vec![])]);
        for overlap_tokens in [0, 40] {
            let opts = ChunkOptions {
                overlap_tokens,
                ..ChunkOptions::default()
            };
            check_lead_ins(&check(&d, &opts, &fake_tokens), filler);
        }
    }
}

fn check_lead_ins(chunks: &[Chunk], filler: usize) {
    {
        for c in chunks {
            if c.text.contains("WARNING") {
                assert!(
                    c.text.contains("WARNING\n\nDisconnect the battery"),
                    "filler {filler}: {:?}",
                    c.text
                );
            }
            if c.text.contains("Step 4") {
                assert!(
                    c.text.contains("Step 4\n\nRemove the two mounting bolts"),
                    "filler {filler}"
                );
            }
            if c.text.contains("CAUTION") {
                assert!(
                    c.text.contains("CAUTION: The starter is heavy."),
                    "filler {filler}"
                );
            }
        }
    }
}

#[test]
fn procedure_steps_keep_their_order_and_are_never_cut() {
    let steps: Vec<String> = (1..=40)
        .map(|i| format!("{i}. Loosen fastener number {i} a quarter turn and check the gap with a feeler gauge."))
        .collect();
    let text = format!("Procedure:\n{}", steps.join("\n"));
    let d = doc(vec![page(1, &text, vec![])]);
    let chunks = check(&d, &ChunkOptions::default(), &fake_tokens);
    assert!(chunks.len() > 1);
    let mut next = 1;
    for c in &chunks {
        for line in c.text.lines() {
            let n: usize = line.split('.').next().unwrap().parse().unwrap_or(0);
            if n >= next {
                assert_eq!(n, next, "steps in order");
                next += 1;
            }
        }
    }
    assert_eq!(next, 41, "all steps present");
    for s in &steps {
        assert!(
            chunks.iter().any(|c| c.text.contains(s.as_str())),
            "step cut: {s}"
        );
    }
    assert!(chunks[0].text.starts_with("Procedure:\n1. Loosen"));
}

#[test]
fn a_section_change_starts_a_new_chunk() {
    let a = paragraphs(0, 2, 3);
    let b = paragraphs(50, 2, 3);
    let text = format!("Brake Pads\n\n{a}\n\nBrake Rotors\n\n{b}");
    let at = text.find("Brake Rotors").unwrap();
    let d = doc(vec![page(
        1,
        &text,
        vec![
            (0, &["Brakes", "Brake Pads"]),
            (at, &["Brakes", "Brake Rotors"]),
        ],
    )]);
    let chunks = check(&d, &ChunkOptions::default(), &fake_tokens);
    assert_eq!(chunks.len(), 2, "{chunks:#?}");
    assert!(chunks[1].text.starts_with("Brake Rotors"));
    assert_eq!(chunks[1].section, vec!["Brakes", "Brake Rotors"]);
    assert_eq!(chunks[0].section, vec!["Brakes", "Brake Pads"]);
}

#[test]
fn sections_carry_over_to_the_next_page() {
    let d = doc(vec![
        page(
            1,
            "Cooling System\n\nThe pump circulates coolant.",
            vec![(0, &["Cooling System"])],
        ),
        page(2, "The thermostat opens at 88 °C.", vec![]),
    ]);
    let chunks = check(&d, &ChunkOptions::default(), &fake_tokens);
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[1].section, vec!["Cooling System"]);
}

#[test]
fn tiny_tail_merges_into_the_previous_chunk() {
    let mut text = paragraphs(0, 1, 12);
    text.push_str(" Done.");
    let d = doc(vec![page(1, &text, vec![])]);
    let opts = ChunkOptions {
        target_tokens: 120,
        max_tokens: 256,
        overlap_tokens: 0,
    };
    let chunks = check(&d, &opts, &fake_tokens);
    assert!(chunks.last().unwrap().text.ends_with("Done."));
    assert!(
        fake_tokens(&chunks.last().unwrap().text) > 10,
        "no orphan fragment"
    );
}

#[test]
fn an_overlong_sentence_is_split_at_words_under_the_ceiling() {
    let words: Vec<String> = (0..900).map(|i| format!("w{i}")).collect();
    let text = words.join(" ");
    let d = doc(vec![page(1, &text, vec![])]);
    let chunks = check(&d, &ChunkOptions::default(), &fake_tokens);
    assert!(chunks.len() >= 5);
    for w in &words {
        let needle = format!(" {w} ");
        let padded: Vec<String> = chunks.iter().map(|c| format!(" {} ", c.text)).collect();
        assert!(
            padded.iter().any(|c| c.contains(&needle)),
            "{w} lost or cut"
        );
    }
}

#[test]
fn ceiling_holds_with_a_non_additive_tokenizer() {
    // Longer texts cost more than the sum of their parts (and each call adds 2 specials).
    let count = |s: &str| {
        let w = s.split_whitespace().count();
        w + w * w / 400 + 2
    };
    let d = doc(vec![page(1, &paragraphs(0, 10, 6), vec![])]);
    let opts = ChunkOptions::default();
    check(&d, &opts, &count);
}

#[test]
fn token_counting_is_linear_not_quadratic() {
    let calls = Cell::new(0usize);
    let count = |s: &str| {
        calls.set(calls.get() + 1);
        fake_tokens(s)
    };
    let n = 3000;
    let d = doc(vec![page(1, &paragraphs(0, n / 5, 5), vec![])]);
    let chunks = check(&d, &ChunkOptions::default(), &count);
    let during = calls.get() - chunks.len(); // check() itself counts each chunk once
    assert!(
        during <= n + 2 * chunks.len(),
        "{during} calls for {n} sentences"
    );
}
