//! `/proc/<pid>/smaps` summarised by mapped file.
//!
//! The raw file has one block per mapping (hundreds for a server with an mmapped index and
//! many shared libraries). An escalation needs the answer to "what is resident": RSS per
//! file, plus anonymous memory in one line, largest first.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Totals for one mapped file (or `[anon]`, `[heap]`, `[stack]`, ...), in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingSummary {
    pub name: String,
    pub mappings: usize,
    pub size_bytes: u64,
    pub rss_bytes: u64,
    pub pss_bytes: u64,
    pub anon_bytes: u64,
    pub swap_bytes: u64,
}

fn is_header(line: &str) -> Option<String> {
    let mut it = line.split_whitespace();
    let range = it.next()?;
    let (a, b) = range.split_once('-')?;
    if a.is_empty()
        || b.is_empty()
        || !a.bytes().all(|c| c.is_ascii_hexdigit())
        || !b.bytes().all(|c| c.is_ascii_hexdigit())
    {
        return None;
    }
    let perms = it.next()?;
    if perms.len() != 4 {
        return None;
    }
    // offset, dev, inode, then the (optional) path which may contain spaces.
    let _ = (it.next()?, it.next()?, it.next()?);
    let path: Vec<&str> = it.collect();
    Some(if path.is_empty() {
        "[anon]".to_string()
    } else {
        path.join(" ")
    })
}

/// Summarises smaps text by mapping name, largest RSS first.
pub fn summarize_smaps(text: &str) -> Vec<MappingSummary> {
    let mut by_name: HashMap<String, MappingSummary> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(name) = is_header(line) {
            let e = by_name.entry(name.clone()).or_default();
            e.name = name.clone();
            e.mappings += 1;
            current = Some(name);
            continue;
        }
        let (Some(name), Some((key, value))) = (current.as_ref(), line.split_once(':')) else {
            continue;
        };
        let Some(bytes) = crate::memory::parse::parse_kb_value(value.trim()) else {
            continue;
        };
        let Some(e) = by_name.get_mut(name) else {
            continue;
        };
        match key {
            "Size" => e.size_bytes += bytes,
            "Rss" => e.rss_bytes += bytes,
            "Pss" => e.pss_bytes += bytes,
            "Anonymous" => e.anon_bytes += bytes,
            "Swap" => e.swap_bytes += bytes,
            _ => {}
        }
    }
    let mut v: Vec<MappingSummary> = by_name.into_values().collect();
    v.sort_by(|a, b| b.rss_bytes.cmp(&a.rss_bytes).then(a.name.cmp(&b.name)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d3c50c4000-55d3c50c8000 r--p 00000000 08:01 123 /usr/local/bin/nic
Size:                 16 kB
Rss:                  16 kB
Pss:                   8 kB
Anonymous:             0 kB
7f00-7f10 r--s 00000000 08:01 99 /var/lib/nova-nic/gen-3/vectors i8.bin
Size:              65536 kB
Rss:               40000 kB
Pss:               40000 kB
Anonymous:             0 kB
VmFlags: rd sh mr mw me ms sd
7f20-7f30 rw-p 00000000 00:00 0
Size:               2048 kB
Rss:                1024 kB
Anonymous:          1024 kB
Swap:                 12 kB
7f40-7f50 rw-p 00000000 00:00 0
Size:               2048 kB
Rss:                 512 kB
Anonymous:           512 kB
7f60-7f70 rw-p 00000000 00:00 0 [heap]
Rss:                 300 kB
Rss:  garbage
";

    #[test]
    fn groups_by_file_and_sorts_by_rss() {
        let s = summarize_smaps(SMAPS);
        assert_eq!(s[0].name, "/var/lib/nova-nic/gen-3/vectors i8.bin");
        assert_eq!(s[0].rss_bytes, 40000 * 1024);
        let anon = s.iter().find(|m| m.name == "[anon]").unwrap();
        assert_eq!(anon.mappings, 2);
        assert_eq!(anon.anon_bytes, 1536 * 1024);
        assert_eq!(anon.swap_bytes, 12 * 1024);
        assert!(s
            .iter()
            .any(|m| m.name == "[heap]" && m.rss_bytes == 300 * 1024));
        assert!(summarize_smaps("").is_empty());
        assert!(summarize_smaps("Rss: 10 kB\nnot a header\n").is_empty());
    }
}
