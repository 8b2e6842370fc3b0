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
    assert_eq!(c.oversize_threshold, 0, "{c:?}");
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

fn minor_faults() -> u64 {
    // SAFETY: `getrusage` fills the zeroed struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) }, 0);
    ru.ru_minflt as u64
}

#[test]
fn large_zeroed_blocks_are_zero_even_when_recycled() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    for size in [64 * 1024, 1 << 20, 12 << 20] {
        for _ in 0..3 {
            let mut dirty = vec![0xABu8; size];
            dirty[size / 2] = 0xCD;
            drop(std::hint::black_box(dirty));
            let clean = vec![0u8; size];
            assert!(clean.iter().all(|&b| b == 0), "{size} bytes not zeroed");
        }
    }
}

/// The kernel churn of issue 13: a forward pass calloc's and frees tens of multi-megabyte
/// blocks per batch. Recycled blocks must not come back as fresh pages to be faulted in.
#[test]
fn recycled_large_zeroed_blocks_do_not_fault_again() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    const SIZE: usize = 16 << 20; // above jemalloc's default oversize threshold of 8 MiB
    const PAGES: u64 = (SIZE / 4096) as u64;
    // Warm up: the first block's pages are faulted in once.
    let mut first = vec![0f32; SIZE / 4];
    first.iter_mut().for_each(|x| *x = 1.0);
    drop(std::hint::black_box(first));
    let before = minor_faults();
    for round in 0..20 {
        let mut v = vec![0f32; SIZE / 4];
        v.iter_mut().step_by(1024).for_each(|x| *x = round as f32);
        drop(std::hint::black_box(v));
    }
    let faults = minor_faults() - before;
    // Purged-and-refaulted would be 20 × 4096 pages; kept resident it is a small fraction
    // of one block's pages (background threads and other tests fault a few).
    assert!(
        faults < 2 * PAGES,
        "{faults} minor faults for 20 recycled {SIZE}-byte zeroed blocks ({PAGES} pages each)"
    );
}
