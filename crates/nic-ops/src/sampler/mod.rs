//! `nic monitor`: periodic memory samples of a NIC process, as a table, CSV or SVG/PNG plot.
//!
//! The runbook's Python monitor script printed RSS, VMS, shared and %mem of a PID; this is
//! the same for NIC, plus the anon/file split that tells a leak (anon grows) from a warm
//! index (file grows). A sample comes either from `/proc/<pid>` or from the `/health`
//! endpoint of a running server (`checks.memory`), so it also works from outside a
//! container whose PIDs are not visible. The CLI owns the loop, interval and Ctrl-C.

mod canvas;
mod font5x7;
pub mod http;
mod plot;
pub mod png_plot;

pub use plot::render_svg_plot;
pub use png_plot::{render_png, render_png_plot, Chart, Rule, Series};

use crate::error::OpsError;
use crate::memory::parse::parse_meminfo_total;
use crate::memory::{read_process, unix_ms};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One reading. Bytes; `mem_percent` is RSS against host RAM (like `ps %mem`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub unix_ms: u64,
    pub rss_bytes: u64,
    pub vms_bytes: u64,
    pub shared_bytes: u64,
    pub anon_bytes: u64,
    pub file_bytes: u64,
    pub mem_percent: f64,
}

/// What to sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `/proc/<pid>/status` and `statm`.
    Pid(u32),
    /// `GET <base>/health` of a server on this machine (`http://127.0.0.1:5000`).
    Url(String),
}

/// Takes samples from one source.
pub struct Sampler {
    source: Source,
    health_url: Option<String>,
    host_total: Option<u64>,
    timeout: Duration,
}

impl Sampler {
    /// Checks the source (the PID exists; the URL is `http://` on loopback) without waiting.
    pub fn new(source: Source) -> Result<Self, OpsError> {
        let health_url = match &source {
            Source::Pid(pid) => {
                read_process(*pid)?;
                None
            }
            Source::Url(base) => {
                let url = health_url(base);
                http::check_loopback_url(&url)?;
                Some(url)
            }
        };
        Ok(Self {
            source,
            health_url,
            host_total: std::fs::read_to_string("/proc/meminfo")
                .ok()
                .and_then(|t| parse_meminfo_total(&t)),
            timeout: Duration::from_secs(5),
        })
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Takes one sample now.
    pub fn sample(&mut self) -> Result<Sample, OpsError> {
        let now = unix_ms();
        let (rss, vms, shared, anon, file) = match (&self.source, &self.health_url) {
            (Source::Pid(pid), _) => {
                let p = read_process(*pid)?;
                (
                    p.rss_bytes,
                    p.vms_bytes,
                    p.shared_bytes,
                    p.anon_bytes,
                    p.file_bytes,
                )
            }
            (Source::Url(_), Some(url)) => {
                let resp = http::http_get(url, None, self.timeout)?;
                memory_from_health(&resp.body).map_err(|reason| OpsError::BadResponse {
                    url: url.clone(),
                    reason,
                })?
            }
            (Source::Url(base), None) => {
                return Err(OpsError::BadUrl {
                    url: base.clone(),
                    reason: "not checked".into(),
                })
            }
        };
        Ok(Sample {
            unix_ms: now,
            rss_bytes: rss,
            vms_bytes: vms,
            shared_bytes: shared,
            anon_bytes: anon,
            file_bytes: file,
            mem_percent: self
                .host_total
                .map(|t| crate::memory::percent(rss, t))
                .unwrap_or(0.0),
        })
    }
}

/// `<base>/health`, unless the URL already names the health route.
pub fn health_url(base: &str) -> String {
    let b = base.trim_end_matches('/');
    if b.ends_with("/health") {
        b.to_string()
    } else {
        format!("{b}/health")
    }
}

/// `(rss, vms, shared, anon, file)` from a `/health` body's `checks.memory`.
pub fn memory_from_health(body: &str) -> Result<(u64, u64, u64, u64, u64), String> {
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("/health is not JSON: {e}"))?;
    let m = v
        .pointer("/checks/memory")
        .ok_or("/health has no checks.memory")?;
    let num = |k: &str| m.get(k).and_then(|x| x.as_u64());
    let rss = num("rss_bytes").ok_or("checks.memory has no rss_bytes")?;
    let file = num("file_bytes").unwrap_or(0);
    let shmem = num("shmem_bytes").unwrap_or(0);
    Ok((
        rss,
        num("vms_bytes").unwrap_or(0),
        file + shmem,
        num("anon_bytes").unwrap_or(rss),
        file,
    ))
}

const MIB: f64 = 1024.0 * 1024.0;

/// The first line of the table (or the CSV header).
pub fn monitor_header(csv: bool) -> String {
    if csv {
        "time,unix_ms,rss_bytes,vms_bytes,shared_bytes,mem_percent,anon_bytes,file_bytes".into()
    } else {
        format!(
            "{:<8} {:>10} {:>10} {:>10} {:>6} {:>10} {:>10}",
            "TIME", "RSS_MiB", "VMS_MiB", "SHR_MiB", "%MEM", "ANON_MiB", "FILE_MiB"
        )
    }
}

/// One sample as a table row (local `HH:MM:SS`, MiB) or a CSV row (UTC RFC 3339, bytes).
pub fn monitor_line(s: &Sample, csv: bool) -> String {
    if csv {
        format!(
            "{},{},{},{},{},{:.2},{},{}",
            rfc3339_utc(s.unix_ms),
            s.unix_ms,
            s.rss_bytes,
            s.vms_bytes,
            s.shared_bytes,
            s.mem_percent,
            s.anon_bytes,
            s.file_bytes
        )
    } else {
        format!(
            "{:<8} {:>10.1} {:>10.1} {:>10.1} {:>6.2} {:>10.1} {:>10.1}",
            local_hms(s.unix_ms),
            s.rss_bytes as f64 / MIB,
            s.vms_bytes as f64 / MIB,
            s.shared_bytes as f64 / MIB,
            s.mem_percent,
            s.anon_bytes as f64 / MIB,
            s.file_bytes as f64 / MIB
        )
    }
}

/// `HH:MM:SS` in local time (UTC when the zone cannot be read).
fn local_hms(unix_ms: u64) -> String {
    let secs = (unix_ms / 1000) as libc::time_t;
    // SAFETY: localtime_r writes only into `tm`, which we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&secs, &mut tm).is_null() };
    if ok {
        format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
    } else {
        rfc3339_utc(unix_ms)[11..19].to_string()
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time in milliseconds.
pub fn rfc3339_utc(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil-from-days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sample {
        Sample {
            unix_ms: 1_795_823_407_123,
            rss_bytes: 100 * 1024 * 1024,
            vms_bytes: 1024 * 1024 * 1024,
            shared_bytes: 60 * 1024 * 1024,
            anon_bytes: 40 * 1024 * 1024,
            file_bytes: 59 * 1024 * 1024,
            mem_percent: 0.41,
        }
    }

    #[test]
    fn rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_795_823_407_123), "2026-11-27T23:50:07Z");
    }

    #[test]
    fn lines_have_as_many_fields_as_the_header() {
        let s = sample();
        let csv = monitor_line(&s, true);
        assert_eq!(
            csv.split(',').count(),
            monitor_header(true).split(',').count()
        );
        assert!(csv.contains(",104857600,"), "{csv}");
        let row = monitor_line(&s, false);
        assert_eq!(
            row.split_whitespace().count(),
            monitor_header(false).split_whitespace().count()
        );
        assert!(row.contains(" 100.0 ") && row.contains(" 40.0 "), "{row}");
    }

    #[test]
    fn health_body_parsing() {
        let body = r#"{"status":"healthy","checks":{"memory":{"status":"pass","rss_bytes":10,
            "anon_bytes":4,"file_bytes":5,"shmem_bytes":1,"vms_bytes":99}}}"#;
        assert_eq!(memory_from_health(body), Ok((10, 99, 6, 4, 5)));
        assert!(memory_from_health("<html>").is_err());
        assert!(memory_from_health(r#"{"checks":{}}"#).is_err());
        assert_eq!(
            health_url("http://127.0.0.1:5000/"),
            "http://127.0.0.1:5000/health"
        );
        assert_eq!(health_url("http://h:1/health"), "http://h:1/health");
    }

    #[test]
    fn url_sampler_reads_checks_memory_even_from_a_503() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let n = s.read(&mut buf).unwrap();
            let body = r#"{"status":"unhealthy","checks":{"memory":{"status":"fail",
                "rss_bytes":3000,"anon_bytes":2000,"file_bytes":1000,"vms_bytes":9000}}}"#;
            let resp = format!(
                "HTTP/1.1 503 Service Unavailable\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            s.write_all(resp.as_bytes()).unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        let mut s = Sampler::new(Source::Url(format!("http://127.0.0.1:{port}"))).unwrap();
        let x = s.sample().unwrap();
        assert_eq!(
            (x.rss_bytes, x.anon_bytes, x.file_bytes),
            (3000, 2000, 1000)
        );
        assert_eq!((x.vms_bytes, x.shared_bytes), (9000, 1000));
        assert!(server.join().unwrap().starts_with("GET /health HTTP/1.1"));
    }

    #[test]
    fn pid_sampler_reads_this_process() {
        if !std::path::Path::new("/proc/self/status").exists() {
            eprintln!("skipped: no /proc");
            return;
        }
        let mut s = Sampler::new(Source::Pid(std::process::id())).unwrap();
        let a = s.sample().unwrap();
        assert!(a.rss_bytes > 0 && a.vms_bytes >= a.rss_bytes);
        assert!(a.mem_percent > 0.0 && a.mem_percent < 100.0);
        assert!(matches!(
            Sampler::new(Source::Pid(u32::MAX)),
            Err(OpsError::NoSuchProcess { .. })
        ));
        assert!(matches!(
            Sampler::new(Source::Url("http://192.0.2.7:5000".into())),
            Err(OpsError::NotLoopback { .. })
        ));
    }
}
