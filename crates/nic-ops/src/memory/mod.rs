//! Memory accounting: what the process uses, against which budget, and whether that is healthy.
//!
//! The figure that matters is **anonymous** memory (`RssAnon`): heap, caches, model weights
//! copied into RAM. File-backed pages (`RssFile`: memory-mapped index files, the binary) are
//! reclaimable by the kernel at any time and counting them would raise false alarms on a
//! large index, so `usage_percent` is anon against the budget. The budget is, in order:
//! `NOVA_MEMORY_LIMIT_MB` (passed in by the caller), the cgroup limit (systemd `MemoryMax=`,
//! Docker `mem_limit`), physical RAM.
//!
//! Reading never fails: a field the kernel hides is `None`/0 and the reason is kept in
//! [`MemorySnapshot::error`], because `/health` must answer even on an odd host.

mod cgroup;
mod monitor;
pub mod parse;

pub use cgroup::{read_cgroup_memory, CgroupMemory};
pub(crate) use monitor::page_size;
pub use monitor::{read_process, read_process_in, MemoryMonitor, ProcessMemory};

use crate::jemalloc::{allocator_stats, AllocatorStats};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Default warning line, percent of the budget (DESIGN §5).
pub const WARN_PERCENT: f64 = 80.0;
/// Default failure line, percent of the budget (DESIGN §5).
pub const FAIL_PERCENT: f64 = 95.0;

/// Health of one check, serialised as `pass|warn|fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// Where the memory budget came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LimitSource {
    /// The operator set `NOVA_MEMORY_LIMIT_MB`.
    #[serde(rename = "NOVA_MEMORY_LIMIT_MB")]
    Env,
    /// The cgroup limit (`memory.max`).
    #[serde(rename = "cgroup")]
    Cgroup,
    /// Physical RAM (`MemTotal`).
    #[serde(rename = "physical")]
    Physical,
}

impl LimitSource {
    /// The name used in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitSource::Env => "NOVA_MEMORY_LIMIT_MB",
            LimitSource::Cgroup => "cgroup",
            LimitSource::Physical => "physical",
        }
    }
}

/// The warning and failure lines, in percent of the budget.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub warn_percent: f64,
    pub fail_percent: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            warn_percent: WARN_PERCENT,
            fail_percent: FAIL_PERCENT,
        }
    }
}

impl Thresholds {
    /// `pass` below warn, `warn` from warn, `fail` from fail.
    pub fn classify(&self, percent: f64) -> Status {
        if percent >= self.fail_percent {
            Status::Fail
        } else if percent >= self.warn_percent {
            Status::Warn
        } else {
            Status::Pass
        }
    }
}

/// Where the kernel files live; tests point this at a fake tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemorySources {
    /// Normally `/proc`.
    pub proc_root: PathBuf,
    /// Normally `/sys/fs/cgroup`.
    pub cgroup_root: PathBuf,
    /// Whether to read jemalloc's statistics (off for fake trees).
    pub allocator: bool,
}

impl Default for MemorySources {
    fn default() -> Self {
        Self {
            proc_root: PathBuf::from("/proc"),
            cgroup_root: PathBuf::from("/sys/fs/cgroup"),
            allocator: true,
        }
    }
}

/// One reading of the process's memory. Serialises to the `/health` `checks.memory` shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemorySnapshot {
    pub status: Status,
    pub pid: u32,
    /// `VmRSS`.
    pub rss_bytes: u64,
    /// `RssAnon` (falls back to RSS on kernels without the split): heap and caches.
    pub anon_bytes: u64,
    /// `RssFile`: mapped files, reclaimable.
    pub file_bytes: u64,
    /// `RssShmem`.
    pub shmem_bytes: u64,
    /// `Pss` from `smaps_rollup`, when the kernel has it.
    pub pss_bytes: Option<u64>,
    /// `VmHWM`: peak RSS.
    pub peak_rss_bytes: u64,
    /// `VmSize`.
    pub vms_bytes: u64,
    /// `VmSwap`.
    pub swap_bytes: u64,
    /// The budget `usage_percent` is computed against (0 when nothing could be learned).
    pub limit_bytes: u64,
    pub limit_source: LimitSource,
    /// `MemTotal` of the host.
    pub host_total_bytes: Option<u64>,
    /// `anon_bytes / limit_bytes * 100`, two decimals.
    pub usage_percent: f64,
    pub warn_percent: f64,
    pub fail_percent: f64,
    pub cgroup: Option<CgroupMemory>,
    pub allocator: Option<AllocatorStats>,
    /// Milliseconds since the Unix epoch when this was read.
    pub taken_at_unix_ms: u64,
    /// What could not be read, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl MemorySnapshot {
    /// Reads the current process's figures. `limit_mb` is `NOVA_MEMORY_LIMIT_MB` if set.
    pub fn read(limit_mb: Option<u64>) -> Self {
        Self::read_from(
            &MemorySources::default(),
            "self",
            limit_mb,
            Thresholds::default(),
        )
    }

    /// Reads the figures of `/proc/<pid_dir>` (`"self"` or a number) under `sources`.
    pub fn read_from(
        sources: &MemorySources,
        pid_dir: &str,
        limit_mb: Option<u64>,
        thresholds: Thresholds,
    ) -> Self {
        let proc_dir = sources.proc_root.join(pid_dir);
        let mut errors = Vec::new();
        let status = match std::fs::read_to_string(proc_dir.join("status")) {
            Ok(text) => parse::parse_proc_status(&text),
            Err(e) => {
                errors.push(format!("{}: {e}", proc_dir.join("status").display()));
                parse::ProcStatus::default()
            }
        };
        let pss = std::fs::read_to_string(proc_dir.join("smaps_rollup"))
            .ok()
            .and_then(|t| parse::parse_smaps_rollup_pss(&t));
        let host_total = std::fs::read_to_string(sources.proc_root.join("meminfo"))
            .ok()
            .and_then(|t| parse::parse_meminfo_total(&t));
        let cgroup = std::fs::read_to_string(proc_dir.join("cgroup"))
            .ok()
            .and_then(|t| read_cgroup_memory(&t, &sources.cgroup_root));
        let pid = if pid_dir == "self" {
            std::process::id()
        } else {
            pid_dir.parse().unwrap_or(0)
        };

        let (limit_bytes, limit_source) =
            choose_limit(limit_mb, cgroup.as_ref().and_then(|c| c.max), host_total);
        if limit_bytes == 0 {
            errors.push("no memory budget: set NOVA_MEMORY_LIMIT_MB".into());
        }
        let rss = status.rss.unwrap_or(0);
        let anon = status.anon.unwrap_or(rss);
        let usage_percent = percent(anon, limit_bytes);
        Self {
            status: thresholds.classify(usage_percent),
            pid,
            rss_bytes: rss,
            anon_bytes: anon,
            file_bytes: status.file.unwrap_or(0),
            shmem_bytes: status.shmem.unwrap_or(0),
            pss_bytes: pss,
            peak_rss_bytes: status.hwm.unwrap_or(rss),
            vms_bytes: status.vms.unwrap_or(0),
            swap_bytes: status.swap.unwrap_or(0),
            limit_bytes,
            limit_source,
            host_total_bytes: host_total,
            usage_percent,
            warn_percent: thresholds.warn_percent,
            fail_percent: thresholds.fail_percent,
            cgroup,
            allocator: if sources.allocator && pid_dir == "self" {
                allocator_stats()
            } else {
                None
            },
            taken_at_unix_ms: unix_ms(),
            error: if errors.is_empty() {
                None
            } else {
                Some(errors.join("; "))
            },
        }
    }

    /// Bytes of anonymous memory still available before the failure line.
    pub fn headroom_bytes(&self) -> u64 {
        let fail_at = (self.limit_bytes as f64 * self.fail_percent / 100.0) as u64;
        fail_at.saturating_sub(self.anon_bytes)
    }

    /// Heap as the allocator sees it (`stats.allocated`), else anonymous RSS.
    pub fn heap_bytes(&self) -> u64 {
        self.allocator
            .as_ref()
            .map(|a| a.allocated)
            .unwrap_or(self.anon_bytes)
    }
}

/// Picks the budget: the env value, else a cgroup limit (when it is below physical RAM —
/// a cgroup "limit" above RAM limits nothing), else RAM.
pub fn choose_limit(
    limit_mb: Option<u64>,
    cgroup_max: Option<u64>,
    host_total: Option<u64>,
) -> (u64, LimitSource) {
    if let Some(mb) = limit_mb.filter(|mb| *mb > 0) {
        return (mb.saturating_mul(1024 * 1024), LimitSource::Env);
    }
    match (cgroup_max, host_total) {
        (Some(cg), Some(host)) if cg < host => (cg, LimitSource::Cgroup),
        (Some(cg), None) => (cg, LimitSource::Cgroup),
        (_, Some(host)) => (host, LimitSource::Physical),
        (None, None) => (0, LimitSource::Physical),
    }
}

/// `part / whole * 100`, two decimals; 0 when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 / whole as f64 * 10_000.0).round() / 100.0
}

pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    pub(crate) fn fake_proc(
        status: &str,
        cgroup_max: Option<&str>,
    ) -> (tempfile::TempDir, MemorySources) {
        let dir = tempfile::tempdir().unwrap();
        let proc_root = dir.path().join("proc");
        let me = proc_root.join("4242");
        fs::create_dir_all(&me).unwrap();
        fs::write(me.join("status"), status).unwrap();
        fs::write(me.join("smaps_rollup"), "Rss: 10 kB\nPss: 7 kB\n").unwrap();
        fs::write(me.join("cgroup"), "0::/nic.service\n").unwrap();
        fs::write(proc_root.join("meminfo"), "MemTotal: 8388608 kB\n").unwrap();
        let cg = dir.path().join("cgroup");
        if let Some(max) = cgroup_max {
            fs::create_dir_all(cg.join("nic.service")).unwrap();
            fs::write(cg.join("nic.service/memory.max"), max).unwrap();
        }
        let sources = MemorySources {
            proc_root,
            cgroup_root: cg,
            allocator: false,
        };
        (dir, sources)
    }

    const STATUS: &str = "Name:\tnic\nVmSize:\t2000000 kB\nVmHWM:\t900000 kB\nVmRSS:\t900000 kB\n\
RssAnon:\t100000 kB\nRssFile:\t800000 kB\nRssShmem:\t0 kB\n";

    #[test]
    fn mapped_index_pages_do_not_raise_alarms() {
        // 900 MB resident, almost all of it a mapped index, against a 1 GiB cgroup limit.
        let (_d, src) = fake_proc(STATUS, Some("1073741824\n"));
        let s = MemorySnapshot::read_from(&src, "4242", None, Thresholds::default());
        assert_eq!(s.limit_source, LimitSource::Cgroup);
        assert_eq!(s.limit_bytes, 1 << 30);
        assert_eq!(s.anon_bytes, 100_000 * 1024);
        assert_eq!(s.usage_percent, percent(100_000 * 1024, 1 << 30));
        assert!(s.usage_percent < 10.0);
        assert_eq!(s.status, Status::Pass);
        assert_eq!(s.pss_bytes, Some(7 * 1024));
        assert_eq!(s.pid, 4242);
        assert!(s.error.is_none());
    }

    #[test]
    fn env_limit_wins_and_sets_status() {
        let (_d, src) = fake_proc(STATUS, Some("1073741824\n"));
        // 100000 kB anon against 110 MB: ~88.8% → warn.
        let s = MemorySnapshot::read_from(&src, "4242", Some(110), Thresholds::default());
        assert_eq!(s.limit_source, LimitSource::Env);
        assert_eq!(s.status, Status::Warn);
        let s = MemorySnapshot::read_from(&src, "4242", Some(100), Thresholds::default());
        assert_eq!(s.status, Status::Fail);
        assert_eq!(s.headroom_bytes(), 0);
    }

    #[test]
    fn cgroup_max_falls_back_to_physical() {
        let (_d, src) = fake_proc(STATUS, Some("max\n"));
        let s = MemorySnapshot::read_from(&src, "4242", None, Thresholds::default());
        assert_eq!(s.limit_source, LimitSource::Physical);
        assert_eq!(s.limit_bytes, 8_388_608 * 1024);
    }

    #[test]
    fn missing_files_give_zeros_and_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let src = MemorySources {
            proc_root: dir.path().into(),
            cgroup_root: dir.path().into(),
            allocator: false,
        };
        let s = MemorySnapshot::read_from(&src, "self", None, Thresholds::default());
        assert_eq!(s.rss_bytes, 0);
        assert_eq!(s.limit_bytes, 0);
        assert_eq!(s.usage_percent, 0.0);
        let err = s.error.unwrap();
        assert!(
            err.contains("status") && err.contains("NOVA_MEMORY_LIMIT_MB"),
            "{err}"
        );
    }

    #[test]
    fn json_shape_matches_the_health_contract() {
        let (_d, src) = fake_proc(STATUS, None);
        let s = MemorySnapshot::read_from(&src, "4242", Some(1024), Thresholds::default());
        let v = serde_json::to_value(&s).unwrap();
        for key in [
            "status",
            "rss_bytes",
            "anon_bytes",
            "file_bytes",
            "limit_bytes",
            "usage_percent",
            "warn_percent",
            "fail_percent",
            "limit_source",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["status"], "pass");
        assert_eq!(v["limit_source"], "NOVA_MEMORY_LIMIT_MB");
        assert_eq!(v["warn_percent"], 80.0);
        assert_eq!(v["fail_percent"], 95.0);
    }

    #[test]
    fn choose_limit_rules() {
        assert_eq!(
            choose_limit(Some(0), Some(5), Some(10)),
            (5, LimitSource::Cgroup)
        );
        assert_eq!(
            choose_limit(None, Some(50), Some(10)),
            (10, LimitSource::Physical)
        );
        assert_eq!(choose_limit(None, None, None), (0, LimitSource::Physical));
        assert_eq!(
            choose_limit(Some(2), None, Some(1)),
            (2 << 20, LimitSource::Env)
        );
    }

    #[test]
    fn real_self_reading_is_sane() {
        let s = MemorySnapshot::read(None);
        if s.error.as_deref().is_some_and(|e| e.contains("status")) {
            eprintln!("skipped: /proc not available");
            return;
        }
        assert!(s.rss_bytes > 0);
        assert!(s.limit_bytes > 0);
        assert!(s.anon_bytes <= s.rss_bytes);
    }
}
