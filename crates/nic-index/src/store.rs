//! `store.sqlite`: the work store that makes ingest resumable and incremental.
//!
//! For every document it holds the chunks and their f32 vectors, keyed by a *store key* =
//! sha256 of (doc path, content hash, chunking parameters, model id). Each document is
//! committed in one transaction when fully embedded, so a killed ingest loses at most the
//! document in flight and the next run reuses everything committed; an unchanged document is
//! never re-extracted or re-embedded. The doc path is part of the key because the chunks
//! carry path-derived provenance (title fallback, domain); a rename costs one re-embed.
//!
//! WAL + `synchronous=NORMAL`: a committed document survives a process kill; after a power
//! loss the last commits may be lost but the file stays consistent (they are redone).
//! Entries the newest generation no longer references are deleted after each publish.

use crate::error::IndexError;
use nic_core::SectionPath;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};

pub const STORE_FILE: &str = "store.sqlite";

/// Per-document data kept in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDoc {
    pub title: String,
    pub pages: u32,
    pub empty_pages: Vec<u32>,
    pub chunk_count: u32,
    pub dim: usize,
}

/// One chunk as stored (provenance other than the doc-level fields, text and vector).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPiece {
    pub page: u32,
    pub section: SectionPath,
    pub title: String,
    pub char_start: usize,
    pub char_end: usize,
    pub text: String,
    pub vector: Vec<f32>,
    pub section_id: u32,
    pub block_start: u32,
    pub block_end: u32,
}

pub struct Store {
    path: PathBuf,
    conn: Connection,
}

/// The key of a document's entry: changes whenever anything that shapes its chunks or
/// vectors changes.
pub fn store_key(doc: &str, content_hash: &str, chunking: &str, model_id: &str) -> String {
    let material = format!("v1\0{doc}\0{content_hash}\0{chunking}\0{model_id}");
    nic_core::text::sha256_hex(material.as_bytes())
}

fn vec_to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn blob_to_vec(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

impl Store {
    pub fn open(data_dir: &Path) -> Result<Self, IndexError> {
        let path = data_dir.join(STORE_FILE);
        let sql = IndexError::sql;
        let conn = Connection::open(&path).map_err(sql(&path))?;
        conn.execute_batch(
            "PRAGMA auto_vacuum=INCREMENTAL;
             PRAGMA journal_mode=WAL;
             PRAGMA synchronous=NORMAL;
             PRAGMA cache_size=-4096;
             CREATE TABLE IF NOT EXISTS docs(
               key TEXT PRIMARY KEY, title TEXT NOT NULL, pages INTEGER NOT NULL,
               empty_pages TEXT NOT NULL, chunk_count INTEGER NOT NULL, dim INTEGER NOT NULL,
               created INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS chunks(
               key TEXT NOT NULL, n INTEGER NOT NULL, page INTEGER NOT NULL,
               section TEXT NOT NULL, title TEXT NOT NULL, char_start INTEGER NOT NULL,
               char_end INTEGER NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL,
               PRIMARY KEY(key, n));
             CREATE TABLE IF NOT EXISTS trees(key TEXT PRIMARY KEY, tree TEXT NOT NULL);",
        )
        .map_err(sql(&path))?;
        // Stores written before the document tree existed gain its columns (their entries
        // are keyed by an older parser version and are re-parsed anyway).
        let has_section_id = conn
            .prepare("SELECT 1 FROM pragma_table_info('chunks') WHERE name='section_id'")
            .and_then(|mut st| st.exists([]))
            .map_err(sql(&path))?;
        if !has_section_id {
            conn.execute_batch(
                "ALTER TABLE chunks ADD COLUMN section_id INTEGER NOT NULL DEFAULT 0;
                 ALTER TABLE chunks ADD COLUMN block_start INTEGER NOT NULL DEFAULT 0;
                 ALTER TABLE chunks ADD COLUMN block_end INTEGER NOT NULL DEFAULT 0;",
            )
            .map_err(sql(&path))?;
        }
        Ok(Self { path, conn })
    }

    fn sql(&self) -> impl FnOnce(rusqlite::Error) -> IndexError + '_ {
        IndexError::sql(&self.path)
    }

    pub fn get_doc(&self, key: &str) -> Result<Option<StoredDoc>, IndexError> {
        self.conn
            .prepare_cached(
                "SELECT title, pages, empty_pages, chunk_count, dim FROM docs WHERE key=?1",
            )
            .and_then(|mut st| {
                st.query_row([key], |r| {
                    let empty: String = r.get(2)?;
                    Ok(StoredDoc {
                        title: r.get(0)?,
                        pages: r.get(1)?,
                        empty_pages: serde_json::from_str(&empty).unwrap_or_default(),
                        chunk_count: r.get(3)?,
                        dim: r.get::<_, i64>(4)? as usize,
                    })
                })
                .optional()
            })
            .map_err(self.sql())
    }

    /// Commits a fully embedded document in one transaction (replacing any older entry
    /// under the same key).
    pub fn put_doc(
        &mut self,
        key: &str,
        doc: &StoredDoc,
        pieces: &[StoredPiece],
        tree: &nic_core::DocTree,
    ) -> Result<(), IndexError> {
        let path = self.path.clone();
        let tree_json = serde_json::to_string(tree).map_err(|e| IndexError::Corrupt {
            path: path.clone(),
            reason: format!("document tree cannot be serialised: {e}"),
        })?;
        let tx = self.conn.transaction().map_err(IndexError::sql(&path))?;
        let write = || -> rusqlite::Result<()> {
            tx.execute("DELETE FROM chunks WHERE key=?1", [key])?;
            tx.execute(
                "INSERT OR REPLACE INTO trees(key, tree) VALUES (?1, ?2)",
                params![key, tree_json],
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO docs(key, title, pages, empty_pages, chunk_count, dim,
                 created) VALUES (?1,?2,?3,?4,?5,?6,?7)",
                params![
                    key,
                    doc.title,
                    doc.pages,
                    serde_json::to_string(&doc.empty_pages).unwrap_or_else(|_| "[]".into()),
                    doc.chunk_count,
                    doc.dim as i64,
                    crate::fsutil::now_unix() as i64
                ],
            )?;
            let mut st = tx.prepare_cached(
                "INSERT INTO chunks(key, n, page, section, title, char_start, char_end, text,
                 vector, section_id, block_start, block_end)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
            )?;
            for (n, p) in pieces.iter().enumerate() {
                st.execute(params![
                    key,
                    n as i64,
                    p.page,
                    serde_json::to_string(&p.section).unwrap_or_else(|_| "[]".into()),
                    p.title,
                    p.char_start as i64,
                    p.char_end as i64,
                    p.text,
                    vec_to_blob(&p.vector),
                    p.section_id,
                    p.block_start,
                    p.block_end
                ])?;
            }
            Ok(())
        };
        write().map_err(IndexError::sql(&path))?;
        tx.commit().map_err(IndexError::sql(&path))
    }

    /// Streams the chunks of one document, in order, to `each` (one row in memory at a
    /// time).
    pub fn for_each_piece(
        &self,
        key: &str,
        mut each: impl FnMut(StoredPiece) -> Result<(), IndexError>,
    ) -> Result<(), IndexError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT page, section, title, char_start, char_end, text, vector, section_id,
                 block_start, block_end FROM chunks WHERE key=?1 ORDER BY n",
            )
            .map_err(self.sql())?;
        let mut rows = st.query([key]).map_err(IndexError::sql(&self.path))?;
        while let Some(r) = rows.next().map_err(IndexError::sql(&self.path))? {
            let piece = (|| -> rusqlite::Result<StoredPiece> {
                let section: String = r.get(1)?;
                let blob: Vec<u8> = r.get(6)?;
                Ok(StoredPiece {
                    page: r.get(0)?,
                    section: serde_json::from_str(&section).unwrap_or_default(),
                    title: r.get(2)?,
                    char_start: r.get::<_, i64>(3)? as usize,
                    char_end: r.get::<_, i64>(4)? as usize,
                    text: r.get(5)?,
                    vector: blob_to_vec(&blob),
                    section_id: r.get(7)?,
                    block_start: r.get(8)?,
                    block_end: r.get(9)?,
                })
            })()
            .map_err(IndexError::sql(&self.path))?;
            each(piece)?;
        }
        Ok(())
    }

    /// The document tree stored with an entry (empty for entries written before trees).
    pub fn get_tree(&self, key: &str) -> Result<nic_core::DocTree, IndexError> {
        let json: Option<String> = self
            .conn
            .prepare_cached("SELECT tree FROM trees WHERE key=?1")
            .and_then(|mut st| st.query_row([key], |r| r.get(0)).optional())
            .map_err(self.sql())?;
        Ok(json
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default())
    }

    /// Forgets everything (`nic ingest --rebuild`).
    pub fn clear(&self) -> Result<(), IndexError> {
        self.conn
            .execute_batch(
                "DELETE FROM chunks; DELETE FROM docs; DELETE FROM trees; PRAGMA incremental_vacuum;",
            )
            .map_err(self.sql())
    }

    /// Deletes every entry whose key is not in `keep`; returns how many documents went.
    pub fn retain(&mut self, keep: &[String]) -> Result<usize, IndexError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(IndexError::sql(&path))?;
        let run = || -> rusqlite::Result<usize> {
            tx.execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS keep(key TEXT PRIMARY KEY); DELETE FROM keep;",
            )?;
            {
                let mut st = tx.prepare_cached("INSERT OR IGNORE INTO keep(key) VALUES (?1)")?;
                for k in keep {
                    st.execute([k])?;
                }
            }
            tx.execute(
                "DELETE FROM chunks WHERE key NOT IN (SELECT key FROM keep)",
                [],
            )?;
            tx.execute(
                "DELETE FROM trees WHERE key NOT IN (SELECT key FROM keep)",
                [],
            )?;
            let n = tx.execute(
                "DELETE FROM docs WHERE key NOT IN (SELECT key FROM keep)",
                [],
            )?;
            Ok(n)
        };
        let n = run().map_err(IndexError::sql(&path))?;
        tx.commit().map_err(IndexError::sql(&path))?;
        // Give freed pages back to the file system; best effort.
        let _ = self.conn.execute_batch("PRAGMA incremental_vacuum;");
        Ok(n)
    }
}
