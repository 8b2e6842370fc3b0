//! A fuzz harness for NIC that runs on stable Rust: no libFuzzer, no nightly, no coverage
//! instrumentation.
//!
//! Each [`Target`] is one parser that sees untrusted bytes: the JSON bodies of the HTTP API,
//! the PDF, HTML and TXT/MD extractors, the document-structure parser, the citation audit,
//! safety triage and the config loader. The engine ([`run_target`]) starts from seed inputs
//! (built in, plus the shared corpus when present), mutates them with a seeded RNG (byte
//! level: bit flips, insert/delete/duplicate, splices of two seeds, interesting values;
//! and per format: JSON values, keys and nesting, PDF streams, xref numbers and deep
//! nesting, HTML nesting and broken tags, manual-shaped text, LLM answers with references),
//! and runs every input on a worker thread under `catch_unwind` with a time limit. A panic
//! or a hang is counted and the input is saved to the output directory with a `.txt` note
//! (message, backtrace, how to replay it). A stack overflow or an abort takes the whole
//! process down and cannot be caught in it: [`supervise`] runs a target in a child process
//! that publishes each input in a memory-mapped slot, so the parent saves the input that
//! killed it and starts another child for the rest of the time.
//!
//! Without coverage feedback the search is blind, so the structure-aware mutators do the
//! work a coverage map would: they keep inputs well formed enough to get past the first
//! check. Inputs the target accepted are kept in a small pool and mutated further.

mod bytes;
mod engine;
mod seeds;
mod supervise;
pub mod targets;

pub use engine::{
    minimize, run_one, run_target, Failure, FailureKind, Options, Outcome, Report, Scratch, Target,
    THREAD_PREFIX,
};
pub use supervise::{child_main, seed_for, supervise, ChildSpec, InputSlot, REPORT_PREFIX};
pub use targets::{all_targets, find_target};

/// The corpus read when no other is given: the shared manuals next to the checkout.
pub const DEFAULT_CORPUS: &str = "../shared/corpus";
