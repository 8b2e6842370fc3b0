//! The fuzz targets, one per parser that sees untrusted input.

mod api;
mod citations;
mod config;
mod extract;
mod safety;
mod structure;

use crate::engine::Target;

static ALL: &[&Target] = &[
    &api::API_JSON,
    &extract::PDF,
    &extract::HTML,
    &extract::TEXT,
    &structure::STRUCTURE,
    &citations::CITATIONS,
    &safety::SAFETY,
    &config::CONFIG,
];

/// Every target, in the order `nic bench fuzz` runs them.
pub fn all_targets() -> &'static [&'static Target] {
    ALL
}

pub fn find_target(name: &str) -> Option<&'static Target> {
    ALL.iter().copied().find(|t| t.name == name)
}

/// Splits `input` at the first `sep` line: (before, after) — `after` empty when absent.
pub(crate) fn split_once<'a>(input: &'a [u8], sep: &[u8]) -> (&'a [u8], &'a [u8]) {
    match input.windows(sep.len()).position(|w| w == sep) {
        Some(i) => (&input[..i], &input[i + sep.len()..]),
        None => (input, &[]),
    }
}
