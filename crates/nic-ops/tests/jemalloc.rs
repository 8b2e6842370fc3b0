//! Runs with jemalloc as the global allocator, declared exactly as the `nic` binary does.

nic_ops::install_jemalloc!();

use nic_ops::jemalloc::{allocator_config, allocator_stats, jemalloc_is_global, purge};
use std::sync::Mutex;

/// The tests compare process-wide allocator figures, so they must not run concurrently.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn stats_are_read_from_the_global_jemalloc() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    assert!(jemalloc_is_global());
    let held: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; 64 * 1024]).collect();
    let s = allocator_stats().expect("jemalloc is the global allocator");
    assert!(s.allocated >= 64 * 64 * 1024, "{s:?}");
    assert!(s.active >= s.allocated && s.resident >= s.active, "{s:?}");
    assert!(s.mapped >= s.active, "{s:?}");
    drop(held);
    let after = allocator_stats().unwrap();
    assert!(
        after.allocated < s.allocated,
        "freeing is visible: {after:?} vs {s:?}"
    );
}

#[test]
fn malloc_conf_symbol_is_picked_up() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let c = allocator_config().expect("jemalloc is the global allocator");
    // These differ from jemalloc's defaults (10000 ms dirty, 0 muzzy, background off), so
    // they prove `_rjem_malloc_conf` from the macro was read at start-up.
    assert_eq!(c.dirty_decay_ms, 5000, "{c:?}");
    assert_eq!(c.muzzy_decay_ms, 5000, "{c:?}");
    assert!(c.background_thread, "{c:?}");
    assert!(c.version.starts_with('5'), "{c:?}");
}

#[test]
fn purge_and_snapshot_with_allocator() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let junk: Vec<Vec<u8>> = (0..32).map(|_| vec![1u8; 256 * 1024]).collect();
    drop(junk);
    purge().unwrap();
    let snap = nic_ops::MemorySnapshot::read(None);
    let a = snap.allocator.expect("snapshot carries allocator stats");
    assert!(a.allocated > 0);
    assert_eq!(snap.heap_bytes(), a.allocated);
}
