//! A synthetic corpus for scale benchmarks (`nic bench scale`): millions of chunks with
//! clustered unit vectors and matching text, published as a real generation (tantivy,
//! SQLite, vector files, manifest) without an embedding model.
//!
//! Why clustered: uniformly random 384-dim vectors are all nearly orthogonal, which no real
//! embedding set looks like and which makes every ANN index look worse than it is.
//! Real chunk embeddings form topics within subjects, so the generator draws a two-level
//! mixture: `subjects` centres, topics around them, chunks around their topic (cosine to
//! the topic ≈ 0.75). Queries are fresh draws from the same topics, never stored vectors.
//! Text reuses per-topic pseudo-words, so BM25 has realistic postings too.
//!
//! Everything is a pure function of `(seed, index)`, so the benchmark's queries and ground
//! truth can be regenerated anywhere.

use crate::catalog::{Catalog, GenerationRecord};
use crate::chunkdb::{ChunkDbWriter, DocumentRow};
use crate::error::IndexError;
use crate::fsutil;
use crate::lexical::LexicalBuilder;
use crate::manifest::{checksum_files, Manifest, FORMAT_VERSION};
use crate::publish::build_threads;
use crate::vectors::{self, F32Writer, HnswParams, VectorKind};
use nic_core::{Chunk, StoredChunk};
use rand::{Rng, SeedableRng};
use std::path::Path;

/// Shape of a synthetic corpus.
#[derive(Debug, Clone)]
pub struct SyntheticSpec {
    pub chunks: usize,
    pub dim: usize,
    pub seed: u64,
    pub subjects: usize,
    /// Chunks per topic on average.
    pub chunks_per_topic: usize,
    /// Chunks per synthetic document (one page each).
    pub chunks_per_doc: usize,
}

impl SyntheticSpec {
    pub fn new(chunks: usize, dim: usize, seed: u64) -> Self {
        Self {
            chunks,
            dim,
            seed,
            subjects: 500,
            chunks_per_topic: 50,
            chunks_per_doc: 200,
        }
    }

    fn topics(&self) -> usize {
        (self.chunks / self.chunks_per_topic.max(1)).max(1)
    }
}

const DOMAINS: [&str; 8] = [
    "hvac", "vehicle", "medical", "plc", "aviation", "marine", "elevator", "power",
];

/// The corpus: topic centres in memory (`topics × dim` f32, 30 MB at 1M chunks).
pub struct SyntheticCorpus {
    spec: SyntheticSpec,
    topics: Vec<Vec<f32>>,
}

fn rng_for(seed: u64, stream: u64, i: u64) -> rand::rngs::StdRng {
    rand::rngs::StdRng::seed_from_u64(
        seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i.wrapping_mul(0xD6E8_FEB8_6659_FD93),
    )
}

/// `dim` standard normal draws (Box–Muller).
fn gaussian(rng: &mut impl Rng, dim: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(dim + 1);
    while out.len() < dim {
        let u1: f32 = rng.gen_range(f32::EPSILON..1.0);
        let u2: f32 = rng.gen_range(0.0..1.0);
        let r = (-2.0 * u1.ln()).sqrt();
        let t = std::f32::consts::TAU * u2;
        out.push(r * t.cos());
        out.push(r * t.sin());
    }
    out.truncate(dim);
    out
}

/// `normalize(center + noise · g)` with `g` of unit expected norm.
fn around(rng: &mut impl Rng, center: &[f32], noise: f32) -> Vec<f32> {
    let scale = noise / (center.len() as f32).sqrt();
    let g = gaussian(rng, center.len());
    vectors::normalized(
        &center
            .iter()
            .zip(g)
            .map(|(c, x)| c + scale * x)
            .collect::<Vec<_>>(),
    )
}

fn word(topic: usize, n: usize) -> String {
    // Pseudo-words: stable per topic, distinct across topics, stemmer-proof.
    format!("zq{}x{}", radix36(topic), radix36(n))
}

fn radix36(mut n: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut s = Vec::new();
    loop {
        s.push(DIGITS[n % 36]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

impl SyntheticCorpus {
    pub fn new(spec: SyntheticSpec) -> Self {
        let subjects: Vec<Vec<f32>> = (0..spec.subjects.max(1))
            .map(|s| vectors::normalized(&gaussian(&mut rng_for(spec.seed, 1, s as u64), spec.dim)))
            .collect();
        let topics = (0..spec.topics())
            .map(|t| {
                let mut rng = rng_for(spec.seed, 2, t as u64);
                around(&mut rng, &subjects[t % subjects.len()], 1.0)
            })
            .collect();
        Self { spec, topics }
    }

    pub fn spec(&self) -> &SyntheticSpec {
        &self.spec
    }

    fn topic_of(&self, i: usize) -> usize {
        // Scattered, not contiguous: a document mixes topics like a real manual does.
        (i.wrapping_mul(2_654_435_761) >> 7) % self.topics.len()
    }

    /// Vector of chunk `i` (unit length).
    pub fn vector(&self, i: usize) -> Vec<f32> {
        let mut rng = rng_for(self.spec.seed, 3, i as u64);
        around(&mut rng, &self.topics[self.topic_of(i)], 0.88)
    }

    /// Text of chunk `i`: topic words, a chunk-unique word and filler, ~60 words.
    pub fn text(&self, i: usize) -> String {
        let t = self.topic_of(i);
        let mut rng = rng_for(self.spec.seed, 4, i as u64);
        let mut words: Vec<String> = Vec::with_capacity(64);
        words.push(format!("uid{}", radix36(i)));
        for _ in 0..20 {
            words.push(word(t, rng.gen_range(0..30)));
        }
        for _ in 0..40 {
            words.push(word(
                rng.gen_range(0..self.topics.len()),
                rng.gen_range(0..30),
            ));
        }
        words.join(" ")
    }

    /// Query `j`: a fresh draw around a topic (vector) and three of its words (text).
    pub fn query(&self, j: usize) -> (Vec<f32>, String) {
        let mut rng = rng_for(self.spec.seed, 5, j as u64);
        let t = rng.gen_range(0..self.topics.len());
        let v = around(&mut rng, &self.topics[t], 0.88);
        let text = (0..3)
            .map(|_| word(t, rng.gen_range(0..30)))
            .collect::<Vec<_>>()
            .join(" ");
        (v, text)
    }

    pub fn domain(&self, i: usize) -> &'static str {
        DOMAINS[(i / self.spec.chunks_per_doc.max(1)) % DOMAINS.len()]
    }
}

/// Builds and publishes the corpus as the next generation of `data_dir` with vector tier
/// `kind`; `progress(done, total)` is called every 100,000 chunks.
pub fn publish_synthetic(
    data_dir: &Path,
    corpus: &SyntheticCorpus,
    kind: VectorKind,
    progress: &dyn Fn(usize, usize),
) -> Result<Manifest, IndexError> {
    std::fs::create_dir_all(data_dir).map_err(IndexError::io(data_dir))?;
    let _lock = fsutil::IngestLock::acquire(data_dir)?;
    let catalog = Catalog::open(data_dir)?;
    let id = fsutil::published_ids(data_dir)?
        .into_iter()
        .max()
        .unwrap_or(0)
        .max(catalog.max_generation()?)
        + 1;
    let gens = data_dir.join(fsutil::GENERATIONS);
    let tmp = gens.join(format!("{}.tmp", fsutil::gen_name(id)));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(IndexError::io(&tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(IndexError::io(&tmp))?;
    let spec = corpus.spec();
    let chunks_db = ChunkDbWriter::create(&tmp)?;
    let mut lexical = LexicalBuilder::create(&tmp)?;
    let mut vectors_out = F32Writer::create(&tmp, spec.dim)?;
    let per_doc = spec.chunks_per_doc.max(1);
    let docs = spec.chunks.div_ceil(per_doc);
    for d in 0..docs {
        let first = d * per_doc;
        let last = (first + per_doc).min(spec.chunks);
        let doc = format!("synthetic/doc-{d:06}.txt");
        let domain = corpus.domain(first);
        let title = format!("Synthetic manual {d}");
        for i in first..last {
            let text = corpus.text(i);
            let page = (i - first) as u32 / 4 + 1;
            let section = vec![format!("Section {}", (i - first) / 20 + 1)];
            lexical.add(i as u32, &text, &title, &section[0], domain)?;
            vectors_out.push(&corpus.vector(i))?;
            chunks_db.add_chunk(&StoredChunk {
                ordinal: i as u32,
                chunk_id: format!("syn{d:06}-p{page}-{}", (i - first) % 4 + 1),
                chunk: Chunk {
                    doc: doc.clone(),
                    domain: domain.to_string(),
                    title: title.clone(),
                    page,
                    section,
                    char_start: 0,
                    char_end: text.len(),
                    text,
                    section_id: 0,
                    block_start: 0,
                    block_end: 0,
                },
            })?;
            if (i + 1) % 100_000 == 0 {
                progress(i + 1, spec.chunks);
            }
        }
        chunks_db.add_document(&DocumentRow {
            doc,
            domain: domain.to_string(),
            title,
            content_hash: format!("synthetic-{}-{d}", spec.seed),
            store_key: String::new(),
            bytes: 0,
            pages: ((last - first) as u32).div_ceil(4),
            empty_pages: Vec::new(),
            first_ordinal: first as u32,
            chunk_count: (last - first) as u32,
        })?;
    }
    chunks_db.finish()?;
    vectors_out.finish()?;
    lexical.finish()?;
    vectors::build_structure(&tmp, kind, &HnswParams::default(), build_threads())?;
    let now = fsutil::now_unix();
    let model_id = format!("synthetic/{}d/seed-{}", spec.dim, spec.seed);
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        generation: id,
        created: fsutil::rfc3339(now),
        created_unix: now,
        model_id: model_id.clone(),
        dim: spec.dim,
        documents: docs,
        chunks: spec.chunks,
        pages: (spec.chunks as u64).div_ceil(4),
        empty_pages: 0,
        vector_kind: kind.to_string(),
        analyzer_version: crate::analyzer::ANALYZER_VERSION,
        chunking: "synthetic".into(),
        nic_version: nic_core::VERSION.to_string(),
        files: checksum_files(&tmp)?,
    };
    manifest.write(&tmp)?;
    fsutil::fsync_tree(&tmp)?;
    let final_dir = fsutil::gen_dir(data_dir, id);
    fsutil::move_into_place(&tmp, &final_dir)?;
    fsutil::switch_current(data_dir, id)?;
    catalog.record_generation(&GenerationRecord {
        id,
        created_unix: now,
        model_id,
        documents: docs as u64,
        chunks: spec.chunks as u64,
        files_failed: 0,
    })?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_generation_opens_and_queries_find_their_topic() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = SyntheticCorpus::new(SyntheticSpec {
            chunks_per_doc: 100,
            ..SyntheticSpec::new(2_000, 64, 7)
        });
        let m = publish_synthetic(dir.path(), &corpus, "hnsw-f16".parse().unwrap(), &|_, _| {})
            .unwrap();
        assert_eq!(m.chunks, 2_000);
        let g = crate::Generation::open_current(dir.path()).unwrap();
        assert_eq!(g.len(), 2_000);
        assert_eq!(g.documents(), 20);
        let (q, text) = corpus.query(3);
        let hits = g.vectors().search(&q, 10, None);
        assert_eq!(hits.len(), 10);
        // Clustered: the best hit is close, far closer than a random pair.
        assert!(hits[0].score > 0.4, "{}", hits[0].score);
        let lex = g.lexical().search(&text, 5, None).unwrap();
        assert!(!lex.is_empty());
        // Deterministic.
        assert_eq!(
            corpus.vector(5),
            SyntheticCorpus::new(corpus.spec().clone()).vector(5)
        );
    }
}
