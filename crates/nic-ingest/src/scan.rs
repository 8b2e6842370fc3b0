//! Finding the manuals under the ingested roots.
//!
//! The walk is sorted so that two runs over the same tree list files in the same order
//! (deterministic ingest, stable reports). Hidden files and folders (`.git`, `.DS_Store`)
//! are skipped. Symlinks are followed, but each real directory is entered once, so a link
//! loop cannot make the walk endless. Problems (missing root, unreadable folder) are
//! collected per path: one bad folder never hides the rest of the corpus.

use crate::FileKind;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// A file to ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path to open (the root joined with the relative path, as given).
    pub path: PathBuf,
    /// Path relative to its root, `/`-separated: `vehicle/manual.pdf`.
    pub doc: String,
    /// First folder under the root; `general` for files directly in the root.
    pub domain: String,
    pub size: u64,
}

/// A path that could not be scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub path: PathBuf,
    pub reason: String,
}

/// Domain of files that sit directly in a root.
pub const DEFAULT_DOMAIN: &str = "general";

/// Walks `roots` recursively and returns the supported files (sorted by root, then path)
/// and the paths that could not be read.
pub fn scan_roots(roots: &[PathBuf]) -> (Vec<SourceFile>, Vec<ScanError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in roots {
        let meta = match fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                errors.push(ScanError {
                    path: root.clone(),
                    reason: if e.kind() == std::io::ErrorKind::NotFound {
                        "no such file or directory".into()
                    } else {
                        format!("cannot read: {e}")
                    },
                });
                continue;
            }
        };
        if meta.is_file() {
            // A single file given as a root: its own name is the doc, domain "general".
            if FileKind::from_path(root).is_some() {
                let doc = root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push(SourceFile {
                    path: root.clone(),
                    doc,
                    domain: DEFAULT_DOMAIN.into(),
                    size: meta.len(),
                });
            } else {
                errors.push(ScanError {
                    path: root.clone(),
                    reason: format!(
                        "unsupported file type (supported: {})",
                        crate::SUPPORTED_EXTENSIONS.join(", ")
                    ),
                });
            }
            continue;
        }
        let mut visited = HashSet::new();
        walk(root, &mut Vec::new(), &mut visited, &mut files, &mut errors);
    }
    (files, errors)
}

fn walk(
    dir: &Path,
    rel: &mut Vec<String>,
    visited: &mut HashSet<PathBuf>,
    files: &mut Vec<SourceFile>,
    errors: &mut Vec<ScanError>,
) {
    match fs::canonicalize(dir) {
        Ok(real) => {
            if !visited.insert(real) {
                return; // already walked: a symlink loop or a second link to the same folder
            }
        }
        Err(e) => {
            errors.push(ScanError {
                path: dir.to_path_buf(),
                reason: format!("cannot resolve folder: {e}"),
            });
            return;
        }
    }
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push(ScanError {
                path: dir.to_path_buf(),
                reason: format!("cannot list folder: {e}"),
            });
            return;
        }
    };
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => {
                let name = e.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') {
                    names.push((name, e.path()));
                }
            }
            Err(e) => errors.push(ScanError {
                path: dir.to_path_buf(),
                reason: format!("cannot list folder entry: {e}"),
            }),
        }
    }
    names.sort();
    for (name, path) in names {
        // fs::metadata follows symlinks; a dangling link is reported, not fatal.
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                errors.push(ScanError {
                    path: path.clone(),
                    reason: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        if meta.is_dir() {
            rel.push(name);
            walk(&path, rel, visited, files, errors);
            rel.pop();
        } else if meta.is_file() && FileKind::from_path(&path).is_some() {
            let domain = rel
                .first()
                .cloned()
                .unwrap_or_else(|| DEFAULT_DOMAIN.into());
            let mut doc = rel.join("/");
            if !doc.is_empty() {
                doc.push('/');
            }
            doc.push_str(&name);
            files.push(SourceFile {
                path,
                doc,
                domain,
                size: meta.len(),
            });
        }
    }
}
