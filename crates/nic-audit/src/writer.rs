//! The non-blocking writer the server uses: the answer path hands a record over and moves on.
//!
//! Why a bounded queue with drops rather than a blocking or unbounded one: a slow or full disk
//! must never delay or fail an answer to a technician, and must never grow memory without
//! bound. So [`AuditWriter::submit`] is a `try_send` into a `sync_channel`; when the queue is
//! full the record is dropped and *counted*, and `/health` reports the count (a gap in the
//! audit trail is then visible, never silent). One background thread owns the log, appends
//! in arrival order (so `seq` order is submission order) and batches whatever has queued up
//! into one transaction. It also applies retention at start and hourly when configured.

use crate::log::AuditLog;
use crate::record::AuditRecord;
use parking_lot::{Condvar, Mutex};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often retention runs while the writer is alive.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// Writer settings; the defaults suit the server.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Records that may wait for the disk before new ones are dropped.
    pub capacity: usize,
    /// Most records appended in one transaction.
    pub batch_max: usize,
    /// `NOVA_AUDIT_RETENTION_DAYS` (0 = keep everything).
    pub retention_days: u64,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            capacity: 1024,
            batch_max: 256,
            retention_days: 0,
        }
    }
}

/// Counters for `/health` and metrics.
#[derive(Debug, Clone, Serialize)]
pub struct WriterStats {
    pub capacity: usize,
    pub queue_len: usize,
    pub written: u64,
    /// Records not logged because the queue was full (or the writer had stopped).
    pub dropped: u64,
    /// Records the log refused (e.g. disk full); see `last_error`.
    pub failed: u64,
    pub last_error: Option<String>,
}

#[derive(Default)]
struct Shared {
    accepted: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    queued: AtomicUsize,
    last_error: Mutex<Option<String>>,
    processed: Mutex<u64>,
    progress: Condvar,
    paused: Mutex<bool>,
    resumed: Condvar,
}

impl Shared {
    fn wait_while_paused(&self) {
        let mut p = self.paused.lock();
        while *p {
            self.resumed.wait(&mut p);
        }
    }

    fn set_paused(&self, v: bool) {
        *self.paused.lock() = v;
        self.resumed.notify_all();
    }
}

/// Owns the background thread; dropping it drains the queue and joins the thread.
pub struct AuditWriter {
    tx: Option<SyncSender<AuditRecord>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    capacity: usize,
}

/// Holds the writer's appends while alive (records keep queueing, then dropping).
/// For tests, and for copying the log file consistently.
pub struct PauseGuard {
    shared: Arc<Shared>,
}

impl Drop for PauseGuard {
    fn drop(&mut self) {
        self.shared.set_paused(false);
    }
}

impl AuditWriter {
    /// Starts the writer with the default options.
    pub fn start(log: AuditLog) -> Self {
        Self::start_with(log, WriterOptions::default())
    }

    pub fn start_with(log: AuditLog, opts: WriterOptions) -> Self {
        let capacity = opts.capacity.max(1);
        let (tx, rx) = sync_channel(capacity);
        let shared = Arc::new(Shared::default());
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("nic-audit".into())
            .spawn(move || run(log, rx, &worker, &opts));
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                // Without a thread every submit counts as dropped and /health shows why.
                *shared.last_error.lock() = Some(format!("audit writer did not start: {e}"));
                None
            }
        };
        Self {
            tx: thread.as_ref().map(|_| tx),
            shared,
            thread,
            capacity,
        }
    }

    /// Queues a record without blocking. `false` when it was dropped (queue full or writer
    /// stopped); the drop is counted.
    pub fn submit(&self, rec: AuditRecord) -> bool {
        let Some(tx) = &self.tx else {
            self.count_drop();
            return false;
        };
        self.shared.queued.fetch_add(1, Ordering::SeqCst);
        match tx.try_send(rec) {
            Ok(()) => {
                self.shared.accepted.fetch_add(1, Ordering::SeqCst);
                true
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.shared.queued.fetch_sub(1, Ordering::SeqCst);
                self.count_drop();
                false
            }
        }
    }

    fn count_drop(&self) {
        let n = self.shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_power_of_two() {
            tracing::warn!(dropped = n, "audit queue full: audit records dropped");
        }
    }

    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    pub fn written(&self) -> u64 {
        self.shared.written.load(Ordering::SeqCst)
    }

    pub fn failed(&self) -> u64 {
        self.shared.failed.load(Ordering::SeqCst)
    }

    /// Records queued or being written.
    pub fn queue_len(&self) -> usize {
        self.shared.queued.load(Ordering::SeqCst)
    }

    pub fn last_error(&self) -> Option<String> {
        self.shared.last_error.lock().clone()
    }

    pub fn stats(&self) -> WriterStats {
        WriterStats {
            capacity: self.capacity,
            queue_len: self.queue_len(),
            written: self.written(),
            dropped: self.dropped(),
            failed: self.failed(),
            last_error: self.last_error(),
        }
    }

    /// Waits until every record accepted before this call is written (or failed).
    /// `false` on timeout. For tests and shutdown.
    pub fn flush(&self, timeout: Duration) -> bool {
        let target = self.shared.accepted.load(Ordering::SeqCst);
        let deadline = Instant::now() + timeout;
        let mut done = self.shared.processed.lock();
        while *done < target {
            if self
                .shared
                .progress
                .wait_until(&mut done, deadline)
                .timed_out()
            {
                return *done >= target;
            }
        }
        true
    }

    /// Holds appends until the guard is dropped; submits keep queueing, then dropping.
    pub fn pause(&self) -> PauseGuard {
        self.shared.set_paused(true);
        PauseGuard {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for AuditWriter {
    fn drop(&mut self) {
        self.tx = None;
        self.shared.set_paused(false);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(log: AuditLog, rx: Receiver<AuditRecord>, shared: &Shared, opts: &WriterOptions) {
    let batch_max = opts.batch_max.max(1);
    let mut next_retention = Instant::now();
    loop {
        if opts.retention_days > 0 && Instant::now() >= next_retention {
            shared.wait_while_paused();
            if let Err(e) = log.apply_retention(opts.retention_days) {
                tracing::warn!(error = %e, "audit retention failed");
                *shared.last_error.lock() = Some(e.to_string());
            }
            next_retention = Instant::now() + RETENTION_EVERY;
        }
        let first = match rx.recv_timeout(RETENTION_EVERY) {
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        // While paused this thread holds at most this one record; the rest wait in the queue.
        shared.wait_while_paused();
        let mut batch = vec![first];
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let n = batch.len();
        match log.append_batch(&batch) {
            Ok(_) => {
                shared.written.fetch_add(n as u64, Ordering::SeqCst);
            }
            Err(e) => {
                tracing::warn!(error = %e, records = n, "audit append failed");
                shared.failed.fetch_add(n as u64, Ordering::SeqCst);
                *shared.last_error.lock() = Some(e.to_string());
            }
        }
        shared.queued.fetch_sub(n, Ordering::SeqCst);
        *shared.processed.lock() += n as u64;
        shared.progress.notify_all();
    }
}
