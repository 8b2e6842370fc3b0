//! The cgroup's view of memory: the limit the OOM killer enforces and the events it logged.
//!
//! systemd (`MemoryMax=`) and Docker (`mem_limit`) both express the budget as a cgroup
//! limit, so this is usually where NIC learns how much it may use. cgroup v2 is the normal
//! case; the v1 memory controller is read as a fallback because hybrid hosts still exist.
//! Anything unreadable yields `None` fields rather than an error.

use super::parse::{
    parse_cgroup_limit, parse_cgroup_v1_limit, parse_key_values, parse_proc_cgroup, CgroupPath,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Memory figures of the cgroup the process runs in, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CgroupMemory {
    /// `v2` or `v1`.
    pub version: String,
    /// The cgroup path as seen in `/proc/<pid>/cgroup`.
    pub path: String,
    /// `memory.max` (v1: `memory.limit_in_bytes`); `None` = no limit (`max`) or unreadable.
    pub max: Option<u64>,
    /// `memory.current` (v1: `memory.usage_in_bytes`).
    pub current: Option<u64>,
    /// `memory.high` (v2 only): above it the kernel throttles and reclaims hard.
    pub high: Option<u64>,
    /// `anon` of `memory.stat` (v1: `total_rss`).
    pub anon: Option<u64>,
    /// `file` of `memory.stat` (v1: `total_cache`).
    pub file: Option<u64>,
    /// `oom` of `memory.events`: times the cgroup hit its limit and the OOM killer ran.
    pub oom_events: Option<u64>,
    /// `oom_kill` of `memory.events` (v1: `memory.oom_control`): processes killed.
    pub oom_kill_events: Option<u64>,
}

fn read(dir: &Path, file: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(file)).ok()
}

fn join_cgroup(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

fn read_v2(dir: &Path, path: &str) -> Option<CgroupMemory> {
    let max_text = read(dir, "memory.max");
    let current = read(dir, "memory.current").and_then(|t| t.trim().parse().ok());
    if max_text.is_none() && current.is_none() {
        return None;
    }
    let stat = read(dir, "memory.stat").map(|t| parse_key_values(&t));
    let events = read(dir, "memory.events").map(|t| parse_key_values(&t));
    Some(CgroupMemory {
        version: "v2".into(),
        path: path.to_string(),
        max: max_text.and_then(|t| parse_cgroup_limit(&t).ok().flatten()),
        current,
        high: read(dir, "memory.high").and_then(|t| parse_cgroup_limit(&t).ok().flatten()),
        anon: stat.as_ref().and_then(|m| m.get("anon").copied()),
        file: stat.as_ref().and_then(|m| m.get("file").copied()),
        oom_events: events.as_ref().and_then(|m| m.get("oom").copied()),
        oom_kill_events: events.as_ref().and_then(|m| m.get("oom_kill").copied()),
    })
}

fn read_v1(dir: &Path, path: &str) -> Option<CgroupMemory> {
    let limit = read(dir, "memory.limit_in_bytes").and_then(|t| parse_cgroup_v1_limit(&t));
    let current = read(dir, "memory.usage_in_bytes").and_then(|t| t.trim().parse().ok());
    if limit.is_none() && current.is_none() {
        return None;
    }
    let stat = read(dir, "memory.stat").map(|t| parse_key_values(&t));
    let pick = |a: &str, b: &str| {
        stat.as_ref()
            .and_then(|m| m.get(a).or_else(|| m.get(b)).copied())
    };
    let oom = read(dir, "memory.oom_control").map(|t| parse_key_values(&t));
    Some(CgroupMemory {
        version: "v1".into(),
        path: path.to_string(),
        max: limit.flatten(),
        current,
        high: None,
        anon: pick("total_rss", "rss"),
        file: pick("total_cache", "cache"),
        oom_events: None,
        oom_kill_events: oom.and_then(|m| m.get("oom_kill").copied()),
    })
}

/// Reads the memory cgroup of the process whose `/proc/<pid>/cgroup` text is given.
///
/// `cgroup_root` is normally `/sys/fs/cgroup`. When the path from `/proc` is not visible
/// (a container with its own cgroup namespace shows `/` but mounts its own cgroup as the
/// root), the root directory itself is tried.
pub fn read_cgroup_memory(proc_cgroup: &str, cgroup_root: &Path) -> Option<CgroupMemory> {
    for entry in parse_proc_cgroup(proc_cgroup) {
        let found = match &entry {
            CgroupPath::V2(path) => read_v2(&join_cgroup(cgroup_root, path), path)
                .or_else(|| read_v2(cgroup_root, path))
                .or_else(|| {
                    let unified = cgroup_root.join("unified");
                    read_v2(&join_cgroup(&unified, path), path)
                }),
            CgroupPath::V1Memory(path) => {
                let mem_root = cgroup_root.join("memory");
                read_v1(&join_cgroup(&mem_root, path), path).or_else(|| read_v1(&mem_root, path))
            }
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(dir: &Path, name: &str, text: &str) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn v2_service_cgroup() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("system.slice/nova-nic.service");
        write(&dir, "memory.max", "1073741824\n");
        write(&dir, "memory.high", "805306368\n");
        write(&dir, "memory.current", "300000000\n");
        write(
            &dir,
            "memory.stat",
            "anon 200000000\nfile 90000000\nkernel 1\n",
        );
        write(
            &dir,
            "memory.events",
            "low 0\nhigh 2\nmax 1\noom 1\noom_kill 1\n",
        );
        let cg = read_cgroup_memory("0::/system.slice/nova-nic.service\n", root.path()).unwrap();
        assert_eq!(cg.version, "v2");
        assert_eq!(cg.max, Some(1 << 30));
        assert_eq!(cg.high, Some(768 << 20));
        assert_eq!(cg.current, Some(300_000_000));
        assert_eq!(cg.anon, Some(200_000_000));
        assert_eq!(cg.file, Some(90_000_000));
        assert_eq!(cg.oom_kill_events, Some(1));
    }

    #[test]
    fn v2_unlimited_and_namespaced_root() {
        let root = tempfile::tempdir().unwrap();
        // Container: /proc says "/something" that is not visible; the limit sits at the root.
        write(root.path(), "memory.max", "max\n");
        write(root.path(), "memory.current", "garbage\n");
        let cg = read_cgroup_memory("0::/docker/abc\n", root.path()).unwrap();
        assert_eq!(cg.max, None);
        assert_eq!(cg.current, None);
        assert_eq!(cg.anon, None);
    }

    #[test]
    fn v1_hybrid() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("memory/process_api/abc");
        write(&dir, "memory.limit_in_bytes", "536870912\n");
        write(&dir, "memory.usage_in_bytes", "1000\n");
        write(
            &dir,
            "memory.stat",
            "cache 10\nrss 20\ntotal_cache 11\ntotal_rss 21\n",
        );
        write(
            &dir,
            "memory.oom_control",
            "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
        );
        let text = "4:memory:/process_api/abc\n0::/\n";
        let cg = read_cgroup_memory(text, root.path()).unwrap();
        assert_eq!(cg.version, "v1");
        assert_eq!(cg.max, Some(512 << 20));
        assert_eq!((cg.anon, cg.file), (Some(21), Some(11)));
        assert_eq!(cg.oom_kill_events, Some(3));
    }

    #[test]
    fn nothing_readable_is_none() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(read_cgroup_memory("0::/x\n", root.path()), None);
        assert_eq!(read_cgroup_memory("", root.path()), None);
    }
}
