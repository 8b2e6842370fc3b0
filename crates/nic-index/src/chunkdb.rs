//! `chunks.sqlite` of a generation: the documents and the chunk text with provenance,
//! addressed by ordinal (the row of the chunk in the vector files and its `ordinal` in the
//! lexical index).
//!
//! Written once while the generation is built in its `.tmp` directory (journal off: a
//! crash there just discards the directory), then opened read-only with `immutable=1`, so
//! SQLite takes no locks and the file may sit on a read-only mount. Readers share a small
//! pool of connections, each behind its own mutex, so concurrent requests don't serialise
//! on one connection.

use crate::error::IndexError;
use nic_core::{Chunk, StoredChunk};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub const CHUNKS_FILE: &str = "chunks.sqlite";

const SCHEMA: &str = "
CREATE TABLE documents(
  doc TEXT PRIMARY KEY, domain TEXT NOT NULL, title TEXT NOT NULL,
  content_hash TEXT NOT NULL, store_key TEXT NOT NULL, bytes INTEGER NOT NULL,
  pages INTEGER NOT NULL, empty_pages TEXT NOT NULL,
  first_ordinal INTEGER NOT NULL, chunk_count INTEGER NOT NULL);
CREATE TABLE chunks(
  ordinal INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, doc TEXT NOT NULL,
  domain TEXT NOT NULL, title TEXT NOT NULL, page INTEGER NOT NULL,
  section TEXT NOT NULL, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
  text TEXT NOT NULL, section_id INTEGER NOT NULL DEFAULT 0,
  block_start INTEGER NOT NULL DEFAULT 0, block_end INTEGER NOT NULL DEFAULT 0);
CREATE TABLE doc_meta(doc TEXT PRIMARY KEY, meta TEXT NOT NULL);
CREATE TABLE sections(
  doc TEXT NOT NULL, id INTEGER NOT NULL, subtree_end INTEGER NOT NULL, section TEXT NOT NULL,
  PRIMARY KEY(doc, id)) WITHOUT ROWID;
CREATE TABLE blocks(
  doc TEXT NOT NULL, id INTEGER NOT NULL, block TEXT NOT NULL,
  PRIMARY KEY(doc, id)) WITHOUT ROWID;
";

/// A section as stored: the section, the end of its subtree's blocks, and its path.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SectionRow {
    pub doc: String,
    #[serde(flatten)]
    pub section: nic_core::Section,
    /// One past the last block of this section and its subsections.
    pub subtree_end: u32,
}

/// One document row of a generation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DocumentRow {
    pub doc: String,
    pub domain: String,
    pub title: String,
    pub content_hash: String,
    /// Key of the document's entry in the work store (content + chunker + model).
    pub store_key: String,
    pub bytes: u64,
    pub pages: u32,
    pub empty_pages: Vec<u32>,
    pub first_ordinal: u32,
    pub chunk_count: u32,
}

pub struct ChunkDbWriter {
    path: PathBuf,
    conn: Connection,
}

impl ChunkDbWriter {
    pub fn create(gen_dir: &Path) -> Result<Self, IndexError> {
        let path = gen_dir.join(CHUNKS_FILE);
        let sql = IndexError::sql;
        let conn = Connection::open(&path).map_err(sql(&path))?;
        conn.execute_batch(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192;",
        )
        .map_err(sql(&path))?;
        conn.execute_batch(SCHEMA).map_err(sql(&path))?;
        conn.execute_batch("BEGIN").map_err(sql(&path))?;
        Ok(Self { path, conn })
    }

    pub fn add_chunk(&self, c: &StoredChunk) -> Result<(), IndexError> {
        let section = serde_json::to_string(&c.chunk.section).unwrap_or_else(|_| "[]".into());
        self.conn
            .prepare_cached(
                "INSERT INTO chunks(ordinal, chunk_id, doc, domain, title, page, section,
                 char_start, char_end, text, section_id, block_start, block_end)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    c.ordinal,
                    c.chunk_id,
                    c.chunk.doc,
                    c.chunk.domain,
                    c.chunk.title,
                    c.chunk.page,
                    section,
                    c.chunk.char_start as i64,
                    c.chunk.char_end as i64,
                    c.chunk.text,
                    c.chunk.section_id,
                    c.chunk.block_start,
                    c.chunk.block_end,
                ])
            })
            .map_err(IndexError::sql(&self.path))?;
        Ok(())
    }

    /// The document's tree: its metadata, sections and blocks.
    pub fn add_tree(&self, doc: &str, tree: &nic_core::DocTree) -> Result<(), IndexError> {
        let json = |v: &dyn erased::Ser| v.json();
        let run = || -> rusqlite::Result<()> {
            self.conn
                .prepare_cached("INSERT INTO doc_meta(doc, meta) VALUES (?1, ?2)")?
                .execute(params![doc, json(&tree.meta)])?;
            let mut st = self.conn.prepare_cached(
                "INSERT INTO sections(doc, id, subtree_end, section) VALUES (?1,?2,?3,?4)",
            )?;
            for sec in &tree.sections {
                st.execute(params![doc, sec.id, tree.subtree_end(sec.id), json(sec)])?;
            }
            let mut st = self
                .conn
                .prepare_cached("INSERT INTO blocks(doc, id, block) VALUES (?1,?2,?3)")?;
            for (i, b) in tree.blocks.iter().enumerate() {
                st.execute(params![doc, i as u32, json(b)])?;
            }
            Ok(())
        };
        run().map_err(IndexError::sql(&self.path))
    }

    pub fn add_document(&self, d: &DocumentRow) -> Result<(), IndexError> {
        let empty = serde_json::to_string(&d.empty_pages).unwrap_or_else(|_| "[]".into());
        self.conn
            .execute(
                "INSERT INTO documents(doc, domain, title, content_hash, store_key, bytes, pages,
                 empty_pages, first_ordinal, chunk_count) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                params![
                    d.doc,
                    d.domain,
                    d.title,
                    d.content_hash,
                    d.store_key,
                    d.bytes as i64,
                    d.pages,
                    empty,
                    d.first_ordinal,
                    d.chunk_count
                ],
            )
            .map_err(IndexError::sql(&self.path))?;
        Ok(())
    }

    /// Commits, indexes chunk ids, closes and fsyncs the file.
    pub fn finish(self) -> Result<(), IndexError> {
        let sql = IndexError::sql;
        self.conn
            .execute_batch(
                "COMMIT; CREATE INDEX chunks_by_id ON chunks(chunk_id);
                 CREATE INDEX chunks_by_block ON chunks(doc, block_start);",
            )
            .map_err(sql(&self.path))?;
        self.conn.close().map_err(|(_, e)| IndexError::Sqlite {
            path: self.path.clone(),
            source: e,
        })?;
        crate::fsutil::fsync_file(&self.path)
    }
}

/// Read-only access to a published `chunks.sqlite`.
pub struct ChunkDb {
    path: PathBuf,
    pool: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

/// `file:` URI for SQLite with the characters that URIs reserve escaped.
fn sqlite_uri(path: &Path) -> String {
    let mut s = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'%' | b'?' | b'#' => s.push_str(&format!("%{b:02X}")),
            _ => s.push(b as char),
        }
    }
    s.push_str("?immutable=1");
    s
}

/// JSON for the tree tables (serialising these plain structs cannot fail; an empty object
/// is written if it ever did, and reads back as "no data").
mod erased {
    pub trait Ser {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
        }
    }
}

fn row_to_chunk(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredChunk> {
    let section: String = r.get(6)?;
    Ok(StoredChunk {
        ordinal: r.get(0)?,
        chunk_id: r.get(1)?,
        chunk: Chunk {
            doc: r.get(2)?,
            domain: r.get(3)?,
            title: r.get(4)?,
            page: r.get(5)?,
            section: serde_json::from_str(&section).unwrap_or_default(),
            char_start: r.get::<_, i64>(7)? as usize,
            char_end: r.get::<_, i64>(8)? as usize,
            text: r.get(9)?,
            section_id: r.get(10)?,
            block_start: r.get(11)?,
            block_end: r.get(12)?,
        },
    })
}

const CHUNK_COLUMNS: &str = "ordinal, chunk_id, doc, domain, title, page, section, char_start, \
     char_end, text, section_id, block_start, block_end";

impl ChunkDb {
    pub fn open(gen_dir: &Path, connections: usize) -> Result<Self, IndexError> {
        let path = gen_dir.join(CHUNKS_FILE);
        if !path.is_file() {
            return Err(IndexError::corrupt(&path, "missing"));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut pool = Vec::new();
        for _ in 0..connections.max(1) {
            let conn = Connection::open_with_flags(sqlite_uri(&path), flags)
                .map_err(|e| IndexError::corrupt(&path, e.to_string()))?;
            // Bound each connection's page cache (KiB when negative).
            conn.execute_batch("PRAGMA cache_size=-1024;")
                .map_err(|e| IndexError::corrupt(&path, e.to_string()))?;
            pool.push(Mutex::new(conn));
        }
        let db = Self {
            path,
            pool,
            next: AtomicUsize::new(0),
        };
        // Fail now, not on the first request, if the file is not what we wrote.
        db.with_conn(|c| c.query_row("SELECT count(*) FROM chunks", [], |r| r.get::<_, i64>(0)))
            .map_err(|e| IndexError::corrupt(&db.path, e.to_string()))?;
        Ok(db)
    }

    fn with_conn<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.pool.len();
        for i in 0..n {
            if let Ok(conn) = self.pool[(start + i) % n].try_lock() {
                return f(&conn);
            }
        }
        // All busy: wait for ours. A poisoned mutex only means another reader panicked;
        // the connection itself is still valid for reads.
        let conn = self.pool[start % n]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        f(&conn)
    }

    pub fn chunk(&self, ordinal: u32) -> Result<Option<StoredChunk>, IndexError> {
        self.with_conn(|c| {
            c.prepare_cached(&format!(
                "SELECT {CHUNK_COLUMNS} FROM chunks WHERE ordinal=?1"
            ))?
            .query_row([ordinal], row_to_chunk)
            .optional()
        })
        .map_err(IndexError::sql(&self.path))
    }

    pub fn chunk_by_id(&self, chunk_id: &str) -> Result<Option<StoredChunk>, IndexError> {
        self.with_conn(|c| {
            c.prepare_cached(&format!(
                "SELECT {CHUNK_COLUMNS} FROM chunks WHERE chunk_id=?1"
            ))?
            .query_row([chunk_id], row_to_chunk)
            .optional()
        })
        .map_err(IndexError::sql(&self.path))
    }

    /// One section of a document, with the end of its subtree.
    pub fn section(&self, doc: &str, id: u32) -> Result<Option<SectionRow>, IndexError> {
        self.with_conn(|c| {
            c.prepare_cached("SELECT subtree_end, section FROM sections WHERE doc=?1 AND id=?2")?
                .query_row(params![doc, id], |r| {
                    let json: String = r.get(1)?;
                    Ok((r.get::<_, u32>(0)?, json))
                })
                .optional()
        })
        .map_err(IndexError::sql(&self.path))
        .map(|row| {
            row.and_then(|(subtree_end, json)| {
                let section: nic_core::Section = serde_json::from_str(&json).ok()?;
                Some(SectionRow {
                    doc: doc.to_string(),
                    section,
                    subtree_end,
                })
            })
        })
    }

    /// Every section of a document, in order (its outline).
    pub fn sections(&self, doc: &str) -> Result<Vec<SectionRow>, IndexError> {
        let rows: Vec<(u32, String)> = self
            .with_conn(|c| {
                let mut st = c.prepare_cached(
                    "SELECT subtree_end, section FROM sections WHERE doc=?1 ORDER BY id",
                )?;
                let rows = st.query_map([doc], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect()
            })
            .map_err(IndexError::sql(&self.path))?;
        Ok(rows
            .into_iter()
            .filter_map(|(subtree_end, json)| {
                Some(SectionRow {
                    doc: doc.to_string(),
                    section: serde_json::from_str(&json).ok()?,
                    subtree_end,
                })
            })
            .collect())
    }

    /// Blocks `first..end` of a document, in order.
    pub fn blocks(
        &self,
        doc: &str,
        first: u32,
        end: u32,
    ) -> Result<Vec<nic_core::Block>, IndexError> {
        let rows: Vec<String> = self
            .with_conn(|c| {
                let mut st = c.prepare_cached(
                    "SELECT block FROM blocks WHERE doc=?1 AND id>=?2 AND id<?3 ORDER BY id",
                )?;
                let rows = st.query_map(params![doc, first, end], |r| r.get(0))?;
                rows.collect()
            })
            .map_err(IndexError::sql(&self.path))?;
        Ok(rows
            .iter()
            .filter_map(|j| serde_json::from_str(j).ok())
            .collect())
    }

    /// The first chunk of `doc` whose block range covers `block`.
    pub fn chunk_covering(&self, doc: &str, block: u32) -> Result<Option<StoredChunk>, IndexError> {
        self.with_conn(|c| {
            c.prepare_cached(&format!(
                "SELECT {CHUNK_COLUMNS} FROM chunks WHERE doc=?1 AND block_start<=?2 \
                 AND block_end>?2 ORDER BY ordinal LIMIT 1"
            ))?
            .query_row(params![doc, block], row_to_chunk)
            .optional()
        })
        .map_err(IndexError::sql(&self.path))
    }

    /// What the document states about itself (title, revision, date, covers).
    pub fn doc_meta(&self, doc: &str) -> Result<Option<nic_core::DocMeta>, IndexError> {
        let json: Option<String> = self
            .with_conn(|c| {
                c.prepare_cached("SELECT meta FROM doc_meta WHERE doc=?1")?
                    .query_row([doc], |r| r.get(0))
                    .optional()
            })
            .map_err(IndexError::sql(&self.path))?;
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Every document of the generation, by path.
    pub fn documents(&self) -> Result<Vec<DocumentRow>, IndexError> {
        self.with_conn(|c| {
            let mut st = c.prepare(
                "SELECT doc, domain, title, content_hash, store_key, bytes, pages, empty_pages,
                 first_ordinal, chunk_count FROM documents ORDER BY doc",
            )?;
            let rows = st.query_map([], |r| {
                let empty: String = r.get(7)?;
                Ok(DocumentRow {
                    doc: r.get(0)?,
                    domain: r.get(1)?,
                    title: r.get(2)?,
                    content_hash: r.get(3)?,
                    store_key: r.get(4)?,
                    bytes: r.get::<_, i64>(5)? as u64,
                    pages: r.get(6)?,
                    empty_pages: serde_json::from_str(&empty).unwrap_or_default(),
                    first_ordinal: r.get(8)?,
                    chunk_count: r.get(9)?,
                })
            })?;
            rows.collect()
        })
        .map_err(IndexError::sql(&self.path))
    }

    /// Domain of every chunk, in ordinal order (loaded once at open for fast filters).
    pub fn chunk_domains(&self, mut each: impl FnMut(u32, &str)) -> Result<(), IndexError> {
        self.with_conn(|c| {
            let mut st = c.prepare("SELECT ordinal, domain FROM chunks ORDER BY ordinal")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let d: String = r.get(1)?;
                each(r.get(0)?, &d);
            }
            Ok(())
        })
        .map_err(IndexError::sql(&self.path))
    }
}
