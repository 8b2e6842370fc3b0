//! The pure-Rust PDF path, run on a detachable worker thread.
//!
//! `lopdf`/`pdf-extract` are written for well-formed files and `unwrap` freely; real manuals
//! are not always well formed. Everything here runs under `catch_unwind` on a named thread,
//! whose panic messages are kept out of stderr by a panic hook that only silences that
//! thread (the message becomes a per-page warning instead).
//!
//! A panic can be caught, a stack overflow or an exhausted memory cannot: before lopdf sees
//! the bytes, [`guard::check`] refuses nesting deeper than [`guard::MAX_DEPTH`] and streams
//! that decompress beyond [`guard::decode_cap`]. lopdf is built without its `rayon` feature
//! (workspace `Cargo.toml`), so it parses on this thread's large stack rather than on pool
//! threads with 2 MB stacks.

mod guard;

use crate::ExtractError;
use lopdf::{Document, Object};
use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Once};
use std::thread;
use std::time::Duration;

const WORKER_NAME: &str = "nic-pdf-extract";
/// Deeply nested objects recurse in the parser; a roomy stack (virtual memory, only touched
/// pages cost RAM) keeps such files from overflowing it.
const WORKER_STACK: usize = 64 << 20;

/// Text per page as laid out by `pdf-extract`, plus what the document says about itself.
#[derive(Debug, Default)]
pub(crate) struct RawPdf {
    /// `(1-based page number, raw text)`, one entry per page of the document.
    pub pages: Vec<(u32, String)>,
    pub title: Option<String>,
    /// Outline entries `(level, title, page)`.
    pub toc: Vec<(usize, String, u32)>,
    pub warnings: Vec<String>,
}

thread_local! {
    /// Set on the calling thread when the last file was refused by [`guard::check`].
    static REFUSED: Cell<bool> = const { Cell::new(false) };
}

/// Whether the last [`extract_with_limit`] on this thread refused the file as hostile (then
/// no fallback extractor should be handed it either); clears the flag.
pub(crate) fn take_refused() -> bool {
    REFUSED.with(|r| r.replace(false))
}

/// Runs [`extract_pure`] on a worker thread and waits at most `timeout`.
pub(crate) fn extract_with_limit(
    bytes: Vec<u8>,
    timeout: Duration,
) -> Result<RawPdf, ExtractError> {
    quiet_worker_panics();
    REFUSED.with(|r| r.set(false));
    let (tx, rx) = mpsc::channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let cancel_worker = Arc::clone(&cancel);
    let handle = thread::Builder::new()
        .name(WORKER_NAME.into())
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let checked = panic::catch_unwind(AssertUnwindSafe(|| {
                guard::check(&bytes, guard::decode_cap(bytes.len()))
            }));
            let result =
                match checked {
                    Ok(Err(guard::Refused(why))) => Err((true, ExtractError::PdfDamaged(why))),
                    Ok(Ok(())) => panic::catch_unwind(AssertUnwindSafe(|| {
                        extract_pure(&bytes, &cancel_worker)
                    }))
                    .unwrap_or_else(|p| Err(ExtractError::PdfCrashed(panic_message(p.as_ref()))))
                    .map_err(|e| (false, e)),
                    Err(p) => Err((false, ExtractError::PdfCrashed(panic_message(p.as_ref())))),
                };
            let _ = tx.send(result);
        })
        .map_err(ExtractError::Io)?;
    match rx.recv_timeout(timeout) {
        Ok(result) => {
            let _ = handle.join();
            result.map_err(|(refused, e)| {
                REFUSED.with(|r| r.set(refused));
                e
            })
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // Ask the worker to stop at the next page and leave it detached.
            cancel.store(true, Ordering::Relaxed);
            Err(ExtractError::PdfTimeout {
                secs: timeout.as_secs_f64(),
            })
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(ExtractError::PdfCrashed(
            "the extractor thread ended without a result".into(),
        )),
    }
}

fn extract_pure(bytes: &[u8], cancel: &AtomicBool) -> Result<RawPdf, ExtractError> {
    let doc = Document::load_mem(bytes).map_err(classify)?;
    if doc.is_encrypted() {
        return Err(ExtractError::PdfEncrypted);
    }
    let page_ids = doc.get_pages();
    if page_ids.is_empty() {
        return Err(ExtractError::PdfDamaged("no pages found".into()));
    }
    let mut raw = RawPdf {
        title: info_title(&doc),
        ..RawPdf::default()
    };
    match panic::catch_unwind(AssertUnwindSafe(|| {
        outline_is_sound(&doc).then(|| outline_entries(&doc))
    })) {
        Ok(None) => raw
            .warnings
            .push("the PDF outline is cyclic or too large and was ignored".into()),
        Ok(Some(Some(toc))) => raw.toc = toc,
        Ok(Some(None)) => {} // no outline: headings are detected from the text instead
        Err(_) => raw
            .warnings
            .push("the PDF outline could not be read".into()),
    }
    for &number in page_ids.keys() {
        if cancel.load(Ordering::Relaxed) {
            return Err(ExtractError::PdfCrashed(
                "cancelled after the time limit".into(),
            ));
        }
        let text = panic::catch_unwind(AssertUnwindSafe(|| page_text(&doc, number)));
        let text = match text {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => {
                raw.warnings
                    .push(format!("page {number}: text extraction failed: {e}"));
                String::new()
            }
            Err(p) => {
                raw.warnings.push(format!(
                    "page {number}: text extractor crashed: {}",
                    panic_message(p.as_ref())
                ));
                String::new()
            }
        };
        raw.pages.push((number, text));
    }
    Ok(raw)
}

fn page_text(doc: &Document, number: u32) -> Result<String, pdf_extract::OutputError> {
    let mut s = String::new();
    {
        let mut out = pdf_extract::PlainTextOutput::new(&mut s);
        pdf_extract::output_doc_page(doc, &mut out, number)?;
    }
    Ok(s)
}

fn classify(e: lopdf::Error) -> ExtractError {
    match e {
        lopdf::Error::Decryption(_) | lopdf::Error::AlreadyEncrypted => ExtractError::PdfEncrypted,
        other => ExtractError::PdfDamaged(other.to_string()),
    }
}

/// Outline nodes read at most; real manuals have a few hundred bookmarks.
const MAX_OUTLINE_NODES: usize = 100_000;
/// Outline nesting read at most.
const MAX_OUTLINE_DEPTH: usize = 64;

/// Whether the outline is a finite tree: lopdf follows `/Next` in a loop and `/First` by
/// recursion, so an outline whose `/Next` points back at an earlier entry would grow a list
/// until memory runs out, and one whose `/First` points at an ancestor would overflow the
/// stack and abort the process. Every node is visited once here, by reference, with an
/// explicit stack; a node reached twice, too many nodes or too deep a nesting rejects the
/// outline (the headings then come from the text).
fn outline_is_sound(doc: &Document) -> bool {
    let Ok(catalog) = doc.catalog() else {
        return true;
    };
    let Ok(root) = catalog.get(b"Outlines") else {
        return true; // no outline at all
    };
    let mut seen = std::collections::HashSet::new();
    // (node, depth)
    let mut stack: Vec<(&Object, usize)> = vec![(root, 0)];
    while let Some((obj, depth)) = stack.pop() {
        let dict = match obj {
            Object::Reference(id) => {
                if !seen.insert(*id) || seen.len() > MAX_OUTLINE_NODES {
                    return false;
                }
                match doc.get_dictionary(*id) {
                    Ok(d) => d,
                    Err(_) => continue,
                }
            }
            Object::Dictionary(d) => d,
            _ => continue,
        };
        if depth > MAX_OUTLINE_DEPTH {
            return false;
        }
        if let Ok(next) = dict.get(b"Next") {
            stack.push((next, depth));
        }
        if let Ok(first) = dict.get(b"First") {
            stack.push((first, depth + 1));
        }
    }
    true
}

/// Outline entries `(level, title, page)` in document order, `None` without an outline.
///
/// Walked here rather than with `Document::get_toc`, which keys entries by title: a manual
/// that bookmarks "Summary" in every chapter, or whose modules repeat "TABLE OF CONTENTS",
/// kept one entry per title, pointing at the last page that carries it.
fn outline_entries(doc: &Document) -> Option<Vec<(usize, String, u32)>> {
    let mut named = Default::default();
    let outlines = doc.get_outlines(None, None, &mut named).ok()??;
    let page_numbers: std::collections::HashMap<lopdf::ObjectId, u32> =
        doc.get_pages().into_iter().map(|(n, id)| (id, n)).collect();
    let mut out = Vec::new();
    // (entries, index, level): an explicit stack, so a deep outline cannot overflow.
    let mut stack: Vec<(&[lopdf::Outline], usize, usize)> = vec![(&outlines, 0, 1)];
    while let Some((items, i, level)) = stack.pop() {
        let Some(item) = items.get(i) else { continue };
        stack.push((items, i + 1, level));
        match item {
            lopdf::Outline::Destination(d) => {
                let title = d.title().and_then(Object::as_str).map(decode_pdf_string);
                let page = d
                    .page()
                    .and_then(Object::as_reference)
                    .ok()
                    .and_then(|id| page_numbers.get(&id));
                if let (Ok(title), Some(&page)) = (title, page) {
                    out.push((level, title, page));
                }
            }
            lopdf::Outline::SubOutlines(sub) if level < 64 => stack.push((sub, 0, level + 1)),
            lopdf::Outline::SubOutlines(_) => {}
        }
    }
    Some(out)
}

/// The Info dictionary's `Title`, decoded (UTF-16 with a BOM, else PDFDocEncoding ≈ Latin-1).
fn info_title(doc: &Document) -> Option<String> {
    let info = match doc.trailer.get(b"Info").ok()? {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(d) => d,
        _ => return None,
    };
    let bytes = match info.get(b"Title").ok()? {
        Object::String(b, _) => b.clone(),
        Object::Reference(id) => match doc.get_object(*id).ok()? {
            Object::String(b, _) => b.clone(),
            _ => return None,
        },
        _ => return None,
    };
    let text = decode_pdf_string(&bytes);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

fn decode_pdf_string(b: &[u8]) -> String {
    let utf16 = |be: bool| {
        let units: Vec<u16> = b[2..]
            .chunks_exact(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match b {
        [0xfe, 0xff, ..] => utf16(true),
        [0xff, 0xfe, ..] => utf16(false),
        [0xef, 0xbb, 0xbf, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => b
            .iter()
            .map(|&c| c as char)
            .filter(|c| !c.is_control())
            .collect(),
    }
}

fn panic_message(p: &(dyn Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Installs (once) a panic hook that keeps worker-thread panics off stderr and forwards
/// every other panic to the previous hook.
fn quiet_worker_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if thread::current().name() == Some(WORKER_NAME) {
                tracing::debug!("pdf extractor panicked: {info}");
            } else {
                previous(info);
            }
        }));
    });
}
