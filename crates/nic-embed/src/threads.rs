//! How many CPU threads the embedder uses.
//!
//! candle 0.11's CPU backend parallelises matrix multiplies with `gemm`, which splits each
//! product into `candle_core::utils::get_num_threads()` parts and runs them on the *current*
//! rayon pool. `get_num_threads()` reads `RAYON_NUM_THREADS` at every call and otherwise
//! defaults to the number of physical cores. By default we run the forward pass inside
//! candle's own rayon pool (`Device::with_context`), sized the same way, so worker threads
//! stay warm between the many short parallel sections of a forward pass.
//!
//! [`set_threads`] lets the process cap the embedder at `n` threads without touching the
//! environment (which is not thread-safe to mutate): the forward pass then runs on a private
//! rayon pool of `n` threads. gemm still splits work into `get_num_threads()` parts, so to go
//! *above* the physical core count set `RAYON_NUM_THREADS` as well.

use std::sync::OnceLock;

use candle_core::Device;

static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();

/// Caps embedding at `n` threads (`n` ≥ 1) for the rest of the process. The first call wins:
/// returns `false` (and changes nothing) if a pool was already installed or could not be
/// built. Call it before the first `embed`, e.g. from `NOVA_MAX_WORKERS` at start-up.
pub fn set_threads(n: usize) -> bool {
    if POOL.get().is_some() {
        return false;
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(n.max(1))
        .thread_name(|i| format!("nic-embed-{i}"))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "could not build the embedding thread pool");
            return false;
        }
    };
    POOL.set(pool).is_ok()
}

/// Number of threads the embedder will use.
pub fn threads() -> usize {
    match POOL.get() {
        Some(p) => p.current_num_threads(),
        None => candle_core::utils::get_num_threads(),
    }
}

/// Runs `f` on the embedding pool.
pub(crate) fn run<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match POOL.get() {
        Some(pool) => pool.install(f),
        None => Device::Cpu.with_context(f),
    }
}
