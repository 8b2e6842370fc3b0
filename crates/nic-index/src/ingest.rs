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
use crate::ingest_file::{process_file, FileError, Processed};
use crate::publish::{build_generation, prune_generations, BuildSpec, DocEntry};
use crate::report::{
    DocStructure, FileFailure, FileOutcome, FileWarning, IngestOptions, IngestReport,
    ProgressEvent, PublishStep,
};
use crate::store::Store;
use nic_core::Embedder;
use nic_ingest::{ChunkOptions, SourceFile};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn chunking_key(c: &ChunkOptions) -> String {
    format!(
        "chunker-v1/{}/{}/{}/structure-v{}",
        c.target_tokens,
        c.max_tokens,
        c.overlap_tokens,
        nic_ingest::STRUCTURE_VERSION
    )
}

/// Documents of the current generation by path, if one opens.
fn previous_documents(
    data_dir: &Path,
) -> (Option<u64>, Option<String>, HashMap<String, DocumentRow>) {
    let Ok(Some(id)) = fsutil::read_current(data_dir) else {
        return (None, None, HashMap::new());
    };
    let dir = fsutil::gen_dir(data_dir, id);
    let model = crate::manifest::Manifest::read(&dir)
        .ok()
        .map(|m| m.model_id);
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
fn remove_leftovers(
    data_dir: &Path,
    current: Option<u64>,
    catalog: &Catalog,
) -> Result<(), IndexError> {
    let gens = data_dir.join(fsutil::GENERATIONS);
    std::fs::create_dir_all(&gens).map_err(IndexError::io(&gens))?;
    for entry in std::fs::read_dir(&gens).map_err(IndexError::io(&gens))? {
        let entry = entry.map_err(IndexError::io(&gens))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tmp") {
            let p = entry.path();
            tracing::info!(
                "removing leftover {} from an interrupted ingest",
                p.display()
            );
            std::fs::remove_dir_all(&p).map_err(IndexError::io(&p))?;
        }
    }
    let recorded: HashSet<u64> = catalog.history()?.into_iter().map(|g| g.id).collect();
    for id in fsutil::published_ids(data_dir)? {
        if !recorded.contains(&id) && current.is_none_or(|c| id > c) {
            let p = fsutil::gen_dir(data_dir, id);
            tracing::info!(
                "removing never-published {} from an interrupted ingest",
                p.display()
            );
            fsutil::remove_generation_dir(&p)?;
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
    if opts.vector_index != "auto" {
        // Fail before hours of extraction, not at publish.
        opts.vector_index
            .parse::<crate::vectors::VectorKind>()
            .map_err(|reason| IndexError::Config {
                name: "NOVA_VECTOR_INDEX".into(),
                reason,
            })?;
    }
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
        structure: Vec::new(),
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
        let outcome = match process_file(
            src, opts, embedder, &mut store, &chunking, &model_id, batch, progress,
        ) {
            Ok(Processed {
                entry,
                reused,
                warnings,
                structure,
            }) => {
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
                    let structure = structure.unwrap_or_default();
                    if structure.sections == 0 {
                        report.warnings.push(FileWarning {
                            path: path_s.clone(),
                            message: "no structure found (no headings): answers will cite pages only; check it with `nic outline`".into(),
                        });
                    }
                    report.structure.push(DocStructure {
                        doc: src.doc.clone(),
                        counts: structure,
                    });
                    FileOutcome::Extracted { chunks, structure }
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
    report.files_deleted = prev_docs
        .keys()
        .filter(|d| !seen_docs.contains_key(*d))
        .count();
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
        if let (Some(current), false) = (prev_id, entries.is_empty()) {
            // Finish the cleanup an interrupted run may have left undone.
            prune_generations(data_dir, current, None, opts.keep_generations)?;
            if same_as_previous {
                let keep: Vec<String> = entries.iter().map(|e| e.store_key.clone()).collect();
                store.retain(&keep)?;
            }
        }
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
            vector_index: &opts.vector_index,
            hnsw_min_chunks: opts.hnsw_min_chunks,
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
