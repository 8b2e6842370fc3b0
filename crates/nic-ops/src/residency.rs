//! How much of a file is resident in the page cache, via `mincore(2)`.
//!
//! Index files are memory-mapped, so their pages count as `RssFile` only while touched and
//! the kernel may drop them at any time. `/debug/memory` and `nic index stats` report for
//! each file the bytes mapped and the bytes resident now, which tells an operator whether a
//! slow query was a cold index (few resident) or not. The check maps the file read-only and
//! asks the kernel per page; it touches no page, so it does not change what it measures.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// `(mapped, resident)` bytes of one file: the file's length, and the part of it in memory
/// (page-granular, capped at the length). An empty file is `(0, 0)`.
pub fn resident_bytes(path: &Path) -> io::Result<(u64, u64)> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok((0, 0));
    }
    // SAFETY: a read-only private mapping; we never read through it (only mincore inspects
    // it), so a concurrent truncation cannot fault us.
    let map = unsafe { memmap2::MmapOptions::new().map(&file)? };
    let page = crate::memory::page_size();
    let pages = len.div_ceil(page) as usize;
    let mut vec = vec![0u8; pages];
    // SAFETY: `map` is a live mapping of `map.len()` bytes at a page-aligned address, and
    // `vec` has one byte per page of it.
    let rc = unsafe {
        libc::mincore(
            map.as_ptr() as *mut libc::c_void,
            map.len(),
            vec.as_mut_ptr().cast(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let resident_pages = vec.iter().filter(|b| **b & 1 == 1).count() as u64;
    Ok((len, (resident_pages * page).min(len)))
}

/// Residency of one file under a directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileResidency {
    pub path: PathBuf,
    pub mapped_bytes: u64,
    pub resident_bytes: u64,
}

/// [`resident_bytes`] of every regular file under `dir` (recursively), largest first.
/// Files that vanish or cannot be opened while walking are skipped.
pub fn dir_residency(dir: &Path) -> io::Result<Vec<FileResidency>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let Ok(entry) = entry else { continue };
            let Ok(ft) = entry.file_type() else { continue };
            let path = entry.path();
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() {
                if let Ok((mapped, resident)) = resident_bytes(&path) {
                    out.push(FileResidency {
                        path,
                        mapped_bytes: mapped,
                        resident_bytes: resident,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        b.mapped_bytes
            .cmp(&a.mapped_bytes)
            .then(a.path.cmp(&b.path))
    });
    Ok(out)
}

/// Reads a file once so its pages enter the page cache (`nic serve --warm`). Returns the
/// bytes read.
pub fn prefault(path: &Path) -> io::Result<u64> {
    use std::io::Read;
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshly_read_file_is_fully_resident() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vectors.bin");
        let len = 3 * 1024 * 1024 + 123; // not page aligned
        std::fs::write(&path, vec![7u8; len]).unwrap();
        assert_eq!(prefault(&path).unwrap(), len as u64);
        let (mapped, resident) = resident_bytes(&path).unwrap();
        assert_eq!(mapped, len as u64);
        assert_eq!(
            resident, mapped,
            "a file just written and read is in the page cache"
        );
    }

    #[test]
    fn empty_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty");
        std::fs::write(&path, b"").unwrap();
        assert_eq!(resident_bytes(&path).unwrap(), (0, 0));
        let err = resident_bytes(&dir.path().join("nope")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn directory_walk_is_sorted_largest_first() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("small"), [1u8; 10]).unwrap();
        std::fs::write(dir.path().join("sub/big"), vec![1u8; 10_000]).unwrap();
        let r = dir_residency(dir.path()).unwrap();
        assert_eq!(r.len(), 2);
        assert!(r[0].path.ends_with("sub/big") && r[0].mapped_bytes == 10_000);
        assert!(r.iter().all(|f| f.resident_bytes <= f.mapped_bytes));
    }
}
