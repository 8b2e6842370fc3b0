//! Integrity of the SQLite databases next to the generations: the catalog, the ingest store
//! and the audit log (`nic index verify`, issue 16 item 4). A generation's own files are
//! covered by their manifest checksums ([`crate::manifest::verify_dir`]); these databases
//! change in place, so they are checked by structure instead: the 100-byte header (magic,
//! page size, size a whole number of pages) and SQLite's `PRAGMA integrity_check`, which
//! reads every page and cross-checks b-trees, free lists and indexes.

use crate::manifest::VerifyProblem;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// The databases `nic index verify` checks, relative to the data dir, with their role.
pub const DATABASES: &[(&str, &str)] = &[
    (crate::catalog::CATALOG_FILE, "catalog"),
    (crate::store::STORE_FILE, "ingest store"),
    ("audit/audit.sqlite", "audit log"),
];

const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Checks the header of a SQLite file: `Err` says what is wrong.
pub fn check_sqlite_header(path: &Path) -> Result<(), String> {
    use std::io::Read;
    let len = std::fs::metadata(path)
        .map_err(|e| format!("cannot read: {e}"))?
        .len();
    if len == 0 {
        return Err("empty file (0 bytes)".into());
    }
    let mut head = [0u8; 100];
    let mut f = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    f.read_exact(&mut head)
        .map_err(|_| format!("{len} bytes: shorter than a SQLite header (truncated)"))?;
    if &head[..16] != MAGIC {
        return Err("not a SQLite database: header destroyed".into());
    }
    let raw = u16::from_be_bytes([head[16], head[17]]) as u64;
    let page = if raw == 1 { 65536 } else { raw };
    if !(512..=65536).contains(&page) || !page.is_power_of_two() {
        return Err(format!("header names page size {page}: header damaged"));
    }
    if len % page != 0 {
        return Err(format!(
            "{len} bytes is not a whole number of {page}-byte pages (truncated)"
        ));
    }
    Ok(())
}

/// Header check, then `PRAGMA integrity_check` on a read-only connection.
pub fn check_sqlite(path: &Path) -> Vec<String> {
    if let Err(e) = check_sqlite_header(path) {
        return vec![e];
    }
    let conn = match Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(c) => c,
        Err(e) => return vec![format!("cannot open: {e}")],
    };
    let rows = conn.prepare("PRAGMA integrity_check").and_then(|mut st| {
        st.query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<String>, _>>()
    });
    match rows {
        Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Vec::new(),
        Ok(rows) if rows.is_empty() => vec!["integrity_check returned nothing".into()],
        Ok(rows) => rows
            .into_iter()
            .take(10)
            .map(|r| format!("integrity_check: {r}"))
            .collect(),
        Err(e) => vec![format!("integrity_check failed: {e}")],
    }
}

/// Checks every database of [`DATABASES`] that exists under `data_dir` (a missing one is
/// not a problem: the audit log may be off, a fresh dir has no store). Problems name the
/// file relative to the data dir.
pub fn verify_databases(data_dir: &Path) -> Vec<VerifyProblem> {
    let mut out = Vec::new();
    for (rel, role) in DATABASES {
        let path: PathBuf = data_dir.join(rel);
        if !path.exists() {
            continue;
        }
        for problem in check_sqlite(&path) {
            out.push(VerifyProblem {
                path: (*rel).to_string(),
                problem: format!("{role}: {problem}"),
            });
        }
    }
    out
}

/// The cheap check for start-up: the generation's files have their manifest sizes and its
/// SQLite files have an intact header. (Checksums take a full read; see
/// [`crate::verify_generation`].)
pub fn quick_check_generation(gen_dir: &Path) -> Vec<VerifyProblem> {
    let m = match crate::manifest::Manifest::read(gen_dir) {
        Ok(m) => m,
        Err(e) => {
            return vec![VerifyProblem {
                path: crate::manifest::MANIFEST_FILE.into(),
                problem: e.to_string(),
            }]
        }
    };
    let mut out = Vec::new();
    if let Err(e) = m.check_sizes(gen_dir) {
        out.push(VerifyProblem {
            path: gen_dir.display().to_string(),
            problem: e.to_string(),
        });
    }
    for f in m.files.iter().filter(|f| f.path.ends_with(".sqlite")) {
        if let Err(e) = check_sqlite_header(&gen_dir.join(&f.path)) {
            out.push(VerifyProblem {
                path: f.path.clone(),
                problem: e,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek, SeekFrom, Write};

    fn make_db(path: &Path, rows: usize) {
        let c = Connection::open(path).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode=DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
             CREATE INDEX t_v ON t(v);",
        )
        .unwrap();
        let tx = c.unchecked_transaction().unwrap();
        for i in 0..rows {
            tx.execute(
                "INSERT INTO t(v) VALUES (?1)",
                [format!("row {i} {}", "x".repeat(i % 200))],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }

    /// Each damage a file can take: flip 64 bytes mid-file, truncate, zero the header,
    /// zero the whole file, empty it.
    type Damage = (&'static str, fn(&Path));

    fn damages() -> Vec<Damage> {
        vec![
            ("flip 64 bytes in the middle", |p| {
                let len = std::fs::metadata(p).unwrap().len();
                let mut bytes = std::fs::read(p).unwrap();
                let mid = (len / 2) as usize;
                for b in &mut bytes[mid..mid + 64] {
                    *b ^= 0xff;
                }
                std::fs::write(p, bytes).unwrap();
            }),
            ("truncate to 70%", |p| {
                let len = std::fs::metadata(p).unwrap().len();
                let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
                f.set_len(len * 7 / 10).unwrap();
            }),
            ("zero the header", |p| {
                let mut f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
                f.seek(SeekFrom::Start(0)).unwrap();
                f.write_all(&[0u8; 100]).unwrap();
            }),
            ("zero everything", |p| {
                let len = std::fs::metadata(p).unwrap().len();
                std::fs::write(p, vec![0u8; len as usize]).unwrap();
            }),
            ("empty", |p| std::fs::write(p, b"").unwrap()),
        ]
    }

    #[test]
    fn every_damage_to_every_database_is_detected() {
        let mut tried = 0;
        for (rel, role) in DATABASES {
            for (what, damage) in damages() {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join(rel);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                make_db(&path, 3000);
                assert!(verify_databases(dir.path()).is_empty(), "fresh {role}");
                damage(&path);
                let problems = verify_databases(dir.path());
                assert!(!problems.is_empty(), "{role}: `{what}` went unnoticed");
                assert!(problems.iter().all(|p| p.path == *rel), "{problems:?}");
                tried += 1;
            }
        }
        assert_eq!(tried, DATABASES.len() * 5);
    }

    #[test]
    fn missing_databases_are_not_problems() {
        let dir = tempfile::tempdir().unwrap();
        assert!(verify_databases(dir.path()).is_empty());
    }
}
