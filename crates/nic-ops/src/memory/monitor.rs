//! A cached memory reader for hot paths, and a reader for any PID.
//!
//! `/health` and `/metrics` may be scraped many times a second under load, and the server's
//! shedding decision wants a reading on every request. Reading four kernel files each time
//! would cost more than the request; instead the reading is cached for a TTL (1 s by
//! default). The fast path is one atomic load and one uncontended read lock; when the cache
//! is stale exactly one caller refreshes it while the others keep getting the previous value.

use super::parse::{parse_proc_status, parse_statm};
use super::{MemorySnapshot, MemorySources, Thresholds};
use crate::error::OpsError;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

const NEVER: u64 = u64::MAX;

/// Caches [`MemorySnapshot`]s of the current process.
pub struct MemoryMonitor {
    sources: MemorySources,
    pid_dir: String,
    limit_mb: Option<u64>,
    thresholds: Thresholds,
    ttl: Duration,
    origin: Instant,
    /// Milliseconds after `origin` of the cached reading, or `NEVER`.
    stamp_ms: AtomicU64,
    cached: RwLock<Option<Arc<MemorySnapshot>>>,
    refreshing: Mutex<()>,
}

impl MemoryMonitor {
    /// A monitor of this process. `limit_mb` is `NOVA_MEMORY_LIMIT_MB` when set.
    pub fn new(limit_mb: Option<u64>) -> Self {
        Self {
            sources: MemorySources::default(),
            pid_dir: "self".into(),
            limit_mb,
            thresholds: Thresholds::default(),
            ttl: Duration::from_secs(1),
            origin: Instant::now(),
            stamp_ms: AtomicU64::new(NEVER),
            cached: RwLock::new(None),
            refreshing: Mutex::new(()),
        }
    }

    /// How long a reading is served from cache (default 1 s).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Warning and failure lines (default 80 / 95).
    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// Reads from another tree or process (`pid_dir` is `"self"` or a PID).
    pub fn with_sources(mut self, sources: MemorySources, pid_dir: impl Into<String>) -> Self {
        self.sources = sources;
        self.pid_dir = pid_dir.into();
        self
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// The latest reading, at most one TTL old.
    pub fn snapshot(&self) -> Arc<MemorySnapshot> {
        let stamp = self.stamp_ms.load(Ordering::Acquire);
        if stamp != NEVER && self.now_ms().saturating_sub(stamp) < self.ttl.as_millis() as u64 {
            if let Some(s) = self.read_cached() {
                return s;
            }
        }
        // Stale: one caller refreshes, the others keep the previous reading if there is one.
        match self.refreshing.try_lock() {
            Ok(_guard) => self.refresh_locked(),
            Err(_) => match self.read_cached() {
                Some(s) => s,
                None => {
                    let _guard = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
                    self.read_cached().unwrap_or_else(|| self.refresh_locked())
                }
            },
        }
    }

    /// A fresh reading, bypassing the cache (and updating it).
    pub fn refresh(&self) -> Arc<MemorySnapshot> {
        let _guard = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        self.refresh_locked()
    }

    fn refresh_locked(&self) -> Arc<MemorySnapshot> {
        let snap = Arc::new(MemorySnapshot::read_from(
            &self.sources,
            &self.pid_dir,
            self.limit_mb,
            self.thresholds,
        ));
        let mut slot = self.cached.write().unwrap_or_else(|p| p.into_inner());
        *slot = Some(snap.clone());
        drop(slot);
        self.stamp_ms.store(self.now_ms(), Ordering::Release);
        snap
    }

    fn read_cached(&self) -> Option<Arc<MemorySnapshot>> {
        self.cached
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn now_ms(&self) -> u64 {
        self.origin.elapsed().as_millis() as u64
    }
}

/// Memory of any process, as `nic monitor --pid` shows it. Bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessMemory {
    pub pid: u32,
    pub name: String,
    pub rss_bytes: u64,
    pub vms_bytes: u64,
    /// Resident shared pages (`statm` shared; else `RssFile + RssShmem`), like `top`'s SHR.
    pub shared_bytes: u64,
    pub anon_bytes: u64,
    pub file_bytes: u64,
    pub shmem_bytes: u64,
    pub peak_rss_bytes: u64,
    pub swap_bytes: u64,
}

/// Reads `/proc/<pid>/status` and `statm`.
pub fn read_process(pid: u32) -> Result<ProcessMemory, OpsError> {
    read_process_in(&MemorySources::default(), pid)
}

/// [`read_process`] under another `/proc` root (tests).
pub fn read_process_in(sources: &MemorySources, pid: u32) -> Result<ProcessMemory, OpsError> {
    let dir = sources.proc_root.join(pid.to_string());
    let text = std::fs::read_to_string(dir.join("status")).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            OpsError::NoSuchProcess { pid }
        } else {
            OpsError::io(dir.join("status"), e)
        }
    })?;
    let st = parse_proc_status(&text);
    let page = page_size();
    let statm_shared = std::fs::read_to_string(dir.join("statm"))
        .ok()
        .and_then(|t| parse_statm(&t))
        .map(|(_, _, shared)| shared * page);
    let rss = st.rss.unwrap_or(0);
    let file = st.file.unwrap_or(0);
    let shmem = st.shmem.unwrap_or(0);
    Ok(ProcessMemory {
        pid,
        name: st.name.unwrap_or_default(),
        rss_bytes: rss,
        vms_bytes: st.vms.unwrap_or(0),
        shared_bytes: statm_shared.unwrap_or(file + shmem),
        anon_bytes: st.anon.unwrap_or(rss),
        file_bytes: file,
        shmem_bytes: shmem,
        peak_rss_bytes: st.hwm.unwrap_or(rss),
        swap_bytes: st.swap.unwrap_or(0),
    })
}

/// The system page size (4096 when it cannot be learned).
pub(crate) fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as u64
    } else {
        4096
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::fake_proc;
    use super::*;

    const A: &str = "Name:\tnic\nVmRSS:\t1000 kB\nRssAnon:\t400 kB\nRssFile:\t600 kB\n";
    const B: &str = "Name:\tnic\nVmRSS:\t2000 kB\nRssAnon:\t1400 kB\nRssFile:\t600 kB\n";

    #[test]
    fn cached_within_ttl_and_refreshed_on_demand() {
        let (_d, src) = fake_proc(A, None);
        let status = src.proc_root.join("4242/status");
        let m = MemoryMonitor::new(None)
            .with_sources(src, "4242")
            .with_ttl(Duration::from_secs(3600));
        let first = m.snapshot();
        std::fs::write(&status, B).unwrap();
        let second = m.snapshot();
        assert!(
            Arc::ptr_eq(&first, &second),
            "within the TTL the reading is shared"
        );
        assert_eq!(second.anon_bytes, 400 * 1024);
        let fresh = m.refresh();
        assert_eq!(fresh.anon_bytes, 1400 * 1024);
        assert!(Arc::ptr_eq(&fresh, &m.snapshot()));
    }

    #[test]
    fn zero_ttl_always_rereads() {
        let (_d, src) = fake_proc(A, None);
        let status = src.proc_root.join("4242/status");
        let m = MemoryMonitor::new(None)
            .with_sources(src, "4242")
            .with_ttl(Duration::ZERO);
        assert_eq!(m.snapshot().rss_bytes, 1000 * 1024);
        std::fs::write(&status, B).unwrap();
        assert_eq!(m.snapshot().rss_bytes, 2000 * 1024);
    }

    #[test]
    fn concurrent_callers_all_get_a_reading() {
        let (_d, src) = fake_proc(A, None);
        let m = Arc::new(MemoryMonitor::new(Some(64)).with_sources(src, "4242"));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || (0..200).map(|_| m.snapshot().rss_bytes).max())
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), Some(1000 * 1024));
        }
    }

    #[test]
    fn read_process_from_fake_and_real_proc() {
        let (_d, src) = fake_proc(A, None);
        let p = read_process_in(&src, 4242).unwrap();
        assert_eq!(p.name, "nic");
        assert_eq!(p.shared_bytes, 600 * 1024, "no statm: file + shmem");
        assert!(matches!(
            read_process_in(&src, 1),
            Err(OpsError::NoSuchProcess { pid: 1 })
        ));
        if let Ok(me) = read_process(std::process::id()) {
            assert!(me.rss_bytes > 0 && me.vms_bytes >= me.rss_bytes);
        } else {
            eprintln!("skipped real /proc check: not available");
        }
    }
}
