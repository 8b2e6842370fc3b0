use super::*;
use std::fs;

fn headers_present(report: &str) {
    for title in SECTIONS {
        assert!(
            report.contains(&format!("==== {title} ====")),
            "missing section {title}:\n{report}"
        );
    }
}

#[test]
fn every_section_even_when_nothing_is_readable() {
    let empty = tempfile::tempdir().unwrap();
    let input = DiagnoseInput {
        sources: MemorySources {
            proc_root: empty.path().join("no-proc"),
            cgroup_root: empty.path().join("no-cgroup"),
            allocator: false,
        },
        ..Default::default()
    };
    let report = diagnose_report(&input);
    headers_present(&report);
    assert!(report.contains("(not available: /proc/meminfo"));
    assert!(report.contains("(not available: server not queried)"));
    assert!(report.contains("nic (unknown)"));
}

#[test]
fn fake_host_with_a_running_server() {
    let d = tempfile::tempdir().unwrap();
    let proc_root = d.path().join("proc");
    let server = proc_root.join("777");
    let other = proc_root.join("12");
    fs::create_dir_all(&server).unwrap();
    fs::create_dir_all(&other).unwrap();
    fs::write(
        server.join("status"),
        "Name:\tnic\nVmRSS:\t204800 kB\nRssAnon:\t102400 kB\nRssFile:\t102400 kB\n",
    )
    .unwrap();
    fs::write(
        server.join("cmdline"),
        b"/usr/local/bin/nic\0serve\0--warm\0",
    )
    .unwrap();
    fs::write(
        server.join("smaps"),
        "7f00-7f10 r--s 00000000 08:01 99 /var/lib/nova-nic/gen-1/vectors.bin\nRss: 102400 kB\n",
    )
    .unwrap();
    fs::write(other.join("status"), "Name:\tpostgres\nVmRSS:\t999 kB\n").unwrap();
    fs::write(other.join("cmdline"), b"postgres\0").unwrap();
    fs::write(
        proc_root.join("meminfo"),
        "MemTotal: 1048576 kB\nMemAvailable: 10 kB\n",
    )
    .unwrap();
    fs::write(proc_root.join("vmstat"), "pgfault 5\noom_kill 2\n").unwrap();
    assert_eq!(find_server_pids(&proc_root), vec![777]);

    let input = DiagnoseInput {
        version: "0.1.0".into(),
        config: Some("{\"api_token\": \"***\"}".into()),
        health: Some("(not available: connection refused)".into()),
        extra: vec![("Notes".into(), "ticket 42".into())],
        sources: MemorySources {
            proc_root: proc_root.clone(),
            cgroup_root: d.path().join("cg"),
            allocator: false,
        },
        ..Default::default()
    };
    let report = diagnose_report(&input);
    headers_present(&report);
    assert!(report.contains("pid 777 (running `nic serve`)"), "{report}");
    assert!(report.contains("/var/lib/nova-nic/gen-1/vectors.bin"));
    assert!(report.contains("oom_kill"));
    assert!(report.contains("==== Notes ====\nticket 42"));
    // The server is first in the top list, above the smaller process.
    let top = top_processes(&proc_root, 10);
    assert_eq!(top.iter().map(|p| p.pid).collect::<Vec<_>>(), vec![777, 12]);
    assert_eq!(top[0].command, "/usr/local/bin/nic serve --warm");
}

#[test]
fn real_host_report() {
    if !Path::new("/proc/meminfo").exists() {
        eprintln!("skipped: no /proc");
        return;
    }
    let report = diagnose_report(&DiagnoseInput {
        version: "test".into(),
        pid: Some(std::process::id()),
        ..Default::default()
    });
    headers_present(&report);
    assert!(report.contains("MemTotal"));
    assert!(report.contains(&format!("pid {} (given)", std::process::id())));
}

#[test]
fn secrets_are_masked() {
    let mut v = serde_json::json!({
        "api_token": "abc",
        "llm": {"url": "http://bob:hunter2@127.0.0.1:11434/v1", "password": "p", "model": "m"},
        "list": [{"Authorization": "Bearer x"}],
        "unset_secret": null,
        "batch_size": 8
    });
    mask_secrets(&mut v);
    assert_eq!(v["api_token"], "***");
    assert_eq!(v["llm"]["url"], "http://***@127.0.0.1:11434/v1");
    assert_eq!(v["llm"]["password"], "***");
    assert_eq!(v["llm"]["model"], "m");
    assert_eq!(v["list"][0]["Authorization"], "***");
    assert!(v["unset_secret"].is_null());
    assert_eq!(v["batch_size"], 8);
    assert!(!v.to_string().contains("hunter2"));
}

#[test]
fn unreachable_server_sections_say_why() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (h, d) = fetch_server_sections(&format!("http://127.0.0.1:{port}"), None);
    assert!(
        h.starts_with("(not available:") && d.starts_with("(not available:"),
        "{h}"
    );
}
