use super::*;
use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::process::{Command, Stdio};

/// A small structural checker of the text format, so the format is verified even where
/// promtool is not installed.
fn check_exposition(text: &str) -> Result<(), String> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helps: HashSet<String> = HashSet::new();
    let mut series: HashSet<String> = HashSet::new();
    let mut last_bucket: HashMap<String, (f64, f64)> = HashMap::new();
    let mut inf_bucket: HashMap<String, f64> = HashMap::new();
    for (no, line) in text.lines().enumerate() {
        let no = no + 1;
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or("");
            if !helps.insert(name.to_string()) {
                return Err(format!("line {no}: second HELP for {name}"));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut it = rest.split(' ');
            let (name, kind) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
            if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                return Err(format!("line {no}: bad type {kind}"));
            }
            if types.insert(name.to_string(), kind.to_string()).is_some() {
                return Err(format!("line {no}: second TYPE for {name}"));
            }
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            return Err(format!("line {no}: stray line {line:?}"));
        }
        let (head, value) = line
            .rsplit_once(' ')
            .ok_or(format!("line {no}: no value"))?;
        if !matches!(value, "+Inf" | "-Inf" | "NaN") && value.parse::<f64>().is_err() {
            return Err(format!("line {no}: bad value {value}"));
        }
        let (name, labels) = match head.find('{') {
            Some(i) => {
                if !head.ends_with('}') {
                    return Err(format!("line {no}: unterminated labels"));
                }
                (&head[..i], &head[i + 1..head.len() - 1])
            }
            None => (head, ""),
        };
        let family = types
            .keys()
            .find(|f| {
                name == f.as_str()
                    || (types[*f] == "histogram"
                        && ["_bucket", "_sum", "_count"]
                            .iter()
                            .any(|s| name == format!("{f}{s}")))
            })
            .ok_or(format!("line {no}: {name} has no TYPE before it"))?
            .clone();
        if !helps.contains(&family) {
            return Err(format!("line {no}: {family} has no HELP"));
        }
        if !series.insert(head.to_string()) {
            return Err(format!("line {no}: duplicate series {head}"));
        }
        let v: f64 = value.parse().unwrap_or(f64::NAN);
        if name.ends_with("_bucket") && types[&family] == "histogram" {
            let le_at = labels
                .find("le=\"")
                .ok_or(format!("line {no}: bucket without le"))?;
            let le = &labels[le_at + 4..labels[le_at + 4..].find('"').unwrap() + le_at + 4];
            let key = format!("{family}|{}", &labels[..le_at]);
            let le_v: f64 = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            if let Some((prev_le, prev_n)) = last_bucket.get(&key) {
                if le_v <= *prev_le || v < *prev_n {
                    return Err(format!("line {no}: buckets not increasing"));
                }
            }
            last_bucket.insert(key.clone(), (le_v, v));
            if le == "+Inf" {
                inf_bucket.insert(key, v);
            }
        }
        if name.ends_with("_count") && types[&family] == "histogram" {
            let key = format!(
                "{family}|{}",
                if labels.is_empty() {
                    String::new()
                } else {
                    format!("{labels},")
                }
            );
            if inf_bucket.get(&key) != Some(&v) {
                return Err(format!(
                    "line {no}: _count differs from +Inf bucket ({key})"
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn counters_gauges_and_guards() {
    let r = Registry::new();
    let c = r.counter_vec("t_total", "help", &["a"]);
    c.with(&["x"]).inc();
    c.with(&["x"]).inc_by(4);
    assert_eq!(c.with(&["x"]).get(), 5);
    let g = r.gauge("t_inflight", "help");
    {
        let _a = g.track();
        let _b = g.track();
        assert_eq!(g.get(), 2.0);
    }
    assert_eq!(g.get(), 0.0);
    let out = r.render();
    assert!(out.contains("t_total{a=\"x\"} 5\n"), "{out}");
    assert!(out.contains("t_inflight 0\n"));
}

#[test]
fn histogram_bounds_are_inclusive_and_cumulative() {
    let r = Registry::new();
    let h = r.histogram_vec("t_seconds", "help", &[], &[0.1, 1.0]);
    let h = h.with(&[]);
    h.observe(0.1); // le=0.1 is inclusive
    h.observe(0.5);
    h.observe(7.0);
    h.observe(f64::NAN); // ignored
    assert_eq!(h.cumulative(), vec![(0.1, 1), (1.0, 2), (f64::INFINITY, 3)]);
    assert_eq!(h.count(), 3);
    assert!((h.sum() - 7.6).abs() < 1e-9);
    let out = r.render();
    assert!(out.contains("t_seconds_bucket{le=\"+Inf\"} 3\n"), "{out}");
    check_exposition(&out).unwrap();
}

#[test]
fn label_values_are_escaped() {
    let r = Registry::new();
    let c = r.counter_vec("t_total", "a \\ help\nline", &["route"]);
    c.with(&["/a\"b\\c\nd"]).inc();
    let out = r.render();
    assert!(out.contains("# HELP t_total a \\\\ help\\nline\n"), "{out}");
    assert!(
        out.contains("t_total{route=\"/a\\\"b\\\\c\\nd\"} 1\n"),
        "{out}"
    );
}

#[test]
#[should_panic(expected = "invalid metric name")]
fn bad_metric_names_are_refused() {
    Registry::new().counter("9lives", "help");
}

#[test]
fn checker_catches_broken_output() {
    assert!(check_exposition("x 1\n").is_err(), "no TYPE");
    assert!(check_exposition("# HELP x h\n# TYPE x gauge\nx one\n").is_err());
    assert!(check_exposition("# HELP x h\n# TYPE x gauge\nx 1\nx 2\n").is_err());
}

fn sample_metrics() -> String {
    let m = NicMetrics::new();
    m.set_version("0.1.0");
    m.register_cache("embedding");
    m.cache_hits_total.with(&["embedding"]).inc();
    m.observe_phase(Phase::Total, Duration::from_millis(12));
    m.observe_phase(Phase::Llm, Duration::from_secs(200));
    m.queries_total.with(&["answered"]).inc();
    m.safety_checks_total.with(&["hazard", "true"]).inc();
    m.http_requests_total.with(&["/api/ask", "200"]).inc();
    m.requests_rejected_total.with(&["memory_pressure"]).inc();
    m.llm_requests_total.with(&["ok"]).inc();
    let snap = crate::memory::MemorySnapshot::read(Some(1024));
    m.render(Some(&snap))
}

#[test]
fn nic_metrics_have_every_contract_name() {
    let out = sample_metrics();
    check_exposition(&out).unwrap();
    for name in [
        "nova_memory_usage_bytes{kind=\"rss\"}",
        "nova_memory_usage_bytes{kind=\"anon\"}",
        "nova_memory_usage_bytes{kind=\"file\"}",
        "nova_memory_usage_bytes{kind=\"heap\"}",
        "nova_memory_usage_percent ",
        "nova_memory_limit_bytes 1073741824",
        "nova_query_latency_seconds_bucket{phase=\"embed\",le=\"0.001\"}",
        "nova_query_latency_seconds_bucket{phase=\"total\",le=\"120\"} 1",
        "nova_query_latency_seconds_bucket{phase=\"llm\",le=\"+Inf\"} 1",
        "nova_queries_total{status=\"answered\"} 1",
        "nova_cache_hits_total{cache=\"embedding\"} 1",
        "nova_cache_misses_total{cache=\"embedding\"} 0",
        "nova_cache_evictions_total{cache=\"embedding\"} 0",
        "nova_cache_bytes{cache=\"embedding\"} 0",
        "nova_cache_entries{cache=\"embedding\"} 0",
        "nova_sessions_active ",
        "nova_safety_checks_total{check=\"hazard\",passed=\"true\"} 1",
        "nova_index_chunks ",
        "nova_index_generation ",
        "nova_llm_requests_total{outcome=\"ok\"} 1",
        "nova_requests_rejected_total{reason=\"memory_pressure\"} 1",
        "nova_inflight_requests ",
        "nova_http_requests_total{route=\"/api/ask\",code=\"200\"} 1",
        "nova_audit_dropped_total 0",
        "nova_build_info{version=\"0.1.0\"} 1",
    ] {
        assert!(out.contains(name), "missing {name}");
    }
    if std::path::Path::new("/proc/self/stat").exists() {
        for name in [
            "process_resident_memory_bytes ",
            "process_virtual_memory_bytes ",
            "process_start_time_seconds ",
            "process_cpu_seconds_total ",
            "process_open_fds ",
        ] {
            assert!(out.contains(name), "missing {name}");
        }
    }
}

#[test]
fn promtool_accepts_the_output() {
    let out = sample_metrics();
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            eprintln!("skipped: promtool not available ({e}); apt-get install prometheus");
            return;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(out.as_bytes())
        .unwrap();
    let res = child.wait_with_output().unwrap();
    assert!(
        res.status.success(),
        "promtool check metrics failed:\n{}{}",
        String::from_utf8_lossy(&res.stdout),
        String::from_utf8_lossy(&res.stderr)
    );
}
