//! Ingest and generation behaviour with the test-double embedder (and the real model for
//! the incremental test when `models/all-MiniLM-L6-v2` is present).

mod common;

use common::*;
use nic_core::Embedder;
use nic_index::{ingest, Generation, IndexError};
use std::collections::BTreeMap;
use std::path::Path;

fn chunk_ids_by_doc(g: &Generation) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in 0..g.len() as u32 {
        let c = g.chunk(o).unwrap();
        m.entry(c.chunk.doc.clone()).or_default().push(c.chunk_id);
    }
    m
}

fn incremental_scenario(embedder: &dyn Embedder) {
    let corpus = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = corpus.path();
    write(
        root,
        "hvac/compressor.txt",
        manual_text("compressor", "zebracode"),
    );
    write(
        root,
        "vehicle/alternator.md",
        manual_text("alternator", "yakcode"),
    );
    let opts = options(&[root]);

    // 1. First ingest publishes generation 1.
    let r = ingest(data.path(), &opts, embedder, &no_progress()).unwrap();
    assert!(r.published, "{r:?}");
    assert_eq!((r.files_new, r.files_extracted, r.documents), (2, 2, 2));
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    let g1 = r.generation.unwrap();
    let ids1 = chunk_ids_by_doc(&Generation::open_current(data.path()).unwrap());

    // 2. Unchanged corpus: nothing extracted, nothing published.
    let r = ingest(data.path(), &opts, embedder, &no_progress()).unwrap();
    assert!(!r.published, "{r:?}");
    assert_eq!(r.generation, Some(g1));
    assert_eq!(
        (r.files_unchanged, r.files_extracted, r.files_reused),
        (2, 0, 2)
    );

    // 3. Add a file: only it is extracted.
    write(
        root,
        "vehicle/brakes.txt",
        manual_text("brake caliper", "walruscode"),
    );
    let r = ingest(data.path(), &opts, embedder, &no_progress()).unwrap();
    assert!(r.published);
    assert_eq!(
        (r.files_new, r.files_unchanged, r.files_extracted),
        (1, 2, 1)
    );
    let g = Generation::open_current(data.path()).unwrap();
    assert_eq!(g.documents(), 3);
    assert_eq!(
        lexical_docs(&g, "walruscode", 1),
        vec!["vehicle/brakes.txt"]
    );

    // 4. Change a file: only it is re-extracted; ids of unchanged docs are stable.
    write(
        root,
        "hvac/compressor.txt",
        manual_text("compressor", "quaggacode"),
    );
    let r = ingest(data.path(), &opts, embedder, &no_progress()).unwrap();
    assert!(r.published);
    assert_eq!(
        (r.files_changed, r.files_unchanged, r.files_extracted),
        (1, 2, 1)
    );
    let g = Generation::open_current(data.path()).unwrap();
    let ids = chunk_ids_by_doc(&g);
    assert_eq!(ids["vehicle/alternator.md"], ids1["vehicle/alternator.md"]);
    assert_ne!(ids["hvac/compressor.txt"], ids1["hvac/compressor.txt"]);
    assert!(lexical_docs(&g, "zebracode", 5).is_empty());
    assert_eq!(
        lexical_docs(&g, "quaggacode", 1),
        vec!["hvac/compressor.txt"]
    );

    // 5. Delete a file: its chunks are gone.
    std::fs::remove_file(root.join("vehicle/brakes.txt")).unwrap();
    let r = ingest(data.path(), &opts, embedder, &no_progress()).unwrap();
    assert!(r.published);
    assert_eq!((r.files_deleted, r.files_extracted), (1, 0));
    let g = Generation::open_current(data.path()).unwrap();
    assert_eq!(g.documents(), 2);
    assert!(lexical_docs(&g, "walruscode", 5).is_empty());
    assert!(!chunk_ids_by_doc(&g).contains_key("vehicle/brakes.txt"));
    assert_eq!(
        g.domains().iter().map(|d| d.0.as_str()).collect::<Vec<_>>(),
        ["hvac", "vehicle"]
    );

    // Vector search finds the changed document by its own text.
    let q = embedder
        .embed(&["compressor quaggacode reference code"])
        .unwrap()
        .remove(0);
    let hit = g.vectors().search(&q, 1, None)[0];
    assert_eq!(
        g.chunk(hit.ordinal).unwrap().chunk.doc,
        "hvac/compressor.txt"
    );

    // keep_generations = 2: only the current and the previous one remain.
    let gens = nic_index::list_generations(data.path()).unwrap();
    assert_eq!(gens.len(), 2, "{gens:?}");
    assert!(gens.last().unwrap().current);

    // 6. No roots given: the catalog's roots are re-scanned.
    let mut again = opts.clone();
    again.roots.clear();
    let r = ingest(data.path(), &again, embedder, &no_progress()).unwrap();
    assert!(!r.published);
    assert_eq!(r.files_unchanged, 2);
    assert_eq!(nic_index::catalog_roots(data.path()).unwrap().len(), 1);

    // 7. --rebuild re-embeds everything and publishes even without changes.
    let mut rebuild = opts.clone();
    rebuild.rebuild = true;
    let r = ingest(data.path(), &rebuild, embedder, &no_progress()).unwrap();
    assert!(r.published);
    assert_eq!(r.files_extracted, 2);
}

#[test]
fn incremental_ingest_with_test_double() {
    incremental_scenario(&HashEmbedder::new());
}

#[test]
fn incremental_ingest_with_real_model() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/all-MiniLM-L6-v2"
    ));
    if !dir.join("model.safetensors").is_file() {
        eprintln!("skipping: no model at {} (run `make model`)", dir.display());
        return;
    }
    let embedder = match nic_embed::load(dir) {
        Ok(e) => e,
        Err(e) => panic!("model present but not loadable: {e}"),
    };
    incremental_scenario(&embedder);
}

#[test]
fn bad_input_is_reported_per_file_and_the_rest_is_indexed() {
    let corpus = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = corpus.path();
    write(
        root,
        "hvac/good.txt",
        manual_text("evaporator", "okapicode"),
    );
    write(root, "vehicle/good.md", manual_text("starter", "tapircode"));
    let empty = write(root, "hvac/empty.txt", b"");
    let junk = write(
        root,
        "vehicle/junk.pdf",
        (0..4096u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    let binary = write(root, "vehicle/binary.txt", b"abc\0\0\0def\x01\x02");
    write(
        root,
        "hvac/latin1.txt",
        b"Caf\xe9 filter r\xe9sum\xe9: replace the filter.\n",
    );
    let missing = root.join("does-not-exist");
    let mut opts = options(&[root]);
    opts.roots.push(missing.clone());

    let r = ingest(data.path(), &opts, &HashEmbedder::new(), &no_progress()).unwrap();
    assert!(r.published, "{r:?}");
    let failed: Vec<&str> = r.failed.iter().map(|f| f.path.as_str()).collect();
    for bad in [&empty, &junk, &binary] {
        let s = bad.display().to_string();
        assert!(
            failed
                .iter()
                .any(|f| f.ends_with(s.trim_start_matches('/'))),
            "{s} not in {failed:?}"
        );
    }
    assert!(
        failed.iter().any(|f| f.contains("does-not-exist")),
        "{failed:?}"
    );
    assert!(r.failed.iter().all(|f| !f.reason.is_empty()));
    // Non-UTF-8 text is decoded (Windows-1252) with a warning naming the file.
    assert!(
        r.warnings.iter().any(|w| w.path.ends_with("latin1.txt")),
        "{:?}",
        r.warnings
    );

    let g = Generation::open_current(data.path()).unwrap();
    assert_eq!(g.documents(), 3);
    assert_eq!(lexical_docs(&g, "okapicode", 1), vec!["hvac/good.txt"]);
    assert_eq!(lexical_docs(&g, "tapircode", 1), vec!["vehicle/good.md"]);
    assert_eq!(lexical_docs(&g, "résumé", 1), vec!["hvac/latin1.txt"]);
}

#[test]
fn nothing_ingestable_publishes_nothing() {
    let corpus = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(corpus.path(), "hvac/empty.txt", b"");
    let r = ingest(
        data.path(),
        &options(&[corpus.path()]),
        &HashEmbedder::new(),
        &no_progress(),
    )
    .unwrap();
    assert!(!r.published);
    assert!(r.nothing_ingested());
    assert_eq!(r.failed.len(), 1);
    let err = Generation::open_current(data.path()).unwrap_err();
    assert!(matches!(err, IndexError::NoGeneration { .. }));
    assert!(err.to_string().contains("nic ingest"), "{err}");
}

#[test]
fn no_roots_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let err = ingest(
        data.path(),
        &options(&[]),
        &HashEmbedder::new(),
        &no_progress(),
    )
    .unwrap_err();
    assert!(matches!(err, IndexError::NoRoots), "{err}");
    assert!(err.to_string().contains("nic ingest"));
}

#[test]
fn a_second_concurrent_ingest_is_refused() {
    use nic_index::ProgressEvent;
    use std::sync::mpsc;
    let corpus = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(corpus.path(), "hvac/a.txt", manual_text("fan", "ibexcode"));
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        let first = s.spawn(|| {
            let started_tx = std::sync::Mutex::new(started_tx);
            let release_rx = std::sync::Mutex::new(release_rx);
            let hold = |e: &ProgressEvent| {
                if matches!(e, ProgressEvent::Scanned { .. }) {
                    started_tx.lock().unwrap().send(()).unwrap();
                    release_rx.lock().unwrap().recv().unwrap();
                }
            };
            ingest(
                data.path(),
                &options(&[corpus.path()]),
                &HashEmbedder::new(),
                &hold,
            )
        });
        started_rx.recv().unwrap();
        let err = ingest(
            data.path(),
            &options(&[corpus.path()]),
            &HashEmbedder::new(),
            &no_progress(),
        )
        .unwrap_err();
        assert!(matches!(err, IndexError::Locked { .. }), "{err}");
        assert!(err.to_string().contains("another ingest"), "{err}");
        release_tx.send(()).unwrap();
        assert!(first.join().unwrap().unwrap().published);
    });
}

#[test]
fn model_mismatch_is_a_clear_error() {
    let corpus = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(corpus.path(), "hvac/a.txt", manual_text("fan", "ibexcode"));
    ingest(
        data.path(),
        &options(&[corpus.path()]),
        &HashEmbedder::new(),
        &no_progress(),
    )
    .unwrap();
    let g = Generation::open_current(data.path()).unwrap();
    g.check_model("test-double/hash-unigram-384").unwrap();
    let err = g.check_model("other-model/v2").unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, IndexError::ModelMismatch { .. }));
    for want in [
        "test-double/hash-unigram-384",
        "other-model/v2",
        "nic ingest --rebuild",
        "EMBEDDING_MODEL",
    ] {
        assert!(msg.contains(want), "{want} missing in {msg}");
    }
    // Ingesting with another model re-embeds everything and publishes.
    let r = ingest(
        data.path(),
        &options(&[corpus.path()]),
        &HashEmbedder::with_id("other-model/v2"),
        &no_progress(),
    )
    .unwrap();
    assert!(r.published);
    assert_eq!(r.files_extracted, 1);
    Generation::open_current(data.path())
        .unwrap()
        .check_model("other-model/v2")
        .unwrap();
}

#[test]
fn truncated_vectors_and_rollback() {
    let corpus = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(corpus.path(), "hvac/a.txt", manual_text("fan", "ibexcode"));
    ingest(
        data.path(),
        &options(&[corpus.path()]),
        &HashEmbedder::new(),
        &no_progress(),
    )
    .unwrap();
    write(corpus.path(), "hvac/b.txt", manual_text("pump", "gnucode"));
    let r = ingest(
        data.path(),
        &options(&[corpus.path()]),
        &HashEmbedder::new(),
        &no_progress(),
    )
    .unwrap();
    let g2 = r.generation.unwrap();

    let (_, problems) = nic_index::verify_generation(data.path(), None).unwrap();
    assert!(problems.is_empty(), "{problems:?}");

    let f = data
        .path()
        .join(format!("generations/gen-{g2:06}/vectors.f32"));
    let len = std::fs::metadata(&f).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(len - 100)
        .unwrap();
    let err = Generation::open_current(data.path()).unwrap_err();
    assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("vectors.f32") && msg.contains("truncated"),
        "{msg}"
    );
    assert!(msg.contains("nic index rollback"), "{msg}");
    let (_, problems) = nic_index::verify_generation(data.path(), None).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");

    let back = nic_index::rollback(data.path(), None).unwrap();
    assert!(back < g2);
    let g = Generation::open_current(data.path()).unwrap();
    assert_eq!(g.id(), back);
    assert_eq!(lexical_docs(&g, "ibexcode", 1), vec!["hvac/a.txt"]);
}

#[test]
fn codes_values_and_ligatures_are_searchable() {
    let corpus = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = corpus.path();
    write(
        root,
        "vehicle/dtc.txt",
        "Catalyst efficiency below threshold sets code P0420 on bank 1.\n",
    );
    write(
        root,
        "vehicle/parts.txt",
        "Order replacement bracket part number 12-345-A from stores.\n",
    );
    write(
        root,
        "vehicle/torque.txt",
        "Tighten the wheel nuts to 85-95 ft-lbs in a star pattern.\n",
    );
    write(
        root,
        "vehicle/charging.txt",
        "Regulated charging voltage is 13.8-14.4V with the engine running.\n",
    );
    write(
        root,
        "hvac/filter.txt",
        "Replace the air \u{FB01}lter every three months.\n",
    );
    let r = ingest(
        data.path(),
        &options(&[root]),
        &HashEmbedder::new(),
        &no_progress(),
    )
    .unwrap();
    assert!(r.published && r.failed.is_empty(), "{r:?}");
    let g = Generation::open_current(data.path()).unwrap();
    for (q, doc) in [
        ("P0420", "vehicle/dtc.txt"),
        ("what does p0420 mean?", "vehicle/dtc.txt"),
        ("12-345-A", "vehicle/parts.txt"),
        ("85-95", "vehicle/torque.txt"),
        ("ft-lbs", "vehicle/torque.txt"),
        ("13.8-14.4V", "vehicle/charging.txt"),
        ("filter", "hvac/filter.txt"),
        ("\"12-345-A", "vehicle/parts.txt"),
    ] {
        assert_eq!(lexical_docs(&g, q, 1), vec![doc.to_string()], "query {q:?}");
    }
    // Domain filter.
    let hits = g.lexical().search("replace", 10, Some("hvac")).unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| g.domain_of(h.ordinal) == Some("hvac")));
    let in_hvac = g.domain_filter("HVAC");
    let q = HashEmbedder::vector("replace the air filter");
    let hits = g.vectors().search(&q, 10, Some(&in_hvac));
    assert_eq!(hits.len(), 1);
    assert_eq!(g.domain_of(hits[0].ordinal), Some("hvac"));
    assert!(g
        .vectors()
        .search(&q, 10, Some(&g.domain_filter("nope")))
        .is_empty());
    assert!(g.lexical().search("the of a", 10, None).unwrap().is_empty());
    assert!(g.term_idf("p0420") > g.term_idf("the"));
    assert_eq!(g.term_idf("nonexistentterm"), 0.0);
}

#[test]
fn progress_events_cover_the_run() {
    use nic_index::ProgressEvent;
    use std::sync::Mutex;
    let corpus = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(corpus.path(), "hvac/a.txt", manual_text("fan", "ibexcode"));
    let events = Mutex::new(Vec::new());
    let cb = |e: &ProgressEvent| events.lock().unwrap().push(e.clone());
    let r = ingest(
        data.path(),
        &options(&[corpus.path()]),
        &HashEmbedder::new(),
        &cb,
    )
    .unwrap();
    let ev = events.into_inner().unwrap();
    assert!(matches!(
        ev.first(),
        Some(ProgressEvent::Scanned { files: 1, .. })
    ));
    assert!(ev
        .iter()
        .any(|e| matches!(e, ProgressEvent::Embedded { .. })));
    assert_eq!(
        ev.last(),
        Some(&ProgressEvent::Published {
            generation: r.generation.unwrap()
        })
    );
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["peak_rss_bytes"].as_u64().unwrap() > 0);
}
