//! One index of `examples/manuals/` built with the real model, shared by the tests of a
//! test binary.

#![allow(dead_code)]

use nic_answer::session::MemorySessionStore;
use nic_answer::Engine;
use nic_core::{Embedder, NicConfig};
use nic_index::{Generation, IngestOptions};
use nic_retrieve::{Retriever, RetrieverConfig};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub engine: Arc<Engine>,
    pub config: NicConfig,
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let model = repo().join("models/all-MiniLM-L6-v2");
        let embedder: Arc<dyn Embedder> =
            Arc::new(nic_embed::LazyEmbedder::new(&model).expect("model: run `make model`"));
        let config = NicConfig {
            data_dir: dir.path().to_path_buf(),
            ..NicConfig::default()
        };
        let opts = IngestOptions {
            roots: vec![repo().join("examples/manuals")],
            batch_size: 8,
            extract: nic_ingest::ExtractOptions {
                pdf_timeout: Duration::from_secs(30),
                max_file_bytes: 64 << 20,
            },
            chunk: nic_ingest::ChunkOptions::default(),
            keep_generations: 2,
            vector_index: "auto".into(),
            hnsw_min_chunks: 200_000,
            rebuild: false,
        };
        let report = nic_index::ingest(dir.path(), &opts, embedder.as_ref(), &|_| {})
            .expect("ingest examples/manuals");
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        let gen = Arc::new(Generation::open_current(dir.path()).expect("open"));
        let retriever = Retriever::new(gen, embedder, RetrieverConfig::from_config(&config));
        let sessions = Arc::new(MemorySessionStore::new(100, Duration::from_secs(600)));
        let engine = Arc::new(Engine::new(retriever, config.clone(), sessions, None));
        Fixture {
            _dir: dir,
            engine,
            config,
        }
    })
}

#[derive(serde::Deserialize)]
pub struct Questions<T> {
    pub question: Vec<T>,
}

#[derive(serde::Deserialize, Clone)]
pub struct Answerable {
    pub q: String,
    pub doc: String,
    pub page: u32,
    pub section_contains: String,
}

#[derive(serde::Deserialize, Clone)]
pub struct Unrelated {
    pub q: String,
    pub category: String,
}

pub fn load<T: serde::de::DeserializeOwned>(name: &str) -> Vec<T> {
    let path = repo().join("tests/data").join(name);
    let text = std::fs::read_to_string(&path).expect("question file");
    let q: Questions<T> = toml::from_str(&text).expect("question toml");
    q.question
}
