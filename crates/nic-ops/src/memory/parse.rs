//! Pure parsers for the kernel's memory files.
//!
//! Everything here takes the *text* of a file and returns plain numbers, so the parsing rules
//! (units, missing fields, the literal `max`, garbage) are unit-tested on sample contents
//! without touching `/proc`. A field that is absent or does not parse is `None`, never an
//! error: old kernels, containers and hardened hosts hide fields, and a health check must
//! still answer.

use std::collections::HashMap;

/// Figures from `/proc/<pid>/status`, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcStatus {
    /// `Name:` — the command name (at most 15 characters, as the kernel keeps it).
    pub name: Option<String>,
    /// `VmRSS:` — resident set size.
    pub rss: Option<u64>,
    /// `RssAnon:` — resident anonymous memory (heap, stacks): what the process itself grew.
    pub anon: Option<u64>,
    /// `RssFile:` — resident file-backed pages (mapped index files, the binary): reclaimable.
    pub file: Option<u64>,
    /// `RssShmem:` — resident shared memory.
    pub shmem: Option<u64>,
    /// `VmHWM:` — peak resident set size.
    pub hwm: Option<u64>,
    /// `VmSize:` — virtual size.
    pub vms: Option<u64>,
    /// `VmSwap:` — swapped-out anonymous memory.
    pub swap: Option<u64>,
    /// `Threads:`.
    pub threads: Option<u64>,
}

/// Parses a `"  1234 kB"` value into bytes. Bare numbers are taken as bytes.
pub fn parse_kb_value(value: &str) -> Option<u64> {
    let mut parts = value.split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        None => Some(n),
        Some(unit) if unit.eq_ignore_ascii_case("kb") => n.checked_mul(1024),
        Some(unit) if unit.eq_ignore_ascii_case("mb") => n.checked_mul(1024 * 1024),
        Some(_) => None,
    }
}

/// Splits `Key:   value` lines into a map; lines without a colon are skipped.
pub fn parse_colon_fields(text: &str) -> HashMap<&str, &str> {
    text.lines()
        .filter_map(|line| {
            let (k, v) = line.split_once(':')?;
            Some((k.trim(), v.trim()))
        })
        .collect()
}

/// Parses `/proc/<pid>/status`.
pub fn parse_proc_status(text: &str) -> ProcStatus {
    let f = parse_colon_fields(text);
    let kb = |key: &str| f.get(key).and_then(|v| parse_kb_value(v));
    ProcStatus {
        name: f.get("Name").map(|s| s.to_string()),
        rss: kb("VmRSS"),
        anon: kb("RssAnon"),
        file: kb("RssFile"),
        shmem: kb("RssShmem"),
        hwm: kb("VmHWM"),
        vms: kb("VmSize"),
        swap: kb("VmSwap"),
        threads: f.get("Threads").and_then(|v| v.parse().ok()),
    }
}

/// `Pss:` from `/proc/<pid>/smaps_rollup`, in bytes.
pub fn parse_smaps_rollup_pss(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix("Pss:")?;
        parse_kb_value(rest.trim())
    })
}

/// Figures from `/proc/<pid>/statm`, in pages: (size, resident, shared).
pub fn parse_statm(text: &str) -> Option<(u64, u64, u64)> {
    let mut it = text.split_whitespace().map(|t| t.parse::<u64>().ok());
    let size = it.next()??;
    let resident = it.next()??;
    let shared = it.next()??;
    Some((size, resident, shared))
}

/// `MemTotal:` from `/proc/meminfo`, in bytes.
pub fn parse_meminfo_total(text: &str) -> Option<u64> {
    parse_meminfo(text).get("MemTotal").copied()
}

/// All `/proc/meminfo` fields, in bytes (fields given in pages, like `HugePages_Total`, are
/// kept as plain numbers).
pub fn parse_meminfo(text: &str) -> HashMap<String, u64> {
    parse_colon_fields(text)
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), parse_kb_value(v)?)))
        .collect()
}

/// A cgroup v2 limit file (`memory.max`, `memory.high`): `Ok(None)` for the literal `max`
/// (no limit), `Ok(Some(bytes))` for a number, `Err(())` for anything else.
#[allow(clippy::result_unit_err)]
pub fn parse_cgroup_limit(text: &str) -> Result<Option<u64>, ()> {
    let t = text.trim();
    if t == "max" {
        return Ok(None);
    }
    t.parse::<u64>().map(Some).map_err(|_| ())
}

/// A cgroup v1 `memory.limit_in_bytes`: the kernel writes a huge page-aligned number
/// (`9223372036854771712`) for "no limit"; anything at or above 2^62 is treated as unlimited.
pub fn parse_cgroup_v1_limit(text: &str) -> Option<Option<u64>> {
    let n: u64 = text.trim().parse().ok()?;
    Some(if n >= 1 << 62 { None } else { Some(n) })
}

/// `key value` lines (`memory.stat`, `memory.events`, `/proc/vmstat`) into a map.
/// Lines that do not have exactly a key and a number are skipped.
pub fn parse_key_values(text: &str) -> HashMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let mut it = line.split_whitespace();
            let k = it.next()?;
            let v = it.next()?.parse().ok()?;
            if it.next().is_some() {
                return None;
            }
            Some((k.to_string(), v))
        })
        .collect()
}

/// Where this process sits in the cgroup hierarchy, from `/proc/<pid>/cgroup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgroupPath {
    /// The unified (v2) hierarchy: the `0::<path>` line.
    V2(String),
    /// The v1 memory controller: the `N:memory:<path>` line.
    V1Memory(String),
}

/// Parses `/proc/<pid>/cgroup`. Prefers the v1 memory controller when one is mounted (on a
/// hybrid host the memory limit lives there), else the unified `0::` path.
pub fn parse_proc_cgroup(text: &str) -> Vec<CgroupPath> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !path.starts_with('/') {
            continue;
        }
        if id == "0" && controllers.is_empty() {
            out.push(CgroupPath::V2(path.to_string()));
        } else if controllers.split(',').any(|c| c == "memory") {
            out.insert(0, CgroupPath::V1Memory(path.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tnic\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t  300000 kB\n\
VmSize:\t  295000 kB\nVmHWM:\t   81000 kB\nVmRSS:\t   80000 kB\nRssAnon:\t   30000 kB\n\
RssFile:\t   49000 kB\nRssShmem:\t    1000 kB\nVmSwap:\t       0 kB\nThreads:\t9\n";

    #[test]
    fn status_fields_are_bytes() {
        let s = parse_proc_status(STATUS);
        assert_eq!(s.name.as_deref(), Some("nic"));
        assert_eq!(s.rss, Some(80000 * 1024));
        assert_eq!(s.anon, Some(30000 * 1024));
        assert_eq!(s.file, Some(49000 * 1024));
        assert_eq!(s.shmem, Some(1000 * 1024));
        assert_eq!(s.hwm, Some(81000 * 1024));
        assert_eq!(s.vms, Some(295000 * 1024));
        assert_eq!(s.threads, Some(9));
    }

    #[test]
    fn status_missing_and_garbage_fields_are_none() {
        // A kernel without the RssAnon split, and a corrupted VmRSS.
        let s = parse_proc_status("Name:\tx\nVmRSS:\t lots kB\nVmSize:\t 10 parsecs\n");
        assert_eq!(s.rss, None);
        assert_eq!(s.anon, None);
        assert_eq!(s.vms, None);
        assert_eq!(parse_proc_status(""), ProcStatus::default());
        assert_eq!(parse_proc_status("\u{0}\u{1}garbage\n::::\n").rss, None);
    }

    #[test]
    fn kb_values() {
        assert_eq!(parse_kb_value("12 kB"), Some(12 * 1024));
        assert_eq!(parse_kb_value("12"), Some(12));
        assert_eq!(parse_kb_value(""), None);
        assert_eq!(parse_kb_value("-3 kB"), None);
        assert_eq!(parse_kb_value("18446744073709551615 kB"), None, "overflow");
    }

    #[test]
    fn smaps_rollup_pss() {
        let text = "55d3c50c4000-7ffd1bf1c000 ---p 00000000 00:00 0   [rollup]\n\
Rss:                1752 kB\nPss:                 271 kB\nPss_Anon:            108 kB\n";
        assert_eq!(parse_smaps_rollup_pss(text), Some(271 * 1024));
        assert_eq!(parse_smaps_rollup_pss("Rss: 1 kB\n"), None);
        assert_eq!(parse_smaps_rollup_pss("Pss: x kB\n"), None);
    }

    #[test]
    fn statm() {
        assert_eq!(
            parse_statm("765 409 381 5 0 123 0\n"),
            Some((765, 409, 381))
        );
        assert_eq!(parse_statm("765 409"), None);
        assert_eq!(parse_statm("a b c"), None);
    }

    #[test]
    fn meminfo() {
        let text = "MemTotal:       24576000 kB\nMemFree:  100 kB\nHugePages_Total:       0\n";
        assert_eq!(parse_meminfo_total(text), Some(24576000 * 1024));
        assert_eq!(parse_meminfo(text).get("HugePages_Total"), Some(&0));
        assert_eq!(parse_meminfo_total("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn cgroup_limits() {
        assert_eq!(parse_cgroup_limit("max\n"), Ok(None));
        assert_eq!(parse_cgroup_limit("1073741824\n"), Ok(Some(1 << 30)));
        assert_eq!(parse_cgroup_limit("lots"), Err(()));
        assert_eq!(parse_cgroup_limit(""), Err(()));
        assert_eq!(parse_cgroup_v1_limit("9223372036854771712\n"), Some(None));
        assert_eq!(parse_cgroup_v1_limit("536870912"), Some(Some(512 << 20)));
        assert_eq!(parse_cgroup_v1_limit("x"), None);
    }

    #[test]
    fn key_values() {
        let stat = "anon 1000\nfile 2000\nbroken\nweird 1 2\nneg -1\n";
        let m = parse_key_values(stat);
        assert_eq!(m.get("anon"), Some(&1000));
        assert_eq!(m.get("file"), Some(&2000));
        assert!(!m.contains_key("broken") && !m.contains_key("weird") && !m.contains_key("neg"));
        let events = "low 0\nhigh 3\nmax 1\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(parse_key_values(events).get("oom_kill"), Some(&1));
    }

    #[test]
    fn proc_cgroup_v2_and_hybrid() {
        assert_eq!(
            parse_proc_cgroup("0::/system.slice/nova-nic.service\n"),
            vec![CgroupPath::V2("/system.slice/nova-nic.service".into())]
        );
        let hybrid = "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n";
        assert_eq!(
            parse_proc_cgroup(hybrid),
            vec![
                CgroupPath::V1Memory("/process_api/abc".into()),
                CgroupPath::V2("/".into())
            ]
        );
        assert!(parse_proc_cgroup("garbage\n1:2\n").is_empty());
    }
}
