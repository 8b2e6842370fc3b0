//! Admission control: at most `NOVA_MAX_WORKERS` answer pipelines at once, a bounded queue
//! behind them (`NOVA_QUEUE_MAX`), and memory shedding — over the fail line new work gets
//! 503 + Retry-After instead of growing toward the OOM killer, and the server sheds state
//! (caches, half the sessions) until it is back under the line; over the warn line caches
//! shrink first. A background watch does the same when no request arrives.

use crate::error::ApiError;
use crate::state::{CountGuard, SharedState};
use nic_ops::memory::Status as MemoryStatus;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::OwnedSemaphorePermit;

/// How long a request may wait in the queue before it is told to retry.
const QUEUE_WAIT: Duration = Duration::from_secs(30);

pub struct Admitted {
    _permit: OwnedSemaphorePermit,
    state: SharedState,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.state.inflight.fetch_sub(1, Ordering::SeqCst);
        self.state.metrics.inflight_requests.dec();
    }
}

pub async fn admit(state: &SharedState) -> Result<Admitted, ApiError> {
    let mem = state.memory.snapshot();
    match mem.status {
        MemoryStatus::Fail => {
            relieve_pressure(state);
            state
                .metrics
                .requests_rejected_total
                .with(&["memory_pressure"])
                .inc();
            return Err(ApiError::busy(
                "memory_pressure",
                format!(
                    "memory use is {:.0}% of the budget; shedding load, retry shortly",
                    mem.usage_percent
                ),
                5,
            ));
        }
        MemoryStatus::Warn => state.engine.shrink_caches(0.25),
        MemoryStatus::Pass => state.engine.shrink_caches(1.0),
    }
    // A free worker is taken at once; only a request that would have to wait counts
    // against the queue (with NOVA_QUEUE_MAX=0 an idle server still answers).
    let permit = match state.workers.clone().try_acquire_owned() {
        Ok(p) => p,
        Err(_) => queue_for_worker(state).await?,
    };
    state.inflight.fetch_add(1, Ordering::SeqCst);
    state.metrics.inflight_requests.inc();
    Ok(Admitted {
        _permit: permit,
        state: state.clone(),
    })
}

/// How often the fail-line relief may run: each run halves the sessions, so it must wait
/// for a fresh reading of what the previous one achieved.
const RELIEF_EVERY: Duration = Duration::from_secs(1);

/// Over the fail line: empty the caches, drop the least recently used half of the sessions,
/// return freed pages to the kernel, then take a fresh memory reading so the next request
/// sees the effect at once. At most once per [`RELIEF_EVERY`]; concurrent callers skip it.
/// Returns whether it ran.
pub(crate) fn relieve_pressure(state: &SharedState) -> bool {
    let Some(mut last) = state.last_relief.try_lock() else {
        return false;
    };
    if last.is_some_and(|t| t.elapsed() < RELIEF_EVERY) {
        return false;
    }
    *last = Some(Instant::now());
    state.engine.shrink_caches(0.0);
    let sessions = state.engine.sessions();
    // Half of what is there (a store far below NOVA_SESSION_MAX must shrink too), and never
    // more than half the maximum.
    let keep = (sessions.stats().active / 2).min(state.config.session_max / 2);
    let dropped = sessions.shrink_to(keep);
    nic_ops::jemalloc::purge().ok();
    let after = state.memory.refresh();
    tracing::warn!(
        sessions_dropped = dropped,
        anon_bytes = after.anon_bytes,
        usage_percent = after.usage_percent,
        "memory over the fail line: caches emptied, sessions halved, freed pages returned"
    );
    true
}

/// The same response without a request to trigger it: an idle server over the fail line
/// (the load that filled it has stopped) would otherwise stay unhealthy until sessions
/// expire.
pub(crate) fn spawn_pressure_watch(state: SharedState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            match state.memory.snapshot().status {
                MemoryStatus::Fail => {
                    relieve_pressure(&state);
                }
                MemoryStatus::Warn => state.engine.shrink_caches(0.25),
                MemoryStatus::Pass => {}
            }
        }
    });
}

/// Waits in the bounded queue for a worker, or says to retry when the queue is full.
async fn queue_for_worker(state: &SharedState) -> Result<OwnedSemaphorePermit, ApiError> {
    if state.waiting.load(Ordering::SeqCst) >= state.config.queue_max {
        state
            .metrics
            .requests_rejected_total
            .with(&["queue_full"])
            .inc();
        return Err(ApiError::busy(
            "overloaded",
            "all workers are busy and the queue is full (NOVA_MAX_WORKERS, NOVA_QUEUE_MAX); retry shortly",
            2,
        ));
    }
    let _waiting = CountGuard::enter(&state.waiting);
    match tokio::time::timeout(QUEUE_WAIT, state.workers.clone().acquire_owned()).await {
        Ok(Ok(p)) => Ok(p),
        _ => {
            state
                .metrics
                .requests_rejected_total
                .with(&["queue_timeout"])
                .inc();
            Err(ApiError::busy(
                "overloaded",
                "waited too long for a worker; retry shortly",
                5,
            ))
        }
    }
}
