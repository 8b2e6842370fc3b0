//! End-to-end HTTP tests: the real server on an ephemeral loopback port over an index of
//! `examples/manuals/` built with the real embedding model (DESIGN §3, §5; issue 3 items
//! 1, 6–9; the bad-input part of issue 4). One test binary, so the index is built once.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod ask;
mod connections;
mod input;
mod load;
mod ops;
mod reload;
mod secrets;
mod sessions;
mod shutdown;
mod upstream;
