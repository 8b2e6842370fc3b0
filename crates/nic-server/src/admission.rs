//! Admission control: at most `NOVA_MAX_WORKERS` answer pipelines at once, a bounded queue
//! behind them (`NOVA_QUEUE_MAX`), and memory shedding — over the fail line new work gets
//! 503 + Retry-After instead of growing toward the OOM killer; over the warn line caches
//! shrink first.

use crate::error::ApiError;
use crate::state::{CountGuard, SharedState};
use nic_ops::memory::Status as MemoryStatus;
use std::sync::atomic::Ordering;
use std::time::Duration;
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
            state.engine.shrink_caches(0.0);
            state
                .engine
                .sessions()
                .shrink_to(state.config.session_max / 2);
            nic_ops::jemalloc::purge().ok();
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
