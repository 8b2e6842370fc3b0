//! `catalog.sqlite`: what the operator asked for and what was published.
//!
//! - `roots`: the corpus directories of the last `nic ingest DIR...`, so `nic ingest` with
//!   no argument and `POST /api/reload` re-scan them. Giving directories replaces the list
//!   (the index mirrors exactly what was last asked for; pass several to index several).
//! - `generations`: history of publishes (id, time, model, counts). Informational: the
//!   truth about which generations exist is the `generations/` directory and `CURRENT`.

use crate::error::IndexError;
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};

pub const CATALOG_FILE: &str = "catalog.sqlite";

pub struct Catalog {
    path: PathBuf,
    conn: Connection,
}

/// One row of the publish history.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GenerationRecord {
    pub id: u64,
    pub created_unix: u64,
    pub model_id: String,
    pub documents: u64,
    pub chunks: u64,
    pub files_failed: u64,
}

impl Catalog {
    pub fn open(data_dir: &Path) -> Result<Self, IndexError> {
        let path = data_dir.join(CATALOG_FILE);
        let conn = Connection::open(&path).map_err(IndexError::sql(&path))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             CREATE TABLE IF NOT EXISTS roots(position INTEGER PRIMARY KEY, path TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS generations(
               id INTEGER PRIMARY KEY, created INTEGER NOT NULL, model_id TEXT NOT NULL,
               documents INTEGER NOT NULL, chunks INTEGER NOT NULL, files_failed INTEGER NOT NULL);",
        )
        .map_err(IndexError::sql(&path))?;
        Ok(Self { path, conn })
    }

    /// Opens the catalog only if it exists (read paths must not create files).
    pub fn open_existing(data_dir: &Path) -> Result<Option<Self>, IndexError> {
        if data_dir.join(CATALOG_FILE).is_file() {
            Self::open(data_dir).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn roots(&self) -> Result<Vec<PathBuf>, IndexError> {
        let mut st = self
            .conn
            .prepare("SELECT path FROM roots ORDER BY position")
            .map_err(IndexError::sql(&self.path))?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(IndexError::sql(&self.path))?;
        Ok(rows.into_iter().map(PathBuf::from).collect())
    }

    pub fn set_roots(&mut self, roots: &[PathBuf]) -> Result<(), IndexError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(IndexError::sql(&path))?;
        tx.execute("DELETE FROM roots", [])
            .map_err(IndexError::sql(&path))?;
        for (i, r) in roots.iter().enumerate() {
            tx.execute(
                "INSERT INTO roots(position, path) VALUES (?1, ?2)",
                params![i as i64, r.to_string_lossy()],
            )
            .map_err(IndexError::sql(&path))?;
        }
        tx.commit().map_err(IndexError::sql(&path))
    }

    pub fn record_generation(&self, g: &GenerationRecord) -> Result<(), IndexError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO generations(id, created, model_id, documents, chunks,
                 files_failed) VALUES (?1,?2,?3,?4,?5,?6)",
                params![
                    g.id as i64,
                    g.created_unix as i64,
                    g.model_id,
                    g.documents as i64,
                    g.chunks as i64,
                    g.files_failed as i64
                ],
            )
            .map_err(IndexError::sql(&self.path))?;
        Ok(())
    }

    /// Highest generation id ever recorded (ids are never reused, even after deletion).
    pub fn max_generation(&self) -> Result<u64, IndexError> {
        self.conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM generations", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
            .map_err(IndexError::sql(&self.path))
    }

    pub fn history(&self) -> Result<Vec<GenerationRecord>, IndexError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, created, model_id, documents, chunks, files_failed FROM generations
                 ORDER BY id",
            )
            .map_err(IndexError::sql(&self.path))?;
        let rows = st
            .query_map([], |r| {
                Ok(GenerationRecord {
                    id: r.get::<_, i64>(0)? as u64,
                    created_unix: r.get::<_, i64>(1)? as u64,
                    model_id: r.get(2)?,
                    documents: r.get::<_, i64>(3)? as u64,
                    chunks: r.get::<_, i64>(4)? as u64,
                    files_failed: r.get::<_, i64>(5)? as u64,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(IndexError::sql(&self.path))?;
        Ok(rows)
    }
}
