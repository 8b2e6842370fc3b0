//! File-system primitives behind crash safety: fsync of files and directories, the one
//! atomic publish (`CURRENT` switched by write-temp + fsync + rename + fsync(dir)), the
//! ingest lock, and generation directory names.
//!
//! Why directories are fsynced too: on Linux a rename or a new file is only durable once the
//! containing directory is synced; without it a power loss can bring back the old name.

use crate::error::IndexError;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

pub const CURRENT: &str = "CURRENT";
pub const GENERATIONS: &str = "generations";
pub const LOCK_FILE: &str = "ingest.lock";

/// `gen-000007`
pub fn gen_name(id: u64) -> String {
    format!("gen-{id:06}")
}

/// Parses `gen-000007` (not `gen-000007.tmp`).
pub fn parse_gen_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("gen-")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub fn gen_dir(data_dir: &Path, id: u64) -> PathBuf {
    data_dir.join(GENERATIONS).join(gen_name(id))
}

pub fn fsync_file(path: &Path) -> Result<(), IndexError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(IndexError::io(path))
}

/// Moves a finished, fsynced `gen-N.tmp` to its final name (replacing a leftover of an
/// earlier interrupted run) and makes the rename durable. Every publisher (ingest, convert,
/// the synthetic benchmark corpus) ends with this, before switching `CURRENT`.
pub(crate) fn move_into_place(tmp: &Path, final_dir: &Path) -> Result<(), IndexError> {
    if final_dir.exists() {
        remove_generation_dir(final_dir)?;
    }
    std::fs::rename(tmp, final_dir).map_err(IndexError::io(final_dir))?;
    match final_dir.parent() {
        Some(parent) => fsync_dir(parent),
        None => Ok(()),
    }
}

/// Deletes a generation directory without ever leaving a half-deleted `gen-N` behind: it is
/// first renamed out of the generation names (to `gen-N.removing.tmp`, which no listing
/// reads and the next ingest removes as a leftover), the rename made durable, then deleted.
/// A kill part-way through a plain `remove_dir_all` left a `gen-N` that was still listed as
/// kept but failed `nic index verify`.
pub(crate) fn remove_generation_dir(dir: &Path) -> Result<(), IndexError> {
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    let doomed = dir.with_file_name(format!("{name}.removing.tmp"));
    if doomed.exists() {
        std::fs::remove_dir_all(&doomed).map_err(IndexError::io(&doomed))?;
    }
    std::fs::rename(dir, &doomed).map_err(IndexError::io(dir))?;
    if let Some(parent) = dir.parent() {
        fsync_dir(parent)?;
    }
    std::fs::remove_dir_all(&doomed).map_err(IndexError::io(&doomed))
}

pub fn fsync_dir(path: &Path) -> Result<(), IndexError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(IndexError::io(path))
}

/// Fsyncs every file below `dir` and every directory (bottom-up), so a renamed tree is
/// durable as a whole.
pub fn fsync_tree(dir: &Path) -> Result<(), IndexError> {
    for entry in std::fs::read_dir(dir).map_err(IndexError::io(dir))? {
        let entry = entry.map_err(IndexError::io(dir))?;
        let p = entry.path();
        if entry.file_type().map_err(IndexError::io(&p))?.is_dir() {
            fsync_tree(&p)?;
        } else {
            fsync_file(&p)?;
        }
    }
    fsync_dir(dir)
}

/// Writes `data` to `path` atomically: temp file in the same directory, fsync, rename,
/// fsync of the directory. Readers see the old content or the new, never a mix.
pub fn atomic_write(path: &Path, data: &[u8]) -> Result<(), IndexError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp).map_err(IndexError::io(&tmp))?;
        f.write_all(data).map_err(IndexError::io(&tmp))?;
        f.sync_all().map_err(IndexError::io(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(IndexError::io(path))?;
    fsync_dir(dir)
}

/// The generation `CURRENT` points to, if any.
pub fn read_current(data_dir: &Path) -> Result<Option<u64>, IndexError> {
    let path = data_dir.join(CURRENT);
    match std::fs::read_to_string(&path) {
        Ok(s) => parse_gen_name(s.trim()).map(Some).ok_or_else(|| {
            IndexError::corrupt(&path, format!("unexpected content {:?}", s.trim()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(IndexError::Io { path, source: e }),
    }
}

/// The one atomic publish: point `CURRENT` at generation `id`.
pub fn switch_current(data_dir: &Path, id: u64) -> Result<(), IndexError> {
    atomic_write(
        &data_dir.join(CURRENT),
        format!("{}\n", gen_name(id)).as_bytes(),
    )
}

/// Published generation ids on disk, ascending (directories `gen-N`, not `gen-N.tmp`).
pub fn published_ids(data_dir: &Path) -> Result<Vec<u64>, IndexError> {
    let dir = data_dir.join(GENERATIONS);
    let mut ids = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => {
            return Err(IndexError::Io {
                path: dir,
                source: e,
            })
        }
    };
    for entry in entries {
        let entry = entry.map_err(IndexError::io(&dir))?;
        if let Some(id) = entry.file_name().to_str().and_then(parse_gen_name) {
            if entry.path().is_dir() {
                ids.push(id);
            }
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// Streaming sha256 of a file (bounded memory whatever its size) and its length.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    use sha2::{Digest, Sha256};
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let r = f.read(&mut buf)?;
        if r == 0 {
            break;
        }
        n += r as u64;
        h.update(&buf[..r]);
    }
    Ok((hex::encode(h.finalize()), n))
}

/// An exclusive `flock` on `<data_dir>/ingest.lock`, released when dropped or when the
/// process dies (the kernel drops it: no stale lock after a kill).
pub struct IngestLock {
    _file: File,
}

impl IngestLock {
    pub fn acquire(data_dir: &Path) -> Result<Self, IndexError> {
        let path = data_dir.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(IndexError::io(&path))?;
        // SAFETY: flock on a file descriptor we own; no memory is shared with the call.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                return Err(IndexError::Locked {
                    data_dir: data_dir.to_path_buf(),
                    lock: path,
                });
            }
            return Err(IndexError::Io { path, source: err });
        }
        Ok(Self { _file: file })
    }
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// RFC 3339 UTC timestamp of unix seconds (civil-from-days, no time-zone database needed).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Peak resident set size of this process (`VmHWM`), in bytes; 0 when unavailable.
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip() {
        assert_eq!(gen_name(7), "gen-000007");
        assert_eq!(parse_gen_name("gen-000007"), Some(7));
        assert_eq!(parse_gen_name("gen-000007.tmp"), None);
        assert_eq!(parse_gen_name("gen-"), None);
    }

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let a = IngestLock::acquire(dir.path()).unwrap();
        let err = IngestLock::acquire(dir.path()).err().unwrap();
        assert!(matches!(err, IndexError::Locked { .. }), "{err}");
        drop(a);
        IngestLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn current_switches_atomically() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_current(dir.path()).unwrap(), None);
        switch_current(dir.path(), 3).unwrap();
        assert_eq!(read_current(dir.path()).unwrap(), Some(3));
        switch_current(dir.path(), 4).unwrap();
        assert_eq!(read_current(dir.path()).unwrap(), Some(4));
    }
}
