use super::*;
use crate::sections::MemorySections;
use nic_core::DocTree;

const MANUAL: &str = "--- PAGE 1 ---
LT-2500 SERVICE MANUAL
CHAPTER 2  BRAKE SYSTEM

Para 2-1.1  Alternator Charging Check
Test the alternator output at 2000 rpm: it must read 13.8-14.4 V.

Para 2-2.1  Front Pad Replacement
Use front pad kit 44-118-F.
WARNING: Brake dust is harmful. Do not blow it off with compressed air.

1. Remove about one third of the fluid from the reservoir.
2. Raise the vehicle and remove the front wheels.
3. Remove the two caliper guide pin bolts.
4. Lift the caliper off and hang it from the coil spring.
5. Remove the old pads.
--- PAGE 2 ---
6. Install the new pads.
7. Pump the brake pedal until it is firm.

Table 2-1  Brake Torques
| Item | Torque |
| Caliper guide pin bolts | 25-30 ft-lbs |
| Bleeder screw | 7-9 ft-lbs |
";

fn tree() -> (DocTree, Vec<StoredChunk>) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("brakes.txt");
    std::fs::write(&p, MANUAL).unwrap();
    let doc = nic_ingest::extract_file(&p, &nic_ingest::ExtractOptions::default()).unwrap();
    let src = nic_ingest::SourceFile {
        path: p.clone(),
        doc: "vehicle/brakes.txt".into(),
        domain: "vehicle".into(),
        size: MANUAL.len() as u64,
    };
    let chunks = nic_ingest::chunk_document(
        &doc,
        &src,
        &nic_ingest::ChunkOptions {
            target_tokens: 20,
            max_tokens: 40,
            overlap_tokens: 0,
        },
        &|t: &str| t.split_whitespace().count(),
    );
    let stored = chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| StoredChunk {
            ordinal: i as u32,
            chunk_id: format!("c{i}"),
            chunk: c,
        })
        .collect();
    (doc.tree, stored)
}

fn hit(c: &StoredChunk, score: f32) -> Hit {
    Hit {
        chunk: c.clone(),
        score,
        cosine: score,
        bm25: None,
        lexical: score,
        coverage: score,
    }
}

fn run(question: &str, needle: &str) -> Outcome {
    run_as(question, question, needle)
}

/// `question` as safety triage passed it on, `asked_as` as it was typed.
fn run_as(question: &str, asked_as: &str, needle: &str) -> Outcome {
    let (t, chunks) = tree();
    let best = chunks
        .iter()
        .find(|c| c.chunk.text.contains(needle))
        .unwrap_or_else(|| panic!("{needle}"));
    let hits = vec![hit(best, 0.8)];
    let src = MemorySections {
        docs: vec![("vehicle/brakes.txt".into(), t)],
    };
    let idf = |w: &str| {
        if MANUAL.to_lowercase().contains(w) {
            3.0
        } else {
            0.0
        }
    };
    compose(&Compose {
        question,
        asked_as,
        hits: &hits,
        src: &src,
        idf: &idf,
        emergency: false,
    })
}

fn answer(question: &str, needle: &str) -> SectionAnswer {
    match run(question, needle) {
        Outcome::Answer(a) => *a,
        Outcome::Ungrounded { missing } => panic!("ungrounded: {missing:?}"),
        Outcome::NoTree => panic!("no tree"),
    }
}

#[test]
fn a_procedure_starts_at_step_one_with_its_warning_first() {
    // The chunk that ranked holds step 5 only.
    let a = answer(
        "How do I replace the front brake pads?",
        "5. Remove the old pads",
    );
    let t = &a.text;
    let w = t.find("WARNING").expect(t);
    let s1 = t.find("1. Remove about one third").expect(t);
    let s7 = t.find("7. Pump the brake pedal").expect(t);
    assert!(w < s1 && s1 < s7, "{t}");
    // Steps from two pages: the page-2 steps cite a page-2 chunk with the text quoted.
    let last = a.cites.last().expect("cited");
    assert!(last.chunk.text.contains("6. Install"), "{t}");
    assert_eq!(last.chunk.page, 2);
    assert!(
        t.trim_end().ends_with(&format!("[{}]", a.cites.len())),
        "{t}"
    );
}

#[test]
fn a_value_comes_with_its_table_header() {
    let a = answer(
        "torque for the caliper guide pin bolts",
        "Caliper guide pin bolts",
    );
    assert!(
        a.text
            .contains("| Item | Torque |\n| Caliper guide pin bolts | 25-30 ft-lbs |"),
        "{}",
        a.text
    );
    assert!(!a.text.contains("Bleeder screw"), "{}", a.text);
}

#[test]
fn an_unknown_object_abstains_and_a_typo_is_corrected() {
    assert!(matches!(
        run(
            "What's the blinker fluid replacement procedure?",
            "Remove about one third"
        ),
        Outcome::Ungrounded { .. }
    ));
    let a = answer("alterator charging voltage", "13.8-14.4 V");
    assert!(a.text.contains("13.8-14.4 V"), "{}", a.text);
    assert!(a
        .corrections
        .iter()
        .any(|(from, to)| from == "alterator" && to == "alternator"));
}

#[test]
fn questions_are_classified_by_what_they_ask() {
    assert_eq!(
        classify("How do I bleed the brakes?"),
        QuestionKind::Procedure
    );
    assert_eq!(classify("caliper bolt torque"), QuestionKind::Specification);
    assert_eq!(
        classify("Engine cranks but won't start. What should I check?"),
        QuestionKind::Diagnosis
    );
    assert_eq!(classify("what does P0420 mean"), QuestionKind::Code);
    assert_eq!(
        classify("Can I drive one more day with the brake light on?"),
        QuestionKind::SafetyYesNo
    );
}

#[test]
fn vocabulary_matches_whole_words_not_parts_of_them() {
    // "tensioner" is a part, not a question about tension.
    assert_eq!(
        classify("How do I adjust the conveyor belt tensioner?"),
        QuestionKind::Procedure
    );
    assert_eq!(
        classify("What belt tension is required?"),
        QuestionKind::Specification
    );
    assert_eq!(
        classify("Why is the compressor vibrating?"),
        QuestionKind::Diagnosis
    );
    assert_eq!(
        classify("Which gaps are allowed?"),
        QuestionKind::Specification
    );
    assert!(!is_risky("Can I take a photo of the rating plate?"));
    assert!(!is_risky("Can I clean the shroud with a dry cloth?"));
    assert!(is_risky("Can I drive with the brake light on?"));
    assert!(is_risky("Can I skip the leak test?"));
}

#[test]
fn an_unwrapped_fragment_is_gated_on_the_whole_request() {
    // Triage unwraps "write me a poem about the front brake pads" to "the front brake pads":
    // the poem is what was asked for, and no section of a manual is one.
    let needle = "5. Remove the old pads";
    assert!(matches!(
        run("the front brake pads", needle),
        Outcome::Answer(_)
    ));
    assert!(matches!(
        run_as(
            "the front brake pads",
            "write me a poem about the front brake pads",
            needle
        ),
        Outcome::Ungrounded { .. }
    ));
}
