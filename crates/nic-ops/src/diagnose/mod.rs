//! `nic diagnose`: one text file with everything a memory escalation asks for.
//!
//! Support engineers should not have to ask for five more commands' output. The report
//! gathers host memory, kernel VM counters, the top processes, NIC's own memory and mappings,
//! the cgroup limits and OOM events, and the sections only the caller knows (effective
//! config with secrets masked, index stats, the running server's `/health` and
//! `/debug/memory`). Every section is always present: a file that cannot be read becomes a
//! one-line "not available" note, never an error, because a diagnosis is most needed on a
//! box in a bad state.

mod smaps;

pub use smaps::{summarize_smaps, MappingSummary};

use crate::memory::parse::{parse_key_values, parse_meminfo, parse_proc_status};
use crate::memory::{MemorySnapshot, MemorySources, Thresholds};
use crate::sampler::{http, rfc3339_utc};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// The section titles, in report order.
pub const SECTIONS: &[&str] = &[
    "Version",
    "Host memory",
    "Virtual memory counters",
    "Memory pressure",
    "Top processes by RSS",
    "NIC process memory",
    "NIC mappings by file",
    "Cgroup",
    "Effective config",
    "Index stats",
    "Server /health",
    "Server /debug/memory",
];

/// What the caller knows that this crate cannot read from `/proc`.
#[derive(Debug, Clone, Default)]
pub struct DiagnoseInput {
    /// NIC version (`nic_core::VERSION`).
    pub version: String,
    /// PID of the NIC server; `None` looks for a running `nic serve`, else reports this
    /// process.
    pub pid: Option<u32>,
    /// `NOVA_MEMORY_LIMIT_MB`, to compute the budget as the server does.
    pub memory_limit_mb: Option<u64>,
    /// Effective config, secrets already masked (see [`mask_secrets`]).
    pub config: Option<String>,
    /// `nic index stats` output.
    pub index_stats: Option<String>,
    /// `/health` body, or why it could not be fetched (see [`fetch_server_sections`]).
    pub health: Option<String>,
    /// `/debug/memory` body, or why it could not be fetched.
    pub debug_memory: Option<String>,
    /// Further sections: (title, text).
    pub extra: Vec<(String, String)>,
    /// Where `/proc` and the cgroup tree are (default: the real ones).
    pub sources: MemorySources,
}

fn section(out: &mut String, title: &str) {
    let _ = write!(out, "\n==== {title} ====\n");
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / 1024.0 / 1024.0)
}

fn opt_mib(b: Option<u64>) -> String {
    b.map(mib).unwrap_or_else(|| "n/a".into())
}

fn caller_text(out: &mut String, text: &Option<String>, what: &str) {
    match text {
        Some(t) if !t.trim().is_empty() => {
            out.push_str(t.trim_end());
            out.push('\n');
        }
        _ => {
            let _ = writeln!(out, "(not available: {what})");
        }
    }
}

/// Builds the report. Never fails; missing data is stated in place.
pub fn diagnose_report(input: &DiagnoseInput) -> String {
    let proc_root = &input.sources.proc_root;
    let read = |rel: &str| std::fs::read_to_string(proc_root.join(rel));
    let mut out = String::with_capacity(32 * 1024);
    let _ = writeln!(
        out,
        "NIC diagnose report\ngenerated: {}\nhost: {}\nkernel: {}",
        rfc3339_utc(crate::memory::unix_ms()),
        read("sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "n/a".into()),
        read("sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "n/a".into()),
    );

    section(&mut out, "Version");
    let _ = writeln!(
        out,
        "nic {}",
        if input.version.is_empty() {
            "(unknown)"
        } else {
            &input.version
        }
    );

    section(&mut out, "Host memory");
    match read("meminfo") {
        Ok(text) => {
            let m = parse_meminfo(&text);
            for key in [
                "MemTotal",
                "MemFree",
                "MemAvailable",
                "Buffers",
                "Cached",
                "Shmem",
                "AnonPages",
                "Mapped",
                "SwapTotal",
                "SwapFree",
                "Dirty",
                "Slab",
                "SReclaimable",
                "Committed_AS",
                "CommitLimit",
            ] {
                let _ = writeln!(out, "{key:<14} {:>14}", opt_mib(m.get(key).copied()));
            }
        }
        Err(e) => {
            let _ = writeln!(out, "(not available: /proc/meminfo: {e})");
        }
    }

    section(&mut out, "Virtual memory counters");
    match read("vmstat") {
        Ok(text) => {
            let v = parse_key_values(&text);
            let _ = writeln!(out, "(counts since boot)");
            for key in [
                "pgfault",
                "pgmajfault",
                "pswpin",
                "pswpout",
                "pgscan_kswapd",
                "pgscan_direct",
                "pgsteal_kswapd",
                "pgsteal_direct",
                "oom_kill",
            ] {
                let val = v
                    .get(key)
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "n/a".into());
                let _ = writeln!(out, "{key:<16} {val:>16}");
            }
        }
        Err(e) => {
            let _ = writeln!(out, "(not available: /proc/vmstat: {e})");
        }
    }

    section(&mut out, "Memory pressure");
    match read("pressure/memory") {
        Ok(text) => {
            let _ = writeln!(out, "(PSI: share of time tasks stalled on memory)");
            out.push_str(text.trim_end());
            out.push('\n');
        }
        Err(e) => {
            let _ = writeln!(out, "(not available: /proc/pressure/memory: {e})");
        }
    }

    section(&mut out, "Top processes by RSS");
    let top = top_processes(proc_root, 10);
    if top.is_empty() {
        let _ = writeln!(out, "(not available: no readable /proc/<pid>/status)");
    } else {
        let _ = writeln!(
            out,
            "{:>8} {:>12} {:>12} {:>12}  COMMAND",
            "PID", "RSS", "ANON", "SWAP"
        );
        for p in &top {
            let _ = writeln!(
                out,
                "{:>8} {:>12} {:>12} {:>12}  {}",
                p.pid,
                mib(p.rss_bytes),
                mib(p.anon_bytes),
                mib(p.swap_bytes),
                p.command
            );
        }
    }

    let (pid_dir, how) = match input.pid {
        Some(pid) => (pid.to_string(), format!("pid {pid} (given)")),
        None => match find_server_pids(proc_root).first() {
            Some(pid) => (pid.to_string(), format!("pid {pid} (running `nic serve`)")),
            None => (
                "self".to_string(),
                "this process (no running `nic serve` found)".to_string(),
            ),
        },
    };
    section(&mut out, "NIC process memory");
    let snap = MemorySnapshot::read_from(
        &input.sources,
        &pid_dir,
        input.memory_limit_mb,
        Thresholds::default(),
    );
    let _ = writeln!(out, "process: {how}");
    let _ = writeln!(
        out,
        "status: {}  usage: {:.2}% of {} (budget from {})  warn at {}%  fail at {}%",
        snap.status.as_str(),
        snap.usage_percent,
        mib(snap.limit_bytes),
        snap.limit_source.as_str(),
        snap.warn_percent,
        snap.fail_percent
    );
    let _ = writeln!(
        out,
        "rss {}  anon {}  file {}  shmem {}  pss {}  peak {}  vms {}  swap {}",
        mib(snap.rss_bytes),
        mib(snap.anon_bytes),
        mib(snap.file_bytes),
        mib(snap.shmem_bytes),
        opt_mib(snap.pss_bytes),
        mib(snap.peak_rss_bytes),
        mib(snap.vms_bytes),
        mib(snap.swap_bytes)
    );
    if let Some(a) = &snap.allocator {
        let _ = writeln!(
            out,
            "jemalloc: allocated {}  active {}  resident {}  retained {}  mapped {}",
            mib(a.allocated),
            mib(a.active),
            mib(a.resident),
            mib(a.retained),
            mib(a.mapped)
        );
    }
    if let Some(e) = &snap.error {
        let _ = writeln!(out, "note: {e}");
    }

    section(&mut out, "NIC mappings by file");
    match read(&format!("{pid_dir}/smaps")) {
        Ok(text) => {
            let maps = summarize_smaps(&text);
            let anon: u64 = maps.iter().map(|m| m.anon_bytes).sum();
            let rss: u64 = maps.iter().map(|m| m.rss_bytes).sum();
            let _ = writeln!(
                out,
                "{} mappings; rss total {}; anonymous total {}",
                maps.iter().map(|m| m.mappings).sum::<usize>(),
                mib(rss),
                mib(anon)
            );
            let _ = writeln!(
                out,
                "{:>12} {:>12} {:>12} {:>5}  NAME",
                "RSS", "PSS", "SIZE", "MAPS"
            );
            for m in maps.iter().take(25) {
                let _ = writeln!(
                    out,
                    "{:>12} {:>12} {:>12} {:>5}  {}",
                    mib(m.rss_bytes),
                    mib(m.pss_bytes),
                    mib(m.size_bytes),
                    m.mappings,
                    m.name
                );
            }
            if maps.len() > 25 {
                let _ = writeln!(out, "... {} more", maps.len() - 25);
            }
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "(not available: /proc/{pid_dir}/smaps: {e}; run as the service user or root)"
            );
        }
    }

    section(&mut out, "Cgroup");
    match &snap.cgroup {
        Some(c) => {
            let _ = writeln!(
                out,
                "cgroup {} {}\nmemory.max {}  memory.high {}  memory.current {}\n\
anon {}  file {}  oom events {}  oom kills {}",
                c.version,
                c.path,
                c.max.map(mib).unwrap_or_else(|| "max (no limit)".into()),
                c.high.map(mib).unwrap_or_else(|| "max/n/a".into()),
                opt_mib(c.current),
                opt_mib(c.anon),
                opt_mib(c.file),
                c.oom_events
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "n/a".into()),
                c.oom_kill_events
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "n/a".into()),
            );
        }
        None => {
            let _ = writeln!(out, "(not available: no readable memory cgroup)");
        }
    }

    section(&mut out, "Effective config");
    caller_text(&mut out, &input.config, "not provided");
    section(&mut out, "Index stats");
    caller_text(&mut out, &input.index_stats, "not provided");
    section(&mut out, "Server /health");
    caller_text(&mut out, &input.health, "server not queried");
    section(&mut out, "Server /debug/memory");
    caller_text(&mut out, &input.debug_memory, "server not queried");
    for (title, text) in &input.extra {
        section(&mut out, title);
        caller_text(&mut out, &Some(text.clone()), "empty");
    }
    out
}

/// `/health` and `/debug/memory` of a server on this machine, pretty-printed, or a line
/// saying why not (so they can go straight into [`DiagnoseInput`]).
pub fn fetch_server_sections(base_url: &str, token: Option<&str>) -> (String, String) {
    let base = base_url.trim_end_matches('/');
    let get = |path: &str| match http::http_get(
        &format!("{base}{path}"),
        token,
        Duration::from_secs(5),
    ) {
        Ok(r) => {
            let body = serde_json::from_str::<serde_json::Value>(&r.body)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or(r.body);
            format!("HTTP {}\n{body}", r.status)
        }
        Err(e) => format!("(not available: {e})"),
    };
    (get("/health"), get("/debug/memory"))
}

/// One row of the top-processes table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRow {
    pub pid: u32,
    pub command: String,
    pub rss_bytes: u64,
    pub anon_bytes: u64,
    pub swap_bytes: u64,
}

/// The `n` processes with the largest RSS. Processes that exit during the scan are skipped.
pub fn top_processes(proc_root: &Path, n: usize) -> Vec<ProcessRow> {
    let Ok(dir) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    let mut rows: Vec<ProcessRow> = dir
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let st = parse_proc_status(&std::fs::read_to_string(e.path().join("status")).ok()?);
            let cmdline = std::fs::read(e.path().join("cmdline"))
                .map(|b| cmdline_text(&b))
                .unwrap_or_default();
            let command = if cmdline.is_empty() {
                format!("[{}]", st.name.clone().unwrap_or_default())
            } else {
                cmdline
            };
            Some(ProcessRow {
                pid,
                command,
                rss_bytes: st.rss?,
                anon_bytes: st.anon.unwrap_or(0),
                swap_bytes: st.swap.unwrap_or(0),
            })
        })
        .collect();
    rows.sort_by(|a, b| b.rss_bytes.cmp(&a.rss_bytes).then(a.pid.cmp(&b.pid)));
    rows.truncate(n);
    rows
}

fn cmdline_text(raw: &[u8]) -> String {
    let s: String = String::from_utf8_lossy(raw)
        .split('\0')
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if s.chars().count() > 100 {
        format!("{}...", s.chars().take(100).collect::<String>())
    } else {
        s
    }
}

/// PIDs of running `nic serve` processes (`argv[0]` named `nic`, an argument `serve`), other
/// than this one.
pub fn find_server_pids(proc_root: &Path) -> Vec<u32> {
    let me = std::process::id();
    let Ok(dir) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = dir
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let raw = std::fs::read(e.path().join("cmdline")).ok()?;
            let args: Vec<String> = String::from_utf8_lossy(&raw)
                .split('\0')
                .map(str::to_string)
                .collect();
            let argv0 = Path::new(args.first()?).file_name()?.to_str()?.to_string();
            (pid != me && argv0 == "nic" && args.iter().skip(1).any(|a| a == "serve"))
                .then_some(pid)
        })
        .collect();
    pids.sort_unstable();
    pids
}

const SECRET_KEYS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "api_key",
    "apikey",
    "authorization",
    "credential",
    "private_key",
];

/// Masks secrets in a config document in place: values of keys that name a secret become
/// `"***"` (unset values stay `null` so the reader sees they are unset), and the user-info of
/// URLs (`http://user:pw@host`) is replaced by `***`.
pub fn mask_secrets(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let lk = k.to_ascii_lowercase();
                if SECRET_KEYS.iter().any(|s| lk.contains(s)) && !v.is_null() {
                    *v = Value::String("***".into());
                } else {
                    mask_secrets(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_secrets),
        Value::String(s) => {
            if let Some(masked) = mask_url_userinfo(s) {
                *s = masked;
            }
        }
        _ => {}
    }
}

fn mask_url_userinfo(s: &str) -> Option<String> {
    let scheme_end = s.find("://")? + 3;
    let rest = &s[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    Some(format!("{}***@{}", &s[..scheme_end], &rest[at + 1..]))
}

#[cfg(test)]
mod tests;
