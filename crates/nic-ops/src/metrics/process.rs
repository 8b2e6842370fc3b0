//! The standard `process_*` metrics, read from `/proc/self` at render time.
//!
//! These are the names every Prometheus client library exports, so existing dashboards and
//! the `process_resident_memory_bytes` queries operators already know work unchanged.

use super::fmt_f64;
use std::fmt::Write as _;
use std::path::Path;

/// Figures from `/proc/<pid>/stat`, `/proc/stat`, `/proc/<pid>/fd` and `limits`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessStats {
    pub cpu_seconds: f64,
    pub start_time_seconds: Option<f64>,
    pub virtual_bytes: u64,
    pub resident_bytes: u64,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
    pub threads: Option<u64>,
}

/// Parses `/proc/<pid>/stat` into (utime+stime ticks, starttime ticks, vsize, rss pages,
/// threads). The command name may contain spaces and parentheses, so fields are counted
/// from the last `)`.
pub fn parse_stat(text: &str) -> Option<(u64, u64, u64, u64, u64)> {
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); field N is at index N - 3.
    let get = |n: usize| f.get(n - 3).and_then(|s| s.parse::<u64>().ok());
    Some((get(14)? + get(15)?, get(22)?, get(23)?, get(24)?, get(20)?))
}

/// `btime` (boot time, Unix seconds) from `/proc/stat`.
pub fn parse_btime(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())
}

/// Soft limit of `Max open files` from `/proc/<pid>/limits`.
pub fn parse_max_fds(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl ProcessStats {
    /// Reads this process's figures under `proc_root` (normally `/proc`).
    pub fn read(proc_root: &Path) -> Option<Self> {
        let me = proc_root.join("self");
        let (ticks, start_ticks, vsize, rss_pages, threads) =
            parse_stat(&std::fs::read_to_string(me.join("stat")).ok()?)?;
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        let hz = if hz > 0 { hz as f64 } else { 100.0 };
        let btime = std::fs::read_to_string(proc_root.join("stat"))
            .ok()
            .and_then(|t| parse_btime(&t));
        Some(Self {
            cpu_seconds: ticks as f64 / hz,
            start_time_seconds: btime.map(|b| b as f64 + start_ticks as f64 / hz),
            virtual_bytes: vsize,
            resident_bytes: rss_pages * crate::memory::page_size(),
            open_fds: std::fs::read_dir(me.join("fd"))
                .ok()
                .map(|d| d.count() as u64),
            max_fds: std::fs::read_to_string(me.join("limits"))
                .ok()
                .and_then(|t| parse_max_fds(&t)),
            threads: Some(threads),
        })
    }
}

/// Appends the `process_*` families for this process; nothing when `/proc` is unreadable.
pub fn encode_process_metrics(out: &mut String, proc_root: &Path) {
    let Some(p) = ProcessStats::read(proc_root) else {
        return;
    };
    let mut one = |name: &str, kind: &str, help: &str, v: String| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
        );
    };
    one(
        "process_cpu_seconds_total",
        "counter",
        "Total user and system CPU time spent in seconds.",
        fmt_f64(p.cpu_seconds),
    );
    if let Some(fds) = p.open_fds {
        one(
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            fds.to_string(),
        );
    }
    if let Some(max) = p.max_fds {
        one(
            "process_max_fds",
            "gauge",
            "Maximum number of open file descriptors.",
            max.to_string(),
        );
    }
    one(
        "process_virtual_memory_bytes",
        "gauge",
        "Virtual memory size in bytes.",
        p.virtual_bytes.to_string(),
    );
    one(
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory size in bytes.",
        p.resident_bytes.to_string(),
    );
    if let Some(start) = p.start_time_seconds {
        one(
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
            fmt_f64(start),
        );
    }
    if let Some(t) = p.threads {
        one(
            "process_threads",
            "gauge",
            "Number of OS threads in the process.",
            t.to_string(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_a_hostile_command_name() {
        let text = "23019 (my (odd) cmd) R 23017 23017 11223 0 -1 4194304 103 0 0 0 7 5 0 0 20 0 \
3 0 98864 3133440 375 18446744073709551615 1 2 3";
        assert_eq!(parse_stat(text), Some((12, 98864, 3133440, 375, 3)));
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) R 1 2"), None);
    }

    #[test]
    fn btime_and_limits() {
        assert_eq!(parse_btime("cpu 1 2\nbtime 1795823407\n"), Some(1795823407));
        assert_eq!(parse_btime("cpu 1\n"), None);
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
Max open files            20000                20000                files\n";
        assert_eq!(parse_max_fds(limits), Some(20000));
        assert_eq!(
            parse_max_fds("Max open files  unlimited unlimited files\n"),
            None
        );
    }

    #[test]
    fn real_process_metrics_render() {
        let mut out = String::new();
        encode_process_metrics(&mut out, Path::new("/proc"));
        if out.is_empty() {
            eprintln!("skipped: /proc not available");
            return;
        }
        assert!(out.contains("\nprocess_resident_memory_bytes "));
        assert!(out.contains("# TYPE process_cpu_seconds_total counter"));
        encode_process_metrics(&mut out, Path::new("/nonexistent"));
    }
}
