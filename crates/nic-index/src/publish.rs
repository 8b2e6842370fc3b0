//! Writing and publishing a generation.
//!
//! The new generation is built in `generations/gen-N.tmp/` by streaming every document's
//! chunks and vectors out of the work store (one document in memory at a time), then every
//! file is checksummed into `manifest.json`, the tree is fsynced, renamed to `gen-N`, the
//! parent directory fsynced, and finally `CURRENT` is switched atomically. A kill at any
//! point before the switch leaves `CURRENT` on the previous generation, whose files are never
//! touched; leftovers (`*.tmp`, or a renamed but never switched `gen-N`) are removed by the
//! next ingest.

use crate::chunkdb::{ChunkDbWriter, DocumentRow};
use crate::error::IndexError;
use crate::fsutil;
use crate::lexical::LexicalBuilder;
use crate::manifest::{checksum_files, Manifest, FORMAT_VERSION};
use crate::report::{ProgressEvent, PublishStep};
use crate::store::Store;
use crate::vectors::{self, F32Writer, HnswParams};
use nic_core::{Chunk, StoredChunk};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A document that goes into the new generation (metadata only; chunks stay in the store).
#[derive(Debug, Clone)]
pub(crate) struct DocEntry {
    pub doc: String,
    pub domain: String,
    pub content_hash: String,
    pub store_key: String,
    pub bytes: u64,
    pub title: String,
    pub pages: u32,
    pub empty_pages: Vec<u32>,
    pub chunk_count: u32,
}

pub(crate) struct BuildSpec<'a> {
    pub id: u64,
    pub model_id: &'a str,
    pub dim: usize,
    pub chunking: &'a str,
    /// `auto` or an explicit vector kind (`NOVA_VECTOR_INDEX`).
    pub vector_index: &'a str,
    pub hnsw_min_chunks: usize,
}

/// Builds generation `spec.id` in its `.tmp` directory and renames it into place (not yet
/// switched). Returns its manifest.
pub(crate) fn build_generation(
    data_dir: &Path,
    spec: &BuildSpec<'_>,
    entries: &[DocEntry],
    store: &Store,
    progress: &dyn Fn(&ProgressEvent),
) -> Result<Manifest, IndexError> {
    let gens = data_dir.join(fsutil::GENERATIONS);
    let final_dir = fsutil::gen_dir(data_dir, spec.id);
    let tmp = gens.join(format!("{}.tmp", fsutil::gen_name(spec.id)));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(IndexError::io(&tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(IndexError::io(&tmp))?;

    progress(&ProgressEvent::Publishing {
        step: PublishStep::Writing,
    });
    let chunks_db = ChunkDbWriter::create(&tmp)?;
    let mut lexical = LexicalBuilder::create(&tmp)?;
    let mut vectors = F32Writer::create(&tmp, spec.dim)?;
    let mut ordinal: u32 = 0;
    let mut used_prefixes: HashSet<String> = HashSet::new();
    let (mut pages, mut empty_pages) = (0u64, 0u64);
    for e in entries {
        let mut prefix: String = e.content_hash.chars().take(12).collect();
        if !used_prefixes.insert(prefix.clone()) {
            // The same file content at two paths: keep chunk ids unique per generation.
            let alt =
                nic_core::text::sha256_hex(format!("{}\0{}", e.doc, e.content_hash).as_bytes());
            prefix = alt.chars().take(12).collect();
            used_prefixes.insert(prefix.clone());
        }
        let first = ordinal;
        let mut per_page: HashMap<u32, u32> = HashMap::new();
        store.for_each_piece(&e.store_key, |p| {
            let n = per_page.entry(p.page).or_insert(0);
            *n += 1;
            let section = nic_core::section_display(&p.section);
            let title = if p.title.is_empty() {
                e.title.clone()
            } else {
                p.title
            };
            lexical.add(ordinal, &p.text, &title, &section, &e.domain)?;
            vectors.push(&p.vector)?;
            chunks_db.add_chunk(&StoredChunk {
                ordinal,
                chunk_id: format!("{prefix}-p{}-{}", p.page, n),
                chunk: Chunk {
                    doc: e.doc.clone(),
                    domain: e.domain.clone(),
                    title,
                    page: p.page,
                    section: p.section,
                    char_start: p.char_start,
                    char_end: p.char_end,
                    text: p.text,
                    section_id: p.section_id,
                    block_start: p.block_start,
                    block_end: p.block_end,
                },
            })?;
            ordinal += 1;
            Ok(())
        })?;
        if ordinal - first != e.chunk_count {
            return Err(IndexError::corrupt(
                &data_dir.join(crate::store::STORE_FILE),
                format!(
                    "entry for {} has {} chunks, expected {}; run `nic ingest --rebuild`",
                    e.doc,
                    ordinal - first,
                    e.chunk_count
                ),
            ));
        }
        let mut tree = store.get_tree(&e.store_key)?;
        if tree.meta.title.is_empty() {
            tree.meta.title = e.title.clone();
        }
        chunks_db.add_tree(&e.doc, &tree)?;
        pages += u64::from(e.pages);
        empty_pages += e.empty_pages.len() as u64;
        chunks_db.add_document(&DocumentRow {
            doc: e.doc.clone(),
            domain: e.domain.clone(),
            title: e.title.clone(),
            content_hash: e.content_hash.clone(),
            store_key: e.store_key.clone(),
            bytes: e.bytes,
            pages: e.pages,
            empty_pages: e.empty_pages.clone(),
            first_ordinal: first,
            chunk_count: e.chunk_count,
        })?;
    }
    chunks_db.finish()?;
    vectors.finish()?;
    progress(&ProgressEvent::Publishing {
        step: PublishStep::Lexical,
    });
    lexical.finish()?;

    progress(&ProgressEvent::Publishing {
        step: PublishStep::Vectors,
    });
    let kind = match spec.vector_index {
        "auto" => vectors::auto_kind(ordinal as usize, spec.hnsw_min_chunks),
        explicit => explicit.parse().map_err(|e: String| IndexError::Config {
            name: "NOVA_VECTOR_INDEX".into(),
            reason: e,
        })?,
    };
    vectors::build_structure(&tmp, kind, &HnswParams::default(), build_threads())?;

    progress(&ProgressEvent::Publishing {
        step: PublishStep::Checksums,
    });
    let now = fsutil::now_unix();
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        generation: spec.id,
        created: fsutil::rfc3339(now),
        created_unix: now,
        model_id: spec.model_id.to_string(),
        dim: spec.dim,
        documents: entries.len(),
        chunks: ordinal as usize,
        pages,
        empty_pages,
        vector_kind: kind.to_string(),
        analyzer_version: crate::analyzer::ANALYZER_VERSION,
        chunking: spec.chunking.to_string(),
        nic_version: nic_core::VERSION.to_string(),
        files: checksum_files(&tmp)?,
    };
    manifest.write(&tmp)?;
    fsutil::fsync_tree(&tmp)?;

    progress(&ProgressEvent::Publishing {
        step: PublishStep::Rename,
    });
    fsutil::move_into_place(&tmp, &final_dir)?;
    Ok(manifest)
}

/// Threads for building a vector structure: the machine's parallelism.
pub(crate) fn build_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Removes generations beyond `keep`, never the current one nor the one it replaced
/// (`previous`), which are kept first; then the newest others.
pub(crate) fn prune_generations(
    data_dir: &Path,
    current: u64,
    previous: Option<u64>,
    keep: usize,
) -> Result<Vec<u64>, IndexError> {
    let ids = fsutil::published_ids(data_dir)?;
    let mut kept: Vec<u64> = vec![current];
    if let Some(p) = previous.filter(|p| *p != current && ids.contains(p)) {
        if kept.len() < keep.max(1) {
            kept.push(p);
        }
    }
    for id in ids.iter().rev() {
        if kept.len() >= keep.max(1) {
            break;
        }
        if !kept.contains(id) {
            kept.push(*id);
        }
    }
    let mut removed = Vec::new();
    for id in ids {
        if !kept.contains(&id) {
            fsutil::remove_generation_dir(&fsutil::gen_dir(data_dir, id))?;
            removed.push(id);
        }
    }
    if !removed.is_empty() {
        fsutil::fsync_dir(&data_dir.join(fsutil::GENERATIONS))?;
    }
    Ok(removed)
}
