//! Finding the manuals under the ingested roots.
//!
//! The walk is sorted so that two runs over the same tree list files in the same order
//! (deterministic ingest, stable reports). Hidden files and folders (`.git`, `.DS_Store`)
//! are skipped. Symlinks are followed while they stay inside the root (resolved with
//! `canonicalize`, checked by prefix): a link that leads out of it (`passwd -> /etc/passwd`)
//! is not followed and is reported. Each real directory is entered once, so a link loop
//! cannot make the walk endless. A name with control characters is skipped and reported
//! with the name escaped (`"a\u{1b}[2Jb.txt"`), so it never reaches a terminal or a log raw.
//! Problems (missing root, unreadable folder) are collected per path: one bad folder never
//! hides the rest of the corpus.

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
    /// The path as given; when it holds control characters, its escaped form
    /// ([`escape_path`]) instead, safe to print.
    pub path: PathBuf,
    pub reason: String,
}

/// The path as text safe to print: unchanged unless it holds control characters, then
/// quoted and escaped the way `{:?}` does (`"manuals/a\u{1b}[2J.txt"`).
pub(crate) fn escape_path(path: &Path) -> String {
    let lossy = path.to_string_lossy();
    if lossy.chars().any(char::is_control) {
        format!("{:?}", lossy)
    } else {
        lossy.into_owned()
    }
}

fn has_control(path: &Path) -> bool {
    path.to_string_lossy().chars().any(char::is_control)
}

/// Reason given for a symlink that resolves outside its root.
pub(crate) const OUTSIDE_ROOT: &str = "symbolic link leads outside the ingest root; not followed";

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
                    path: PathBuf::from(escape_path(root)),
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
                    path: PathBuf::from(escape_path(root)),
                    doc,
                    domain: DEFAULT_DOMAIN.into(),
                    size: meta.len(),
                });
            } else {
                errors.push(ScanError {
                    path: PathBuf::from(escape_path(root)),
                    reason: format!(
                        "unsupported file type (supported: {})",
                        crate::SUPPORTED_EXTENSIONS.join(", ")
                    ),
                });
            }
            continue;
        }
        let real_root = match fs::canonicalize(root) {
            Ok(r) => r,
            Err(e) => {
                errors.push(ScanError {
                    path: PathBuf::from(escape_path(root)),
                    reason: format!("cannot resolve folder: {e}"),
                });
                continue;
            }
        };
        let mut visited = HashSet::new();
        let mut walker = Walker {
            root: &real_root,
            visited: &mut visited,
            files: &mut files,
            errors: &mut errors,
        };
        walker.walk(root, &mut Vec::new());
    }
    (files, errors)
}

struct Walker<'a> {
    /// The root, canonicalized: every followed link must resolve below it.
    root: &'a Path,
    visited: &'a mut HashSet<PathBuf>,
    files: &'a mut Vec<SourceFile>,
    errors: &'a mut Vec<ScanError>,
}

impl Walker<'_> {
    fn error(&mut self, path: &Path, reason: String) {
        self.errors.push(ScanError {
            path: PathBuf::from(escape_path(path)),
            reason,
        });
    }

    fn walk(&mut self, dir: &Path, rel: &mut Vec<String>) {
        match fs::canonicalize(dir) {
            Ok(real) => {
                if !self.visited.insert(real) {
                    return; // already walked: a symlink loop or a second link to the same folder
                }
            }
            Err(e) => {
                self.error(dir, format!("cannot resolve folder: {e}"));
                return;
            }
        }
        let entries = match fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) => {
                self.error(dir, format!("cannot list folder: {e}"));
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
                Err(e) => self.error(dir, format!("cannot list folder entry: {e}")),
            }
        }
        names.sort();
        for (name, path) in names {
            if has_control(Path::new(&name)) {
                self.error(
                    &path,
                    "the name contains control characters; rename it to ingest it".into(),
                );
                continue;
            }
            let is_link = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
            if is_link {
                match fs::canonicalize(&path) {
                    Ok(target) if target.starts_with(self.root) => {}
                    Ok(_) => {
                        self.error(&path, OUTSIDE_ROOT.into());
                        continue;
                    }
                    Err(e) => {
                        self.error(&path, format!("dangling symbolic link: {e}"));
                        continue;
                    }
                }
            }
            // fs::metadata follows symlinks (inside the root by now).
            let meta = match fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    self.error(&path, format!("cannot read: {e}"));
                    continue;
                }
            };
            if meta.is_dir() {
                rel.push(name);
                self.walk(&path, rel);
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
                self.files.push(SourceFile {
                    path,
                    doc,
                    domain,
                    size: meta.len(),
                });
            }
        }
    }
}
