//! One file of an ingest: hash, reuse from the work store, or extract → chunk → embed in
//! batches → commit to the store in one transaction.

use crate::error::IndexError;
use crate::fsutil;
use crate::publish::DocEntry;
use crate::report::{IngestOptions, ProgressEvent};
use crate::store::{store_key, Store, StoredDoc, StoredPiece};
use nic_core::Embedder;
use nic_ingest::SourceFile;
use std::collections::HashSet;

/// Text handed to the embedder for a chunk: prefixed with its section path, which gives a
/// short chunk its topic, unless that would push it past the chunker's token ceiling (the
/// embedder's input limit: the tail would be truncated).
fn embedding_text(
    section: &[String],
    text: &str,
    max_tokens: usize,
    embedder: &dyn Embedder,
) -> String {
    if section.is_empty() {
        return text.to_string();
    }
    let prefixed = format!("{}: {}", nic_core::section_display(section), text);
    if embedder.count_tokens(&prefixed) <= max_tokens {
        prefixed
    } else {
        text.to_string()
    }
}

pub(crate) struct Processed {
    pub entry: DocEntry,
    pub reused: bool,
    pub warnings: Vec<String>,
    /// Sections, tables, procedures and warnings found (documents parsed in this run).
    pub structure: Option<nic_core::StructureCounts>,
}

pub(crate) enum FileError {
    /// This file fails; the run goes on. `hash` when the file could be read.
    Failed {
        reason: String,
        hash: Option<String>,
    },
    /// The run cannot go on (store or embedder unusable).
    Fatal(IndexError),
}

impl From<IndexError> for FileError {
    fn from(e: IndexError) -> Self {
        FileError::Fatal(e)
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn process_file(
    src: &SourceFile,
    opts: &IngestOptions,
    embedder: &dyn Embedder,
    store: &mut Store,
    chunking: &str,
    model_id: &str,
    batch: usize,
    progress: &dyn Fn(&ProgressEvent),
) -> Result<Processed, FileError> {
    let (hash, bytes) = fsutil::sha256_file(&src.path).map_err(|e| FileError::Failed {
        reason: format!("cannot read file: {e}"),
        hash: None,
    })?;
    let key = store_key(&src.doc, &hash, chunking, model_id);
    let entry = |d: &StoredDoc| DocEntry {
        doc: src.doc.clone(),
        domain: src.domain.clone(),
        content_hash: hash.clone(),
        store_key: key.clone(),
        bytes,
        title: d.title.clone(),
        pages: d.pages,
        empty_pages: d.empty_pages.clone(),
        chunk_count: d.chunk_count,
    };
    if let Some(d) = store.get_doc(&key)? {
        if d.dim == embedder.dim() {
            return Ok(Processed {
                entry: entry(&d),
                reused: true,
                warnings: Vec::new(),
                structure: None,
            });
        }
    }
    let failed = |reason: String| FileError::Failed {
        reason,
        hash: Some(hash.clone()),
    };
    let doc =
        nic_ingest::extract_file(&src.path, &opts.extract).map_err(|e| failed(e.to_string()))?;
    let count = |t: &str| embedder.count_tokens(t);
    let chunks = nic_ingest::chunk_document(&doc, src, &opts.chunk, &count);
    let mut page_numbers: HashSet<u32> = doc.pages.iter().map(|p| p.number).collect();
    page_numbers.extend(doc.empty_pages.iter().copied());
    let mut warnings = doc.warnings.clone();
    if !doc.empty_pages.is_empty() {
        warnings.push(format!(
            "{} page(s) without text (scanned images?): {}",
            doc.empty_pages.len(),
            doc.empty_pages
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if chunks.is_empty() {
        return Err(failed(if doc.empty_pages.is_empty() {
            "no text could be extracted".to_string()
        } else {
            format!(
                "no text could be extracted ({} page(s) without text: scanned images need OCR first)",
                doc.empty_pages.len()
            )
        }));
    }
    let texts: Vec<String> = chunks
        .iter()
        .map(|c| embedding_text(&c.section, &c.text, opts.chunk.max_tokens, embedder))
        .collect();
    // A forward pass pads every text to the longest of its batch, so batches are cut from the
    // document's chunks in order of length: neighbours in a batch are close in length and
    // little time goes into padding. The vectors are put back in chunk order.
    let mut order: Vec<usize> = (0..chunks.len()).collect();
    order.sort_by_key(|&i| texts[i].len());
    let mut vectors: Vec<Option<Vec<f32>>> = vec![None; chunks.len()];
    let mut done = 0;
    for group in order.chunks(batch) {
        let refs: Vec<&str> = group.iter().map(|&i| texts[i].as_str()).collect();
        let embedded = match embedder.embed(&refs) {
            Ok(v) => v,
            Err(e @ nic_core::EmbedError::Model { .. }) => return Err(FileError::Fatal(e.into())),
            Err(e) => return Err(failed(e.to_string())),
        };
        if embedded.len() != group.len() || embedded.iter().any(|v| v.len() != embedder.dim()) {
            return Err(FileError::Fatal(IndexError::Embed(
                nic_core::EmbedError::Inference(format!(
                    "embedder returned {} vectors for {} texts (or wrong dimensions)",
                    embedded.len(),
                    group.len()
                )),
            )));
        }
        for (&i, v) in group.iter().zip(embedded) {
            vectors[i] = Some(v);
        }
        done += group.len();
        progress(&ProgressEvent::Embedded {
            doc: src.doc.clone(),
            done,
            total: chunks.len(),
        });
    }
    drop(texts);
    let mut pieces: Vec<StoredPiece> = Vec::with_capacity(chunks.len());
    for (c, v) in chunks.iter().zip(vectors) {
        let Some(vector) = v else {
            return Err(FileError::Fatal(IndexError::Embed(
                nic_core::EmbedError::Inference("a chunk was left without a vector".into()),
            )));
        };
        pieces.push(StoredPiece {
            page: c.page,
            section: c.section.clone(),
            title: c.title.clone(),
            char_start: c.char_start,
            char_end: c.char_end,
            text: c.text.clone(),
            vector,
            section_id: c.section_id,
            block_start: c.block_start,
            block_end: c.block_end,
        });
    }
    let stored = StoredDoc {
        title: doc.title.clone(),
        pages: page_numbers.len() as u32,
        empty_pages: doc.empty_pages.clone(),
        chunk_count: pieces.len() as u32,
        dim: embedder.dim(),
    };
    store.put_doc(&key, &stored, &pieces, &doc.tree)?;
    Ok(Processed {
        entry: entry(&stored),
        reused: false,
        warnings,
        structure: Some(doc.tree.counts()),
    })
}
