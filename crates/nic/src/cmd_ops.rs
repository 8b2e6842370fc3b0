//! `nic monitor` and `nic diagnose`: the runbook's memory tools, for NIC (DESIGN §5, issue 4
//! item 8).
//!
//! Both are plain blocking loops over `nic_ops` (no async runtime): they run on a box that is
//! already in trouble, so they should cost next to nothing and start instantly. `monitor`
//! stops cleanly on Ctrl-C (or SIGTERM) through a flag set by a signal handler, and still
//! writes the `--plot` it was asked for — the curve up to the interrupt is exactly what an
//! escalation wants. `diagnose` never fails half-way: anything it cannot read becomes a
//! "not available" line in the report.

use anyhow::{Context, Result};
use clap::Args;
use nic_core::NicConfig;
use nic_ops::sampler::{
    monitor_header, monitor_line, render_png_plot, render_svg_plot, Sample, Sampler, Source,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct MonitorArgs {
    /// Base URL of a running server (its /health is sampled). Default: NOVA_BIND/NOVA_PORT.
    #[arg(long, conflicts_with = "pid")]
    pub url: Option<String>,
    /// Sample this process from /proc instead of a server's /health.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Seconds between samples.
    #[arg(long, default_value_t = 5.0)]
    pub interval: f64,
    /// Stop after this many samples (default: until Ctrl-C).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// CSV output (UTC timestamps, bytes) instead of a table (local time, MiB).
    #[arg(long)]
    pub csv: bool,
    /// Also draw the memory curve into this file when the monitor stops: PNG when FILE ends
    /// in `.png`, SVG otherwise.
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub plot: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DiagnoseArgs {
    /// Report file (default: nic-diagnose-<unix time>.txt in the current directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Base URL of the running server to query (default: NOVA_BIND/NOVA_PORT).
    #[arg(long)]
    pub url: Option<String>,
    /// PID of the NIC server (default: a running `nic serve`, found in /proc).
    #[arg(long)]
    pub pid: Option<u32>,
}

/// The base URL of the configured server, reachable from this machine: an unspecified bind
/// address (`0.0.0.0`, `::`) is reached over loopback.
pub fn local_base_url(cfg: &NicConfig) -> String {
    let addr = cfg.listen_addr();
    match addr.parse::<std::net::SocketAddr>() {
        Ok(sa) if sa.ip().is_unspecified() => {
            let ip: std::net::IpAddr = if sa.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            };
            format!("http://{}", std::net::SocketAddr::new(ip, sa.port()))
        }
        _ => format!("http://{addr}"),
    }
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    STOP.store(true, Ordering::SeqCst);
}

fn install_stop_handler() {
    let handler = on_stop_signal as extern "C" fn(libc::c_int);
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        libc::signal(libc::SIGTERM, handler as libc::sighandler_t);
    }
}

/// Sleeps `d` in small steps; returns early (false) when a stop signal arrived.
fn sleep_unless_stopped(d: Duration) -> bool {
    let end = Instant::now() + d;
    loop {
        if STOP.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= end {
            return true;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

/// Samples kept for the plot: at most `MAX_PLOT_POINTS`, halving the resolution whenever
/// full, so a monitor left running for weeks stays bounded.
struct PlotBuffer {
    samples: Vec<Sample>,
    stride: u64,
    seen: u64,
}

const MAX_PLOT_POINTS: usize = 4096;

impl PlotBuffer {
    fn new() -> Self {
        Self {
            samples: Vec::new(),
            stride: 1,
            seen: 0,
        }
    }

    fn push(&mut self, s: Sample) {
        if self.seen % self.stride == 0 {
            if self.samples.len() >= MAX_PLOT_POINTS {
                self.samples = self.samples.iter().step_by(2).cloned().collect();
                self.stride *= 2;
            }
            self.samples.push(s);
        }
        self.seen += 1;
    }
}

pub fn monitor(cfg: &NicConfig, args: MonitorArgs) -> Result<ExitCode> {
    anyhow::ensure!(
        args.interval.is_finite() && args.interval >= 0.05,
        "--interval must be at least 0.05 seconds"
    );
    let source = match (args.pid, &args.url) {
        (Some(pid), _) => Source::Pid(pid),
        (None, Some(url)) => Source::Url(url.clone()),
        (None, None) => Source::Url(local_base_url(cfg)),
    };
    let mut sampler = Sampler::new(source.clone()).context("starting the monitor")?;
    install_stop_handler();
    let interval = Duration::from_secs_f64(args.interval);
    let mut plot = args.plot.as_ref().map(|_| PlotBuffer::new());
    let mut taken: u64 = 0;
    let mut code = ExitCode::SUCCESS;
    while !STOP.load(Ordering::SeqCst) {
        match sampler.sample() {
            Ok(s) => {
                if taken == 0 {
                    println!("{}", monitor_header(args.csv));
                }
                println!("{}", monitor_line(&s, args.csv));
                if let Some(p) = plot.as_mut() {
                    p.push(s);
                }
                taken += 1;
            }
            // The process is gone: nothing more to sample.
            Err(e) if matches!(source, Source::Pid(_)) => {
                eprintln!("monitor stopped: {e}");
                code = ExitCode::from(1);
                break;
            }
            // No server at all: say so at once rather than print warnings forever.
            Err(e) if taken == 0 => return Err(e.into()),
            // A server that stops answering may be restarting: keep trying.
            Err(e) => eprintln!("warning: sample failed: {e}"),
        }
        if args.count.is_some_and(|n| taken >= n) || !sleep_unless_stopped(interval) {
            break;
        }
    }
    if STOP.load(Ordering::SeqCst) {
        eprintln!("monitor interrupted after {taken} samples");
    }
    if let (Some(path), Some(p)) = (&args.plot, plot) {
        let is_png = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"));
        let bytes = if is_png {
            render_png_plot(&p.samples).context("drawing the PNG plot")?
        } else {
            render_svg_plot(&p.samples).into_bytes()
        };
        write_report_file(path, &bytes)?;
        eprintln!(
            "memory plot of {} samples written to {}",
            p.samples.len(),
            path.display()
        );
    }
    Ok(code)
}

/// Writes `data` to `path`, readable by the owner only (reports describe the host).
fn write_report_file(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(data)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The effective config as TOML with every secret masked: the API token, and credentials
/// embedded in the LLM URL (`http://user:pw@host`).
pub fn masked_config(cfg: &NicConfig) -> String {
    cfg.to_masked_toml() // masks the token and URL credentials (nic_core::config)
}

/// Free and total bytes of the filesystem holding `path`.
fn disk_space(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid NUL-terminated path and `st` is a zeroed out-parameter.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    let frsize = st.f_frsize as u64;
    Some((st.f_bavail as u64 * frsize, st.f_blocks as u64 * frsize))
}

fn data_dir_section(cfg: &NicConfig) -> String {
    let dir = &cfg.data_dir;
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
    let space = match disk_space(dir) {
        Some((free, total)) => format!(
            "free {} of {}",
            crate::cmd_index::human_bytes(free),
            crate::cmd_index::human_bytes(total)
        ),
        None => "(not available: the directory is missing or unreadable)".into(),
    };
    format!("path {}\n{space}", abs.display())
}

pub fn diagnose(cfg: &NicConfig, args: DiagnoseArgs) -> Result<ExitCode> {
    let base = args.url.clone().unwrap_or_else(|| local_base_url(cfg));
    let (health, debug_memory) =
        nic_ops::diagnose::fetch_server_sections(&base, cfg.api_token.as_deref());
    let index_stats = match crate::cmd_index::collect_stats(&cfg.data_dir) {
        Ok(s) => crate::cmd_index::render_stats(&s),
        Err(e) => format!("(not available: {e:#})"),
    };
    let input = nic_ops::DiagnoseInput {
        version: nic_core::VERSION.to_string(),
        pid: args.pid,
        memory_limit_mb: (cfg.memory_limit_mb > 0).then_some(cfg.memory_limit_mb),
        config: Some(masked_config(cfg)),
        index_stats: Some(index_stats),
        health: Some(format!("{base}/health\n{health}")),
        debug_memory: Some(format!("{base}/debug/memory\n{debug_memory}")),
        extra: vec![("Data directory".into(), data_dir_section(cfg))],
        ..Default::default()
    };
    let report = nic_ops::diagnose_report(&input);
    let path = args.out.unwrap_or_else(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        PathBuf::from(format!("nic-diagnose-{secs}.txt"))
    });
    write_report_file(&path, report.as_bytes())?;
    println!("{}", path.display());
    eprintln!(
        "diagnose report written ({}): attach it to the escalation",
        crate::cmd_index::human_bytes(report.len() as u64)
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(t: u64) -> Sample {
        Sample {
            unix_ms: t,
            rss_bytes: t,
            vms_bytes: 0,
            shared_bytes: 0,
            anon_bytes: 0,
            file_bytes: 0,
            mem_percent: 0.0,
        }
    }

    #[test]
    fn plot_buffer_stays_bounded_and_ordered() {
        let mut p = PlotBuffer::new();
        for t in 0..(MAX_PLOT_POINTS as u64 * 5) {
            p.push(sample(t));
        }
        assert!(p.samples.len() <= MAX_PLOT_POINTS);
        assert!(p.samples.len() > MAX_PLOT_POINTS / 4);
        assert!(p.samples.windows(2).all(|w| w[0].unix_ms < w[1].unix_ms));
        assert_eq!(p.samples[0].unix_ms, 0);
    }

    #[test]
    fn unspecified_bind_is_reached_over_loopback() {
        let mut cfg = NicConfig {
            bind: "0.0.0.0".into(),
            port: 8080,
            ..Default::default()
        };
        assert_eq!(local_base_url(&cfg), "http://127.0.0.1:8080");
        cfg.bind = "127.0.0.1".into();
        cfg.port = 5000;
        assert_eq!(local_base_url(&cfg), "http://127.0.0.1:5000");
    }

    #[test]
    fn llm_url_credentials_are_masked() {
        let cfg = NicConfig {
            llm_url: "http://user:pw@127.0.0.1:11434".into(),
            api_token: Some("s3cret".into()),
            ..Default::default()
        };
        let t = masked_config(&cfg);
        assert!(!t.contains("s3cret") && !t.contains("pw@"), "{t}");
        assert!(t.contains("127.0.0.1:11434"), "{t}");
    }
}
