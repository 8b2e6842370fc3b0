//! The extract + chunk stage of NIC's ingest pipeline.
//!
//! ```text
//! scan_roots -> SourceFile -> extract_file -> ExtractedDoc (pages + section marks)
//!            -> chunk_document -> Chunk (doc, domain, title, page, section, char span, text)
//! ```
//!
//! Provenance is the point: every chunk must be citable as "this page, this section", with
//! page numbers taken from the document itself, never guessed. Each format has its own
//! extractor ([`pdf`], [`html`], [`text`]); all of them normalise text with
//! [`nic_core::text::normalize`] then [`nic_core::text::tidy_whitespace`], so lexical search
//! matches what a technician types.
//!
//! Bad input is a per-file [`ExtractError`] with a reason an operator can act on ("empty
//! file", "PDF is encrypted", "file is 300 MB, above NOVA_MAX_FILE_MB=256"); the caller adds
//! the path and carries on with the rest of the corpus. Nothing here panics on user data.

mod chunk;
mod headings;
mod html;
mod outline;
mod pdf;
mod scan;
mod structure;
mod text;

pub use chunk::{chunk_document, ChunkOptions};
pub use outline::{outline_report, render_outline, OutlineReport};
pub use scan::{scan_roots, ScanError, SourceFile, DEFAULT_DOMAIN};
pub use structure::STRUCTURE_VERSION;

use nic_core::ExtractedDoc;
use std::path::Path;
use std::time::Duration;

/// Extensions [`extract_file`] accepts (case-insensitive).
pub const SUPPORTED_EXTENSIONS: &[&str] = &["pdf", "txt", "md", "html", "htm"];

const MIB: u64 = 1024 * 1024;

/// Log targets of the PDF libraries, which report per glyph or per object at warn/error
/// level through the `log` crate. A binary that bridges `log` into `tracing` should silence
/// them (`EnvFilter::new("info,pdf_extract=off,lopdf=off")`): what matters reaches the
/// operator as an [`ExtractError`] or in [`ExtractedDoc::warnings`] instead.
pub const NOISY_LOG_TARGETS: &[&str] = &["pdf_extract", "lopdf"];

/// Limits for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractOptions {
    /// Time allowed to extract one PDF (`NOVA_PDF_TIMEOUT_S`).
    pub pdf_timeout: Duration,
    /// Larger files are refused (`NOVA_MAX_FILE_MB`).
    pub max_file_bytes: u64,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        Self {
            pdf_timeout: Duration::from_secs(60),
            max_file_bytes: 256 * MIB,
        }
    }
}

impl ExtractOptions {
    pub fn from_config(cfg: &nic_core::NicConfig) -> Self {
        Self {
            pdf_timeout: Duration::from_secs(cfg.pdf_timeout_s),
            max_file_bytes: cfg.max_file_mb.saturating_mul(MIB),
        }
    }
}

/// Why one file could not be extracted. `Display` is the reason; the caller adds the path.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a regular file")]
    NotAFile,
    #[error("empty file (0 bytes)")]
    Empty,
    #[error("file is {size_mb} MB, above NOVA_MAX_FILE_MB={limit_mb}; raise the limit or split the file")]
    TooLarge { size_mb: u64, limit_mb: u64 },
    #[error("unsupported file type {0:?} (supported: pdf, txt, md, html, htm)")]
    Unsupported(String),
    #[error("not a PDF (no %PDF header): binary junk or a wrong extension")]
    NotPdf,
    #[error("PDF is encrypted (password-protected); save an unencrypted copy (e.g. `qpdf --decrypt in.pdf out.pdf`) and ingest that")]
    PdfEncrypted,
    #[error("PDF is truncated (no %%EOF at the end): the copy or download is incomplete; fetch the file again")]
    PdfTruncated,
    #[error("PDF is damaged and could not be read: {0}")]
    PdfDamaged(String),
    #[error("PDF text extraction did not finish within {secs} s (NOVA_PDF_TIMEOUT_S); the file may be pathological, or raise the limit")]
    PdfTimeout { secs: f64 },
    #[error("PDF text extractor crashed on this file: {0}")]
    PdfCrashed(String),
    #[error("looks like a binary file (contains NUL bytes), not text")]
    Binary,
    #[error("a single line is {} MB long (limit 1 MB): not a text manual", .bytes.div_ceil(MIB))]
    LineTooLong { bytes: u64 },
}

/// The formats NIC reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Html,
    Text,
    Markdown,
}

impl FileKind {
    /// By extension, case-insensitive; `None` when unsupported.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "pdf" => Some(Self::Pdf),
            "html" | "htm" => Some(Self::Html),
            "txt" => Some(Self::Text),
            "md" => Some(Self::Markdown),
            _ => None,
        }
    }
}

/// Extracts one file, dispatching on its extension.
///
/// Pages come back in document order with 1-based numbers from the document; pages with no
/// text are not in `pages` but listed in `empty_pages`. Non-fatal problems are in `warnings`.
pub fn extract_file(path: &Path, opts: &ExtractOptions) -> Result<ExtractedDoc, ExtractError> {
    let kind = FileKind::from_path(path).ok_or_else(|| {
        ExtractError::Unsupported(
            path.extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_else(|| "(no extension)".into()),
        )
    })?;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ExtractError::NotAFile);
    }
    check_size(meta.len(), opts)?;
    let bytes = std::fs::read(path)?;
    check_size(bytes.len() as u64, opts)?; // the file may have changed since metadata()
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match kind {
        FileKind::Pdf => pdf::extract_pdf(path, bytes, &stem, opts),
        FileKind::Html => html::extract_html(&bytes, &stem),
        FileKind::Text | FileKind::Markdown => text::extract_text(&bytes, &stem),
    }
}

fn check_size(size: u64, opts: &ExtractOptions) -> Result<(), ExtractError> {
    if size == 0 {
        return Err(ExtractError::Empty);
    }
    if size > opts.max_file_bytes {
        return Err(ExtractError::TooLarge {
            size_mb: size.div_ceil(MIB),
            limit_mb: opts.max_file_bytes / MIB,
        });
    }
    Ok(())
}
