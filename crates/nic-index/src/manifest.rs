//! `manifest.json` of a generation: what it is (model, dimensions, counts, analyzer and
//! vector formats) and the sha256 and size of every file in it, so `nic index verify` can
//! prove a generation intact and opening can reject a truncated one cheaply (sizes).

use crate::error::IndexError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const MANIFEST_FILE: &str = "manifest.json";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the generation directory, `/`-separated.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub generation: u64,
    /// RFC 3339 UTC.
    pub created: String,
    pub created_unix: u64,
    /// Embedder identity; queries must be embedded by the same model.
    pub model_id: String,
    pub dim: usize,
    pub documents: usize,
    pub chunks: usize,
    pub pages: u64,
    pub empty_pages: u64,
    /// `<flat|hnsw>-<f32|f16|i8>`, see [`crate::vectors`].
    pub vector_kind: String,
    pub analyzer_version: u32,
    /// Chunking parameters the generation was cut with (`target/max/overlap` tokens).
    pub chunking: String,
    pub nic_version: String,
    pub files: Vec<FileEntry>,
}

impl Manifest {
    pub fn read(gen_dir: &Path) -> Result<Self, IndexError> {
        let path = gen_dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                IndexError::corrupt(&path, "missing")
            } else {
                IndexError::Io {
                    path: path.clone(),
                    source: e,
                }
            }
        })?;
        let m: Manifest =
            serde_json::from_str(&text).map_err(|e| IndexError::corrupt(&path, e.to_string()))?;
        if m.format_version != FORMAT_VERSION {
            return Err(IndexError::corrupt(
                &path,
                format!(
                    "index format {} (this build reads {FORMAT_VERSION}); re-ingest with `nic ingest --rebuild`",
                    m.format_version
                ),
            ));
        }
        Ok(m)
    }

    /// Writes the manifest into `gen_dir` (fsynced).
    pub fn write(&self, gen_dir: &Path) -> Result<(), IndexError> {
        let path = gen_dir.join(MANIFEST_FILE);
        let text = serde_json::to_vec_pretty(self).map_err(|e| IndexError::Io {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        std::fs::write(&path, text).map_err(IndexError::io(&path))?;
        crate::fsutil::fsync_file(&path)
    }

    /// Cheap check done on every open: every listed file exists with its recorded size.
    pub fn check_sizes(&self, gen_dir: &Path) -> Result<(), IndexError> {
        for f in &self.files {
            let p = gen_dir.join(&f.path);
            let len = std::fs::metadata(&p)
                .map_err(|_| IndexError::corrupt(&p, "missing"))?
                .len();
            if len != f.bytes {
                return Err(IndexError::corrupt(
                    &p,
                    format!(
                        "{len} bytes on disk, manifest says {} (truncated or damaged)",
                        f.bytes
                    ),
                ));
            }
        }
        Ok(())
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

/// Lists every regular file below `gen_dir` (except the manifest) with size and sha256.
pub fn checksum_files(gen_dir: &Path) -> Result<Vec<FileEntry>, IndexError> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<FileEntry>) -> Result<(), IndexError> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(IndexError::io(dir))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(IndexError::io(dir))?;
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out)?;
                continue;
            }
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if rel == MANIFEST_FILE {
                continue;
            }
            let (sha256, bytes) = crate::fsutil::sha256_file(&p).map_err(IndexError::io(&p))?;
            out.push(FileEntry {
                path: rel,
                bytes,
                sha256,
            });
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(gen_dir, gen_dir, &mut out)?;
    Ok(out)
}

/// One problem found by [`verify_dir`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyProblem {
    pub path: String,
    pub problem: String,
}

/// Recomputes every checksum of the generation in `gen_dir` against its manifest.
/// Returns the problems found (empty = intact).
pub fn verify_dir(gen_dir: &Path) -> Result<Vec<VerifyProblem>, IndexError> {
    let m = Manifest::read(gen_dir)?;
    let mut problems = Vec::new();
    for f in &m.files {
        let p = gen_dir.join(&f.path);
        match crate::fsutil::sha256_file(&p) {
            Err(e) => problems.push(VerifyProblem {
                path: f.path.clone(),
                problem: e.to_string(),
            }),
            Ok((_, bytes)) if bytes != f.bytes => problems.push(VerifyProblem {
                path: f.path.clone(),
                problem: format!("{bytes} bytes, manifest says {}", f.bytes),
            }),
            Ok((sha, _)) if sha != f.sha256 => problems.push(VerifyProblem {
                path: f.path.clone(),
                problem: "sha256 differs from the manifest".into(),
            }),
            Ok(_) => {}
        }
    }
    Ok(problems)
}
