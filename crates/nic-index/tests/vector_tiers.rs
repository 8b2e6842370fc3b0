//! Vector tiers through the public API: ingest publishing each kind, `auto` choosing HNSW
//! above its threshold, and `convert` round trips that keep the served generation intact,
//! answer the same and roll back in one command.

mod common;

use common::*;
use nic_index::{convert, ingest, Generation, IndexError, VectorKind};
use std::path::Path;

fn corpus(root: &Path) {
    for (i, topic) in [
        "fan",
        "pump",
        "compressor",
        "valve",
        "brake",
        "alternator",
        "filter",
        "belt",
    ]
    .iter()
    .enumerate()
    {
        let domain = if i % 2 == 0 { "hvac" } else { "vehicle" };
        write(
            root,
            &format!("{domain}/{topic}.txt"),
            manual_text(topic, &format!("code{i}x")),
        );
    }
}

fn top_ordinals(g: &Generation, text: &str, k: usize) -> Vec<u32> {
    g.vectors()
        .search(&HashEmbedder::vector(text), k, None)
        .iter()
        .map(|s| s.ordinal)
        .collect()
}

#[test]
fn every_kind_publishes_and_answers_like_exact_search() {
    let root = tempfile::tempdir().unwrap();
    corpus(root.path());
    let mut reference: Option<Vec<u32>> = None;
    for kind in [
        "flat-f32", "flat-f16", "flat-i8", "hnsw-f32", "hnsw-f16", "hnsw-i8",
    ] {
        let data = tempfile::tempdir().unwrap();
        let mut opts = options(&[root.path()]);
        opts.vector_index = kind.into();
        ingest(data.path(), &opts, &HashEmbedder::new(), &no_progress()).unwrap();
        let g = Generation::open_current(data.path()).unwrap();
        assert_eq!(g.manifest().vector_kind, kind);
        let top = top_ordinals(&g, "compressor procedure code2x", 5);
        assert_eq!(top.len(), 5, "{kind}");
        match &reference {
            None => reference = Some(top),
            Some(r) => assert_eq!(&top, r, "{kind} differs from flat-f32"),
        }
        let hvac = g.domain_filter("hvac");
        let hits = g
            .vectors()
            .search(&HashEmbedder::vector("brake"), 5, Some(&hvac));
        assert!(
            !hits.is_empty() && hits.iter().all(|h| hvac(h.ordinal)),
            "{kind}"
        );
        let (_, problems) = nic_index::verify_generation(data.path(), None).unwrap();
        assert!(problems.is_empty(), "{kind}: {problems:?}");
    }
}

#[test]
fn auto_picks_hnsw_from_the_threshold_and_bad_kinds_fail_before_work() {
    let root = tempfile::tempdir().unwrap();
    corpus(root.path());
    let data = tempfile::tempdir().unwrap();
    let mut opts = options(&[root.path()]);
    opts.hnsw_min_chunks = 1;
    ingest(data.path(), &opts, &HashEmbedder::new(), &no_progress()).unwrap();
    let g = Generation::open_current(data.path()).unwrap();
    assert_eq!(g.manifest().vector_kind, "hnsw-f16");

    let data = tempfile::tempdir().unwrap();
    let mut opts = options(&[root.path()]);
    opts.vector_index = "ivf-pq".into();
    let err = ingest(data.path(), &opts, &HashEmbedder::new(), &no_progress()).unwrap_err();
    assert!(err.to_string().contains("NOVA_VECTOR_INDEX"), "{err}");
    assert!(matches!(
        Generation::open_current(data.path()),
        Err(IndexError::NoGeneration { .. })
    ));
}

#[test]
fn convert_round_trip_publishes_new_generations_and_rolls_back() {
    let root = tempfile::tempdir().unwrap();
    corpus(root.path());
    let data = tempfile::tempdir().unwrap();
    ingest(
        data.path(),
        &options(&[root.path()]),
        &HashEmbedder::new(),
        &no_progress(),
    )
    .unwrap();
    let g1 = Generation::open_current(data.path()).unwrap();
    assert_eq!(g1.manifest().vector_kind, "flat-i8");
    let before = top_ordinals(&g1, "alternator belt", 5);

    let kind: VectorKind = "hnsw-f16".parse().unwrap();
    let r = convert(data.path(), kind, 50, 3).unwrap();
    assert_eq!(r.from_generation, g1.id());
    assert_eq!(r.kind, "hnsw-f16");
    assert_eq!(r.recall_queries, 50);
    assert!(r.recall_at_10 >= 0.95, "recall {}", r.recall_at_10);
    // The old generation is untouched and still opens (a server may still hold it).
    assert!(Generation::open(data.path(), g1.id()).is_ok());
    let g2 = Generation::open_current(data.path()).unwrap();
    assert_eq!(g2.id(), r.generation);
    assert_eq!(g2.manifest().vector_kind, "hnsw-f16");
    assert_eq!(g2.len(), g1.len());
    assert_eq!(top_ordinals(&g2, "alternator belt", 5), before);
    assert_eq!(
        g2.chunk(3).unwrap().chunk.text,
        g1.chunk(3).unwrap().chunk.text
    );
    let (_, problems) = nic_index::verify_generation(data.path(), None).unwrap();
    assert!(problems.is_empty(), "{problems:?}");

    // Back to exact f32, then roll back to the graph in one command.
    let r3 = convert(data.path(), "flat-f32".parse().unwrap(), 20, 3).unwrap();
    assert!((r3.recall_at_10 - 1.0).abs() < 1e-9);
    assert_eq!(
        nic_index::rollback(data.path(), None).unwrap(),
        r.generation
    );
    let g = Generation::open_current(data.path()).unwrap();
    assert_eq!(g.manifest().vector_kind, "hnsw-f16");

    // An ingest after a conversion still works (and uses NOVA_VECTOR_INDEX again).
    write(
        root.path(),
        "hvac/extra.txt",
        manual_text("damper", "code99x"),
    );
    let rep = ingest(
        data.path(),
        &options(&[root.path()]),
        &HashEmbedder::new(),
        &no_progress(),
    )
    .unwrap();
    assert!(rep.published);
    let g = Generation::open_current(data.path()).unwrap();
    assert_eq!(g.manifest().vector_kind, "flat-i8");
}

#[test]
fn a_damaged_graph_is_named_and_the_generation_refused() {
    let root = tempfile::tempdir().unwrap();
    corpus(root.path());
    let data = tempfile::tempdir().unwrap();
    let mut opts = options(&[root.path()]);
    opts.vector_index = "hnsw-f16".into();
    ingest(data.path(), &opts, &HashEmbedder::new(), &no_progress()).unwrap();
    let g = Generation::open_current(data.path()).unwrap();
    let path = g.dir().join("vectors.hnsw");
    drop(g);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 10;
    bytes[at] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let err = Generation::open_current(data.path()).unwrap_err();
    assert!(err.to_string().contains("vectors.hnsw"), "{err}");
    let (_, problems) = nic_index::verify_generation(data.path(), None).unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].path, "vectors.hnsw");
}
