//! jemalloc as NIC's allocator: statistics, purging, and the start-up configuration.
//!
//! Why jemalloc: glibc malloc keeps freed memory in per-thread arenas and rarely returns it,
//! so a server that briefly spikes (a batch of embeddings, a big answer) looks like it leaks
//! for hours. jemalloc with background threads returns dirty pages after a decay time
//! (5 s here) and exposes exact figures (`allocated`, `resident`, `retained`) for
//! `/debug/memory`.
//!
//! A library must not choose the global allocator, so this crate does not declare one. The
//! `nic` binary does, with one line at the crate root:
//!
//! ```ignore
//! nic_ops::install_jemalloc!();
//! ```
//!
//! which expands to
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: NicAllocator = NicAllocator; // jemalloc, large zeroed blocks memset

//! #[unsafe(export_name = "_rjem_malloc_conf")]
//! static MALLOC_CONF: MallocConf = MallocConf::new(b"background_thread:true,...\0");
//! ```
//!
//! With tikv-jemallocator 0.6 and its `unprefixed_malloc_on_supported_platforms` feature
//! off (the default), jemalloc's symbols carry the `_rjem_` prefix, so the configuration
//! symbol it reads before `main` is `_rjem_malloc_conf`. The macro also exports the
//! unprefixed `malloc_conf`, in case feature unification ever turns prefixing off; glibc
//! ignores that symbol. The statics must live in the binary's own object code: a symbol in a
//! library archive is only linked when something references it, and jemalloc's own weak
//! default would win silently. `MALLOC_CONF=...` in the environment still overrides at run
//! time.

use crate::error::OpsError;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use tikv_jemalloc_ctl::{epoch, stats};

pub use tikv_jemallocator::Jemalloc;

/// Zeroed allocations at least this large are zeroed with `memset` on recycled memory
/// instead of by jemalloc (see [`NicAllocator`]). 64 KiB: jemalloc's small size classes
/// (≤ 14 KiB) are memset by jemalloc itself, so the difference only exists for large ones.
pub const ZERO_BY_MEMSET_MIN: usize = 64 * 1024;

/// jemalloc, except for large *zeroed* allocations.
///
/// Why: candle allocates every matmul output with `vec![0.0; n]`, i.e. `calloc`. jemalloc
/// zeroes a recycled large extent by purging it (`madvise(MADV_DONTNEED)`) so the kernel
/// hands back zero pages, and the write that follows faults every page in again. Measured on
/// `nic bench ingest examples/manuals`: 4.6 GB purged this way for 118 chunks even with
/// decay disabled, 1.2–3.4 million minor faults, a quarter of ingest CPU in the kernel. Here
/// the extent is taken as it is (already resident when recycled) and cleared with `memset`,
/// which costs a fraction of the faults. Every other call is jemalloc's own.
#[derive(Debug, Default, Clone, Copy)]
pub struct NicAllocator;

// SAFETY: every method forwards to `Jemalloc`, which upholds `GlobalAlloc`'s contract;
// `alloc_zeroed` returns a block from `Jemalloc::alloc` of the requested layout whose
// `layout.size()` bytes are all written with zero before it is returned.
unsafe impl std::alloc::GlobalAlloc for NicAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { Jemalloc.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.size() < ZERO_BY_MEMSET_MIN {
            // SAFETY: forwarded with the caller's guarantees.
            return unsafe { Jemalloc.alloc_zeroed(layout) };
        }
        // SAFETY: forwarded with the caller's guarantees; a non-null block is valid for
        // `layout.size()` writes.
        unsafe {
            let p = Jemalloc.alloc(layout);
            if !p.is_null() {
                std::ptr::write_bytes(p, 0, layout.size());
            }
            p
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: forwarded with the caller's guarantees (the block came from `Jemalloc`).
        unsafe { Jemalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees (the block came from `Jemalloc`).
        unsafe { Jemalloc.realloc(ptr, layout, new_size) }
    }
}

/// The options NIC runs jemalloc with: background purging threads, dirty/muzzy pages
/// returned to the kernel after 5 s, and no separate arena for allocations of 8 MiB and more
/// (`oversize_threshold:0`). That arena purges on every free, and an embedding forward pass
/// frees and reallocates tens of such blocks (attention scores, feed-forward activations):
/// each came back as fresh pages, faulted in one by one. With both this and
/// [`NicAllocator`], `nic bench ingest examples/manuals` went from 3.4–3.7 million minor
/// faults and 24–29% of its CPU time in the kernel to 0.13–0.25 million and 4%.
/// NUL-terminated because jemalloc reads it as a C string.
pub const DEFAULT_MALLOC_CONF: &[u8] =
    b"background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:5000,oversize_threshold:0\0";

/// A `const char *` jemalloc reads as `malloc_conf`. `#[repr(transparent)]` over a raw
/// pointer, so the exported symbol has exactly the C layout (a `&[u8]` would be a fat pointer).
#[repr(transparent)]
pub struct MallocConf(*const std::ffi::c_char);

// SAFETY: the pointer targets a `'static` immutable byte string.
unsafe impl Sync for MallocConf {}

impl MallocConf {
    /// Wraps a NUL-terminated option string; a missing NUL fails at compile time.
    pub const fn new(conf: &'static [u8]) -> Self {
        assert!(
            !conf.is_empty() && conf[conf.len() - 1] == 0,
            "malloc_conf must end with \\0"
        );
        Self(conf.as_ptr().cast())
    }
}

/// Declares jemalloc as the global allocator and exports its start-up configuration.
/// Use once, at the root of the binary crate. Without an argument, [`DEFAULT_MALLOC_CONF`];
/// or pass a NUL-terminated byte string.
#[macro_export]
macro_rules! install_jemalloc {
    () => {
        $crate::install_jemalloc!($crate::jemalloc::DEFAULT_MALLOC_CONF);
    };
    ($conf:expr) => {
        #[global_allocator]
        static NIC_GLOBAL_ALLOCATOR: $crate::jemalloc::NicAllocator =
            $crate::jemalloc::NicAllocator;

        #[used]
        #[unsafe(export_name = "_rjem_malloc_conf")]
        static NIC_RJEM_MALLOC_CONF: $crate::jemalloc::MallocConf =
            $crate::jemalloc::MallocConf::new($conf);

        #[used]
        #[unsafe(export_name = "malloc_conf")]
        static NIC_MALLOC_CONF: $crate::jemalloc::MallocConf =
            $crate::jemalloc::MallocConf::new($conf);
    };
}

/// jemalloc's own figures, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocatorStats {
    /// Bytes the program holds (`stats.allocated`).
    pub allocated: u64,
    /// Bytes in active pages (`stats.active`): allocated plus fragmentation.
    pub active: u64,
    /// Bytes physically resident in allocator-owned pages (`stats.resident`).
    pub resident: u64,
    /// Bytes kept mapped but returned to the kernel (`stats.retained`): virtual, not RSS.
    pub retained: u64,
    /// Bytes in active extents (`stats.mapped`).
    pub mapped: u64,
    /// Allocator bookkeeping (`stats.metadata`).
    pub metadata: u64,
}

/// How jemalloc is configured right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocatorConfig {
    pub version: String,
    /// Background purging threads enabled (runtime state).
    pub background_thread: bool,
    /// `opt.dirty_decay_ms` / `opt.muzzy_decay_ms` (-1 = never decay).
    pub dirty_decay_ms: i64,
    pub muzzy_decay_ms: i64,
    pub narenas: u32,
    /// `opt.oversize_threshold`: allocations this large go to a dedicated arena that purges
    /// at once (0 = no such arena).
    #[serde(default)]
    pub oversize_threshold: u64,
}

/// Whether allocations of this program go through jemalloc. The check allocates 64 KiB and
/// watches this thread's jemalloc counter; the answer is computed once.
pub fn jemalloc_is_global() -> bool {
    static IS_GLOBAL: OnceLock<bool> = OnceLock::new();
    *IS_GLOBAL.get_or_init(|| {
        let Ok(counter) = tikv_jemalloc_ctl::thread::allocatedp::read() else {
            return false;
        };
        let before = counter.get();
        let probe: Vec<u8> = Vec::with_capacity(64 * 1024);
        let probe = std::hint::black_box(probe);
        let after = counter.get();
        drop(probe);
        after.saturating_sub(before) >= 64 * 1024
    })
}

/// Current allocator statistics, or `None` when jemalloc is not the global allocator (then
/// its figures would describe an idle allocator and mislead).
pub fn allocator_stats() -> Option<AllocatorStats> {
    if !jemalloc_is_global() {
        return None;
    }
    // Statistics are snapshotted per epoch: advance it to see current numbers.
    epoch::advance().ok()?;
    Some(AllocatorStats {
        allocated: stats::allocated::read().ok()? as u64,
        active: stats::active::read().ok()? as u64,
        resident: stats::resident::read().ok()? as u64,
        retained: stats::retained::read().ok()? as u64,
        mapped: stats::mapped::read().ok()? as u64,
        metadata: stats::metadata::read().ok()? as u64,
    })
}

/// jemalloc's configuration, or `None` when jemalloc is not the global allocator.
pub fn allocator_config() -> Option<AllocatorConfig> {
    if !jemalloc_is_global() {
        return None;
    }
    // SAFETY: these names are `ssize_t` options of jemalloc 5.
    let dirty = unsafe { tikv_jemalloc_ctl::raw::read::<isize>(b"opt.dirty_decay_ms\0") };
    let muzzy = unsafe { tikv_jemalloc_ctl::raw::read::<isize>(b"opt.muzzy_decay_ms\0") };
    // SAFETY: `opt.oversize_threshold` is a `size_t` option of jemalloc 5.3.
    let oversize = unsafe { tikv_jemalloc_ctl::raw::read::<usize>(b"opt.oversize_threshold\0") };
    Some(AllocatorConfig {
        version: tikv_jemalloc_ctl::version::read().ok()?.to_string(),
        background_thread: tikv_jemalloc_ctl::background_thread::read().unwrap_or(false),
        dirty_decay_ms: dirty.map(|v| v as i64).unwrap_or(-1),
        muzzy_decay_ms: muzzy.map(|v| v as i64).unwrap_or(-1),
        narenas: tikv_jemalloc_ctl::arenas::narenas::read().unwrap_or(0),
        oversize_threshold: oversize.map(|v| v as u64).unwrap_or(u64::MAX),
    })
}

/// Returns all unused dirty pages of every arena to the kernel now (`arena.<all>.purge`).
/// Call it under memory pressure after shrinking caches; it costs a few milliseconds.
pub fn purge() -> Result<(), OpsError> {
    // 4096 is MALLCTL_ARENAS_ALL. The purge control takes no value: every pointer must be
    // null, which the typed wrappers of tikv-jemalloc-ctl cannot express.
    let name = b"arena.4096.purge\0";
    // SAFETY: NUL-terminated name; null old/new pointers as the control requires.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr().cast(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(OpsError::Allocator {
            name: "arena.4096.purge".into(),
            reason: std::io::Error::from_raw_os_error(rc).to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_the_global_allocator_stats_are_none() {
        // The library's unit tests run on the system allocator.
        assert!(!jemalloc_is_global());
        assert_eq!(allocator_stats(), None);
        assert_eq!(allocator_config(), None);
        // Purging an idle jemalloc is still a valid call.
        purge().unwrap();
    }

    #[test]
    fn default_conf_is_nul_terminated_and_enables_background_threads() {
        assert_eq!(DEFAULT_MALLOC_CONF.last(), Some(&0));
        let text =
            std::str::from_utf8(&DEFAULT_MALLOC_CONF[..DEFAULT_MALLOC_CONF.len() - 1]).unwrap();
        assert!(text.split(',').any(|o| o == "background_thread:true"));
    }
}
