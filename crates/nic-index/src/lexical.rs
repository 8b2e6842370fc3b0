//! The BM25 tier: a tantivy index per generation, built once in the `.tmp` directory and
//! served read-only from mmap.
//!
//! Schema: `text`, `title`, `section` analysed by [`crate::analyzer`] (frequencies only, no
//! positions: BM25 needs no phrase queries and positions would double the postings);
//! `domain` as a raw lower-cased term for filtering; `ordinal` as a fast field, because
//! tantivy doc ids are per segment and results must map back to the generation's ordinals.
//!
//! Queries are built from [`crate::analyzer::query_terms`] as a boolean OR of term queries,
//! never through tantivy's query parser: user text such as `P0420?` or `"12-345-A` would be
//! a syntax error there.
//!
//! Serving opens the directory through [`ReadOnlyDirectory`], which refuses writes and makes
//! tantivy's lock files no-ops: a published generation is immutable (and may sit on a
//! read-only mount for replicas), and a stale lock file left by a killed process must never
//! block start-up.

use crate::analyzer::{query_terms, NicTokenizer, TOKENIZER_NAME};
use crate::error::IndexError;
use nic_core::ScoredOrdinal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STRING,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

pub const LEXICAL_DIR: &str = "lexical";
/// Title and section matches count, but less than body matches (they repeat on every chunk
/// of a document or section).
const TITLE_BOOST: f32 = 0.3;
const SECTION_BOOST: f32 = 0.5;
/// Indexing memory budget (tantivy's minimum per thread is 15 MB).
const WRITER_BYTES: usize = 50_000_000;

struct Fields {
    text: Field,
    title: Field,
    section: Field,
    domain: Field,
    ordinal: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analysed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        text: b.add_text_field("text", analysed.clone()),
        title: b.add_text_field("title", analysed.clone()),
        section: b.add_text_field("section", analysed),
        domain: b.add_text_field("domain", STRING),
        ordinal: b.add_u64_field("ordinal", NumericOptions::default().set_fast()),
    };
    (b.build(), fields)
}

fn fields_of(schema: &Schema, path: &Path) -> Result<Fields, IndexError> {
    let get = |name: &str| {
        schema
            .get_field(name)
            .map_err(|_| IndexError::corrupt(path, format!("lexical index lacks field `{name}`")))
    };
    Ok(Fields {
        text: get("text")?,
        title: get("title")?,
        section: get("section")?,
        domain: get("domain")?,
        ordinal: get("ordinal")?,
    })
}

fn register(index: &Index) {
    index.tokenizers().register(
        TOKENIZER_NAME,
        tantivy::tokenizer::TextAnalyzer::from(NicTokenizer),
    );
}

/// Builds the lexical index of a new generation.
pub struct LexicalBuilder {
    path: PathBuf,
    writer: IndexWriter,
    fields: Fields,
}

impl LexicalBuilder {
    pub fn create(gen_dir: &Path) -> Result<Self, IndexError> {
        let path = gen_dir.join(LEXICAL_DIR);
        std::fs::create_dir_all(&path).map_err(IndexError::io(&path))?;
        let (schema, fields) = schema();
        let index = Index::create_in_dir(&path, schema).map_err(IndexError::lexical(&path))?;
        register(&index);
        let writer = index
            .writer_with_num_threads(1, WRITER_BYTES)
            .map_err(IndexError::lexical(&path))?;
        Ok(Self {
            path,
            writer,
            fields,
        })
    }

    pub fn add(
        &mut self,
        ordinal: u32,
        text: &str,
        title: &str,
        section: &str,
        domain: &str,
    ) -> Result<(), IndexError> {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.fields.text, text);
        doc.add_text(self.fields.title, title);
        doc.add_text(self.fields.section, section);
        doc.add_text(self.fields.domain, domain.to_lowercase());
        doc.add_u64(self.fields.ordinal, u64::from(ordinal));
        self.writer
            .add_document(doc)
            .map_err(IndexError::lexical(&self.path))?;
        Ok(())
    }

    /// Commits, merges to one segment (fewer files to map, faster search) and waits for
    /// tantivy's threads; the caller fsyncs the files.
    pub fn finish(mut self) -> Result<(), IndexError> {
        let lex = IndexError::lexical;
        self.writer.commit().map_err(lex(&self.path))?;
        let ids = self
            .writer
            .index()
            .searchable_segment_ids()
            .map_err(lex(&self.path))?;
        if ids.len() > 1 {
            self.writer.merge(&ids).wait().map_err(lex(&self.path))?;
        }
        self.writer
            .garbage_collect_files()
            .wait()
            .map_err(lex(&self.path))?;
        self.writer
            .wait_merging_threads()
            .map_err(lex(&self.path))?;
        // tantivy leaves its (empty) lock files behind; they are not part of the index.
        for lock in [".tantivy-writer.lock", ".tantivy-meta.lock"] {
            let p = self.path.join(lock);
            if p.exists() {
                std::fs::remove_file(&p).map_err(IndexError::io(&p))?;
            }
        }
        Ok(())
    }
}

/// The lexical index of a published generation.
pub struct TantivyLexical {
    path: PathBuf,
    searcher: Searcher,
    /// Kept alive so the searcher's segments stay valid.
    _reader: IndexReader,
    fields: Fields,
    /// Per segment (in searcher order): the `ordinal` fast-field column.
    ordinals: Vec<Column<u64>>,
}

impl TantivyLexical {
    pub fn open(gen_dir: &Path) -> Result<Self, IndexError> {
        let path = gen_dir.join(LEXICAL_DIR);
        let lex = IndexError::lexical;
        let dir =
            MmapDirectory::open(&path).map_err(|e| IndexError::corrupt(&path, e.to_string()))?;
        let index = Index::open(ReadOnlyDirectory(dir))
            .map_err(|e| IndexError::corrupt(&path, e.to_string()))?;
        register(&index);
        let fields = fields_of(&index.schema(), &path)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(lex(&path))?;
        let searcher = reader.searcher();
        let ordinals = searcher
            .segment_readers()
            .iter()
            .map(|s| s.fast_fields().u64("ordinal"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| IndexError::corrupt(&path, e.to_string()))?;
        Ok(Self {
            path,
            searcher,
            _reader: reader,
            fields,
            ordinals,
        })
    }

    pub fn num_docs(&self) -> u64 {
        self.searcher.num_docs()
    }

    /// BM25 idf of an analysed term in the body field (0 when absent), with tantivy's
    /// formula `ln(1 + (N - n + 0.5) / (n + 0.5))`.
    pub fn term_idf(&self, term: &str) -> f32 {
        let n = self
            .searcher
            .doc_freq(&Term::from_field_text(self.fields.text, term))
            .unwrap_or(0);
        if n == 0 {
            return 0.0;
        }
        let total = self.searcher.num_docs() as f64;
        let n = n as f64;
        (1.0 + (total - n + 0.5) / (n + 0.5)).ln() as f32
    }

    fn build_query(&self, terms: &[String], domain: Option<&str>) -> Box<dyn Query> {
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(terms.len() * 3);
        for t in terms {
            let tq = |f: Field| {
                Box::new(TermQuery::new(
                    Term::from_field_text(f, t),
                    IndexRecordOption::WithFreqs,
                ))
            };
            should.push((Occur::Should, tq(self.fields.text)));
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(tq(self.fields.title), TITLE_BOOST)),
            ));
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(tq(self.fields.section), SECTION_BOOST)),
            ));
        }
        let any = Box::new(BooleanQuery::new(should));
        match domain {
            None => any,
            Some(d) => {
                let term = Term::from_field_text(self.fields.domain, &d.to_lowercase());
                let filter = TermQuery::new(term, IndexRecordOption::Basic);
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, any),
                    (
                        Occur::Must,
                        Box::new(ConstScoreQuery::new(Box::new(filter), 0.0)),
                    ),
                ]))
            }
        }
    }
}

impl nic_core::LexicalIndex for TantivyLexical {
    fn search(
        &self,
        query: &str,
        k: usize,
        domain: Option<&str>,
    ) -> Result<Vec<ScoredOrdinal>, String> {
        let terms = query_terms(query);
        if terms.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        let q = self.build_query(&terms, domain);
        let top = self
            .searcher
            .search(&*q, &TopDocs::with_limit(k))
            .map_err(|e| format!("lexical search in {}: {e}", self.path.display()))?;
        Ok(top
            .into_iter()
            .filter_map(|(score, addr)| {
                let ordinal = self
                    .ordinals
                    .get(addr.segment_ord as usize)?
                    .first(addr.doc_id)?;
                Some(ScoredOrdinal {
                    ordinal: u32::try_from(ordinal).ok()?,
                    score,
                })
            })
            .collect())
    }
}

/// A [`Directory`] that serves reads from an [`MmapDirectory`] and refuses every write;
/// locks are no-ops because nothing can change the files.
#[derive(Clone, Debug)]
pub(crate) struct ReadOnlyDirectory(MmapDirectory);

fn read_only() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::PermissionDenied,
        "published index generations are read-only",
    )
}

impl Directory for ReadOnlyDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: Arc::new(read_only()),
            filepath: path.to_path_buf(),
        })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError {
            io_error: Arc::new(read_only()),
            filepath: path.to_path_buf(),
        })
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, _path: &Path, _data: &[u8]) -> std::io::Result<()> {
        Err(read_only())
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, _cb: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}
