//! Shared helpers for the integration tests: a deterministic test-double embedder and
//! corpus/option builders.
#![allow(dead_code)]

use nic_core::{EmbedError, Embedder};
use nic_index::IngestOptions;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// TEST DOUBLE, not a model: hashes lower-cased word unigrams into 384 signed buckets and
/// L2-normalises. Deterministic and fast; texts sharing words get similar vectors, which is
/// all the index layer needs to be tested. An optional sleep per batch makes ingest slow
/// enough to be killed mid-way.
pub struct HashEmbedder {
    pub id: String,
    pub delay: Duration,
}

impl HashEmbedder {
    pub fn new() -> Self {
        Self {
            id: "test-double/hash-unigram-384".into(),
            delay: Duration::ZERO,
        }
    }

    pub fn with_id(id: &str) -> Self {
        Self {
            id: id.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn slow(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::new()
        }
    }

    pub fn vector(text: &str) -> Vec<f32> {
        let mut v = vec![0f32; 384];
        for w in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let mut h: u64 = 0xcbf29ce484222325;
            for b in w.to_lowercase().bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x100000001b3);
            }
            let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
            v[(h % 384) as usize] += sign;
        }
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if n > 0.0 {
            v.iter_mut().for_each(|x| *x /= n);
        }
        v
    }
}

impl Embedder for HashEmbedder {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        384
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        Ok(texts.iter().map(|t| Self::vector(t)).collect())
    }

    fn count_tokens(&self, text: &str) -> usize {
        text.split_whitespace().count()
    }
}

pub fn options(roots: &[&Path]) -> IngestOptions {
    IngestOptions {
        roots: roots.iter().map(|p| p.to_path_buf()).collect(),
        batch_size: 8,
        extract: nic_ingest::ExtractOptions::default(),
        chunk: nic_ingest::ChunkOptions {
            target_tokens: 200,
            max_tokens: 256,
            overlap_tokens: 30,
        },
        keep_generations: 2,
        vector_index: "auto".into(),
        hnsw_min_chunks: 200_000,
        rebuild: false,
    }
}

pub fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, content).unwrap();
    p
}

/// A realistic little manual page about `topic`, with a unique `marker` word.
pub fn manual_text(topic: &str, marker: &str) -> String {
    format!(
        "# {topic}\n\n\
         1-1 General\n\n\
         This section describes the {topic} procedure. The reference code is {marker}.\n\n\
         WARNING: Disconnect the battery before servicing the {topic}.\n\n\
         1-2 Procedure\n\n\
         1. Remove the cover bolts and torque them to 85-95 ft-lbs on reassembly.\n\
         2. Measure the output voltage; it must read 13.8-14.4V at idle.\n\
         3. Record the result in the {topic} log together with {marker}.\n"
    )
}

pub fn no_progress() -> impl Fn(&nic_index::ProgressEvent) {
    |_| {}
}

/// Ordinals of the top lexical hits for `q`.
pub fn lexical_docs(g: &nic_index::Generation, q: &str, k: usize) -> Vec<String> {
    g.lexical()
        .search(q, k, None)
        .unwrap()
        .into_iter()
        .map(|h| g.chunk(h.ordinal).unwrap().chunk.doc)
        .collect()
}
