//! Ingest orchestration: scan → hash → (reuse | extract → chunk → embed → commit) →
//! publish a generation.
//!
//! Memory stays bounded whatever the corpus size: files are processed one at a time, each
//! document's chunks are embedded `batch_size` texts at a time and committed to the work
//! store in one transaction, and the generation is then written by streaming the store.
//! Only per-document metadata (a few hundred bytes each) is held for the whole run.
//!
//! Crash safety: the previous generation is never modified; the work store only gains
//! committed documents; the new generation becomes visible only through the atomic switch
//! of `CURRENT` (see [`crate::publish`]). A killed run is resumed by the next one, which
//! reuses every committed document.

use crate::catalog::{Catalog, GenerationRecord};
use crate::chunkdb::{ChunkDb, DocumentRow};
use crate::error::IndexError;
use crate::fsutil::{self, IngestLock};
use crate::publish::{build_generation, prune_generations, BuildSpec, DocEntry};
use crate::store::{store_key, Store, StoredDoc, StoredPiece};
use nic_core::Embedder;
use nic_ingest::{ChunkOptions, ExtractOptions, SourceFile};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to ingest and how.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Corpus directories; empty = the roots remembered in the catalog. Non-empty replaces
    /// the remembered list.
    pub roots: Vec<PathBuf>,
    /// Texts per `Embedder::embed` call (`NOVA_BATCH_SIZE`).
    pub batch_size: usize,
    pub extract: ExtractOptions,
    pub chunk: ChunkOptions,
    /// Published generations kept on disk (`NOVA_KEEP_GENERATIONS`), at least 1.
    pub keep_generations: usize,
    /// Forget the work store and re-extract and re-embed everything; publish even when
    /// nothing changed (`nic ingest --rebuild`).
    pub rebuild: bool,
}

/// Publishing stages, reported as they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishStep {
    /// Streaming chunks and vectors into the new generation's files.
    Writing,
    /// Committing and merging the lexical index.
    Lexical,
    /// Checksumming files into the manifest and fsyncing.
    Checksums,
    /// Renaming `gen-N.tmp` to `gen-N`.
    Rename,
    /// Switching `CURRENT` (the publish).
    Switch,
    /// Removing old generations and unreferenced work-store entries.
    Cleanup,
}

/// How one file went.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileOutcome {
    /// Found in the work store (unchanged content): not re-extracted.
    Reused { chunks: u32 },
    /// Extracted, chunked and embedded in this run.
    Extracted { chunks: u32 },
    Failed { reason: String },
}

/// Progress, delivered synchronously to the caller's callback (a progress bar, a log).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProgressEvent {
    Scanned { files: usize, errors: usize },
    FileStarted { index: usize, total: usize, doc: String },
    /// After each embedding batch of the current file.
    Embedded { doc: String, done: usize, total: usize },
    FileDone { index: usize, total: usize, doc: String, outcome: FileOutcome },
    Publishing { step: PublishStep },
    Published { generation: u64 },
    /// Nothing to publish (no change, or nothing could be ingested).
    NotPublished { reason: String },
}

/// A file that could not be ingested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileFailure {
    pub path: String,
    pub reason: String,
}

/// A non-fatal note about a file (pages without text, extractor fallbacks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileWarning {
    pub path: String,
    pub message: String,
}

/// The summary of one ingest. `files_new/changed/unchanged` classify the scanned files
/// against the generation that was current when the run started (failed files are counted
/// there too); `documents/pages/chunks` describe the resulting generation (or what would
/// have been published).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestReport {
    pub roots: Vec<String>,
    pub files_total: usize,
    pub files_new: usize,
    pub files_changed: usize,
    pub files_unchanged: usize,
    pub files_deleted: usize,
    /// Files extracted and embedded in this run (the rest came from the work store).
    pub files_extracted: usize,
    pub files_reused: usize,
    pub failed: Vec<FileFailure>,
    pub warnings: Vec<FileWarning>,
    pub documents: usize,
    pub pages: u64,
    pub empty_pages: u64,
    pub chunks: usize,
    pub chunks_embedded: usize,
    pub model_id: String,
    pub previous_generation: Option<u64>,
    /// The generation serving after this run (new if published, else the previous one).
    pub generation: Option<u64>,
    pub published: bool,
    /// One line for humans: what happened and why.
    pub message: String,
    pub elapsed_s: f64,
    /// `VmHWM` of this process at the end of the run.
    pub peak_rss_bytes: u64,
}

impl IngestReport {
    /// Whether the CLI should exit non-zero: nothing could be ingested at all (no usable
    /// document) — an unchanged corpus or some failed files are not errors.
    pub fn nothing_ingested(&self) -> bool {
        self.documents == 0
    }
}

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

fn chunking_key(c: &ChunkOptions) -> String {
    format!(
        "chunker-v1/{}/{}/{}",
        c.target_tokens, c.max_tokens, c.overlap_tokens
    )
}

/// Documents of the current generation by path, if one opens.
fn previous_documents(data_dir: &Path) -> (Option<u64>, Option<String>, HashMap<String, DocumentRow>) {
    let Ok(Some(id)) = fsutil::read_current(data_dir) else {
        return (None, None, HashMap::new());
    };
    let dir = fsutil::gen_dir(data_dir, id);
    let model = crate::manifest::Manifest::read(&dir).ok().map(|m| m.model_id);
    let docs = ChunkDb::open(&dir, 1)
        .and_then(|db| db.documents())
        .map(|d| d.into_iter().map(|r| (r.doc.clone(), r)).collect())
        .unwrap_or_else(|e| {
            tracing::warn!("current generation {id} unreadable ({e}); ingesting as new");
            HashMap::new()
        });
    (Some(id), model, docs)
}

/// Removes `*.tmp` generation directories and generations that were renamed into place but
/// never switched to (newer than `CURRENT` and absent from the publish history).
fn remove_leftovers(data_dir: &Path, current: Option<u64>, catalog: &Catalog) -> Result<(), IndexError> {
    let gens = data_dir.join(fsutil::GENERATIONS);
    std::fs::create_dir_all(&gens).map_err(IndexError::io(&gens))?;
    for entry in std::fs::read_dir(&gens).map_err(IndexError::io(&gens))? {
        let entry = entry.map_err(IndexError::io(&gens))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tmp") {
            let p = entry.path();
            tracing::info!("removing leftover {} from an interrupted ingest", p.display());
            std::fs::remove_dir_all(&p).map_err(IndexError::io(&p))?;
        }
    }
    let recorded: HashSet<u64> = catalog.history()?.into_iter().map(|g| g.id).collect();
    for id in fsutil::published_ids(data_dir)? {
        if !recorded.contains(&id) && current.is_none_or(|c| id > c) {
            let p = fsutil::gen_dir(data_dir, id);
            tracing::info!("removing never-published {} from an interrupted ingest", p.display());
            std::fs::remove_dir_all(&p).map_err(IndexError::io(&p))?;
        }
    }
    Ok(())
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    })
}

/// Ingests the corpus roots into `data_dir` and publishes a new generation when anything
/// changed. Per-file problems go into the report; an `Err` means the run itself failed
/// (lock held, no roots, disk or database error, embedder unusable) and the previous
/// generation is still the one served.
pub fn ingest(
    data_dir: &Path,
    opts: &IngestOptions,
    embedder: &dyn Embedder,
    progress: &dyn Fn(&ProgressEvent),
) -> Result<IngestReport, IndexError> {
    let started = Instant::now();
    std::fs::create_dir_all(data_dir).map_err(IndexError::io(data_dir))?;
    let _lock = IngestLock::acquire(data_dir)?;
    let mut catalog = Catalog::open(data_dir)?;
    let (prev_id, prev_model, prev_docs) = previous_documents(data_dir);
    remove_leftovers(data_dir, prev_id, &catalog)?;

    let roots: Vec<PathBuf> = if opts.roots.is_empty() {
        catalog.roots()?
    } else {
        let r: Vec<PathBuf> = opts.roots.iter().map(|p| absolute(p)).collect();
        catalog.set_roots(&r)?;
        r
    };
    if roots.is_empty() {
        return Err(IndexError::NoRoots);
    }

    let mut store = Store::open(data_dir)?;
    if opts.rebuild {
        store.clear()?;
    }
    let model_id = embedder.model_id().to_string();
    let chunking = chunking_key(&opts.chunk);
    let mut report = IngestReport {
        roots: roots.iter().map(|r| r.display().to_string()).collect(),
        files_total: 0,
        files_new: 0,
        files_changed: 0,
        files_unchanged: 0,
        files_deleted: 0,
        files_extracted: 0,
        files_reused: 0,
        failed: Vec::new(),
        warnings: Vec::new(),
        documents: 0,
        pages: 0,
        empty_pages: 0,
        chunks: 0,
        chunks_embedded: 0,
        model_id: model_id.clone(),
        previous_generation: prev_id,
        generation: prev_id,
        published: false,
        message: String::new(),
        elapsed_s: 0.0,
        peak_rss_bytes: 0,
    };

    let (sources, scan_errors) = nic_ingest::scan_roots(&roots);
    for e in &scan_errors {
        report.failed.push(FileFailure {
            path: e.path.display().to_string(),
            reason: e.reason.clone(),
        });
    }
    // Two roots may hold the same relative path; the first one wins.
    let mut seen_docs: HashMap<String, PathBuf> = HashMap::new();
    let mut unique: Vec<SourceFile> = Vec::with_capacity(sources.len());
    for s in sources {
        if let Some(first) = seen_docs.get(&s.doc) {
            report.failed.push(FileFailure {
                path: s.path.display().to_string(),
                reason: format!(
                    "same document path `{}` as {}; rename one of them",
                    s.doc,
                    first.display()
                ),
            });
            continue;
        }
        seen_docs.insert(s.doc.clone(), s.path.clone());
        unique.push(s);
    }
    let mut sources = unique;
    sources.sort_by(|a, b| a.doc.cmp(&b.doc));
    report.files_total = sources.len();
    progress(&ProgressEvent::Scanned {
        files: sources.len(),
        errors: scan_errors.len(),
    });

    let total = sources.len();
    let batch = opts.batch_size.max(1);
    let mut entries: Vec<DocEntry> = Vec::with_capacity(total);
    for (index, src) in sources.iter().enumerate() {
        progress(&ProgressEvent::FileStarted {
            index,
            total,
            doc: src.doc.clone(),
        });
        let path_s = src.path.display().to_string();
        let outcome = match process_file(src, opts, embedder, &mut store, &chunking, &model_id, batch, progress) {
            Ok(Processed { entry, reused, warnings }) => {
                let prev = prev_docs.get(&src.doc);
                match prev {
                    None => report.files_new += 1,
                    Some(p) if p.content_hash == entry.content_hash => report.files_unchanged += 1,
                    Some(_) => report.files_changed += 1,
                }
                for w in warnings {
                    report.warnings.push(FileWarning {
                        path: path_s.clone(),
                        message: w,
                    });
                }
                let chunks = entry.chunk_count;
                entries.push(entry);
                if reused {
                    report.files_reused += 1;
                    FileOutcome::Reused { chunks }
                } else {
                    report.files_extracted += 1;
                    report.chunks_embedded += chunks as usize;
                    FileOutcome::Extracted { chunks }
                }
            }
            Err(FileError::Fatal(e)) => return Err(e),
            Err(FileError::Failed { reason, hash }) => {
                match (prev_docs.get(&src.doc), hash) {
                    (None, _) => report.files_new += 1,
                    (Some(p), Some(h)) if p.content_hash == h => report.files_unchanged += 1,
                    (Some(_), _) => report.files_changed += 1,
                }
                report.failed.push(FileFailure {
                    path: path_s,
                    reason: reason.clone(),
                });
                FileOutcome::Failed { reason }
            }
        };
        progress(&ProgressEvent::FileDone {
            index,
            total,
            doc: src.doc.clone(),
            outcome,
        });
    }
    report.files_deleted = prev_docs.keys().filter(|d| !seen_docs.contains_key(*d)).count();
    report.documents = entries.len();
    report.chunks = entries.iter().map(|e| e.chunk_count as usize).sum();
    report.pages = entries.iter().map(|e| u64::from(e.pages)).sum();
    report.empty_pages = entries.iter().map(|e| e.empty_pages.len() as u64).sum();

    let same_as_previous = prev_id.is_some()
        && prev_model.as_deref() == Some(model_id.as_str())
        && prev_docs.len() == entries.len()
        && entries.iter().all(|e| {
            prev_docs
                .get(&e.doc)
                .is_some_and(|p| p.store_key == e.store_key)
        });
    let not_published = if entries.is_empty() {
        Some(match prev_id {
            Some(id) => format!("nothing could be ingested; generation {id} is still served"),
            None => "nothing could be ingested; no index was published".to_string(),
        })
    } else if same_as_previous && !opts.rebuild {
        Some(format!(
            "no changes since generation {}; nothing published",
            prev_id.unwrap_or_default()
        ))
    } else {
        None
    };

    if let Some(reason) = not_published {
        progress(&ProgressEvent::NotPublished {
            reason: reason.clone(),
        });
        report.message = reason;
    } else {
        let id = fsutil::published_ids(data_dir)?
            .into_iter()
            .max()
            .unwrap_or(0)
            .max(catalog.max_generation()?)
            .max(prev_id.unwrap_or(0))
            + 1;
        let spec = BuildSpec {
            id,
            model_id: &model_id,
            dim: embedder.dim(),
            chunking: &chunking,
        };
        let manifest = build_generation(data_dir, &spec, &entries, &store, progress)?;
        progress(&ProgressEvent::Publishing {
            step: PublishStep::Switch,
        });
        fsutil::switch_current(data_dir, id)?;
        catalog.record_generation(&GenerationRecord {
            id,
            created_unix: manifest.created_unix,
            model_id: model_id.clone(),
            documents: manifest.documents as u64,
            chunks: manifest.chunks as u64,
            files_failed: report.failed.len() as u64,
        })?;
        progress(&ProgressEvent::Publishing {
            step: PublishStep::Cleanup,
        });
        prune_generations(data_dir, id, prev_id, opts.keep_generations)?;
        let keep: Vec<String> = entries.iter().map(|e| e.store_key.clone()).collect();
        store.retain(&keep)?;
        progress(&ProgressEvent::Published { generation: id });
        report.generation = Some(id);
        report.published = true;
        report.message = format!(
            "published generation {id}: {} documents, {} chunks",
            manifest.documents, manifest.chunks
        );
    }
    report.elapsed_s = started.elapsed().as_secs_f64();
    report.peak_rss_bytes = fsutil::peak_rss_bytes();
    Ok(report)
}

struct Processed {
    entry: DocEntry,
    reused: bool,
    warnings: Vec<String>,
}

enum FileError {
    /// This file fails; the run goes on. `hash` when the file could be read.
    Failed { reason: String, hash: Option<String> },
    /// The run cannot go on (store or embedder unusable).
    Fatal(IndexError),
}

impl From<IndexError> for FileError {
    fn from(e: IndexError) -> Self {
        FileError::Fatal(e)
    }
}

#[allow(clippy::too_many_arguments)]
fn process_file(
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
            });
        }
    }
    let failed = |reason: String| FileError::Failed {
        reason,
        hash: Some(hash.clone()),
    };
    let doc = nic_ingest::extract_file(&src.path, &opts.extract).map_err(|e| failed(e.to_string()))?;
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
    let mut pieces: Vec<StoredPiece> = Vec::with_capacity(chunks.len());
    for group in chunks.chunks(batch) {
        let texts: Vec<String> = group
            .iter()
            .map(|c| embedding_text(&c.section, &c.text, opts.chunk.max_tokens, embedder))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = match embedder.embed(&refs) {
            Ok(v) => v,
            Err(e @ nic_core::EmbedError::Model { .. }) => return Err(FileError::Fatal(e.into())),
            Err(e) => return Err(failed(e.to_string())),
        };
        if vectors.len() != group.len() || vectors.iter().any(|v| v.len() != embedder.dim()) {
            return Err(FileError::Fatal(IndexError::Embed(
                nic_core::EmbedError::Inference(format!(
                    "embedder returned {} vectors for {} texts (or wrong dimensions)",
                    vectors.len(),
                    group.len()
                )),
            )));
        }
        for (c, v) in group.iter().zip(vectors) {
            pieces.push(StoredPiece {
                page: c.page,
                section: c.section.clone(),
                title: c.title.clone(),
                char_start: c.char_start,
                char_end: c.char_end,
                text: c.text.clone(),
                vector: v,
            });
        }
        progress(&ProgressEvent::Embedded {
            doc: src.doc.clone(),
            done: pieces.len(),
            total: chunks.len(),
        });
    }
    let stored = StoredDoc {
        title: doc.title.clone(),
        pages: page_numbers.len() as u32,
        empty_pages: doc.empty_pages.clone(),
        chunk_count: pieces.len() as u32,
        dim: embedder.dim(),
    };
    store.put_doc(&key, &stored, &pieces)?;
    Ok(Processed {
        entry: entry(&stored),
        reused: false,
        warnings,
    })
}
