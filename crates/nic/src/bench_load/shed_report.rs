//! The report of `nic bench shed`: the per-second timeline, the summary and the plot.

use super::mb;
use super::shed::ShedArgs;
use anyhow::Result;
use std::fmt::Write as _;
use std::time::Duration;

/// Responses in one second of the run.
#[derive(Default, Clone, Copy)]
pub(super) struct Sec {
    pub(super) ok: u64,
    pub(super) busy: u64,
    pub(super) busy_retry_after: u64,
    pub(super) other: u64,
}

pub(super) struct Row {
    pub(super) t: u64,
    pub(super) phase: &'static str,
    pub(super) anon_max: u64,
    pub(super) health: String,
    pub(super) sessions: u64,
    pub(super) sec: Sec,
}

pub(super) fn header() -> String {
    format!(
        "  {:>4} {:<8} {:>8} {:>6} {:>6} {:>6} {:>9} {:>6} {:>10} {:>9}",
        "t s", "phase", "anon MB", "% lim", "200", "503", "503+R-A", "other", "health", "sessions"
    )
}

pub(super) fn fmt_row(r: &Row, limit: u64) -> String {
    format!(
        "  {:>4} {:<8} {:>8.1} {:>6.1} {:>6} {:>6} {:>9} {:>6} {:>10} {:>9}",
        r.t,
        r.phase,
        mb(r.anon_max),
        r.anon_max as f64 / limit as f64 * 100.0,
        r.sec.ok,
        r.sec.busy,
        r.sec.busy_retry_after,
        r.sec.other,
        r.health,
        r.sessions
    )
}

pub(super) fn summarize(
    rows: &[Row],
    a: &ShedArgs,
    limit: u64,
    peak: u64,
    stop: Option<Duration>,
    hwm: u64,
) -> String {
    let sum = |f: fn(&Sec) -> u64, phase: &str| {
        rows.iter()
            .filter(|r| r.phase == phase)
            .map(|r| f(&r.sec))
            .sum::<u64>()
    };
    let first = |pred: &dyn Fn(&Row) -> bool| rows.iter().find(|r| pred(r)).map(|r| r.t);
    let fail = limit as f64 * 0.95;
    let recovered_at = rows
        .iter()
        .filter(|r| r.phase == "recover")
        .find(|r| r.health != "unhealthy" && r.sec.ok > 0 && (r.anon_max as f64) < fail)
        .map(|r| r.t);
    let held = recovered_at.is_some_and(|t0| {
        rows.iter()
            .filter(|r| r.t >= t0)
            .all(|r| r.health != "unhealthy" && r.sec.busy == 0)
    });
    let mut s = String::new();
    let _ = writeln!(s, "\nshed summary");
    let _ = writeln!(
        s,
        "  peak anon (sampled every 100 ms)   {:.1} MB = {:.1}% of the {:.0} MB limit",
        mb(peak),
        peak as f64 / limit as f64 * 100.0,
        mb(limit)
    );
    let _ = writeln!(
        s,
        "  anon stayed below the limit        {}",
        if peak < limit { "yes" } else { "NO" }
    );
    let _ = writeln!(s, "  peak RSS (VmHWM, incl. file pages) {:.1} MB", mb(hwm));
    let _ = writeln!(
        s,
        "  during load: 200 {}, 503 {} (with Retry-After {}), other {}",
        sum(|x| x.ok, "load"),
        sum(|x| x.busy, "load"),
        sum(|x| x.busy_retry_after, "load"),
        sum(|x| x.other, "load")
    );
    let _ = writeln!(
        s,
        "  first degraded at                  {}",
        first(&|r| r.health == "degraded").map_or("never".into(), |t| format!("{t} s"))
    );
    let _ = writeln!(
        s,
        "  first 503 at                       {}",
        first(&|r| r.sec.busy > 0).map_or("never".into(), |t| format!("{t} s"))
    );
    let _ = writeln!(s, "  503 episodes during load           {}", episodes(rows));
    let _ = writeln!(
        s,
        "  during recovery: 200 {}, 503 {}, other {}",
        sum(|x| x.ok, "recover"),
        sum(|x| x.busy, "recover"),
        sum(|x| x.other, "recover")
    );
    match (recovered_at, stop) {
        (Some(t), Some(stop)) => {
            let _ = writeln!(s, "  time to recover after load stopped {:.0} s (health not unhealthy, probe answered 200, anon below the fail line){}", t as f64 - stop.as_secs_f64(), if held { "; held to the end" } else { "; did NOT hold" });
        }
        _ => {
            let _ = writeln!(
                s,
                "  time to recover                    did NOT recover within {} s",
                a.recover_seconds
            );
        }
    }
    if let Some(r) = rows.last() {
        let _ = writeln!(
            s,
            "  at the end: anon {:.1} MB ({:.1}%), health {}, {} sessions",
            mb(r.anon_max),
            r.anon_max as f64 / limit as f64 * 100.0,
            r.health,
            r.sessions
        );
    }
    s
}

/// Runs of seconds with 503s during the load, and how long until answers flowed again
/// without 503s (1 s resolution).
fn episodes(rows: &[Row]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut start: Option<u64> = None;
    for r in rows.iter().filter(|r| r.phase == "load") {
        match start {
            None if r.sec.busy > 0 => start = Some(r.t),
            Some(t0) if r.sec.busy == 0 && r.sec.ok > 0 => {
                out.push(format!("at {t0} s, over within {} s", r.t - t0));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(t0) = start {
        out.push(format!("at {t0} s, still shedding when the load stopped"));
    }
    if out.is_empty() {
        "none".into()
    } else {
        format!("{}: {}", out.len(), out.join("; "))
    }
}

pub(super) fn plot(curve: &[(f64, f64)], limit_mb: u64, load_s: u64) -> Result<Vec<u8>> {
    use nic_ops::sampler::png_plot::{Chart, Rule, Series, GREEN, GREY, ORANGE, RED};
    let l = limit_mb as f64;
    let mut chart = Chart::new(
        &format!("nic bench shed: anon RSS against NOVA_MEMORY_LIMIT_MB={limit_mb}"),
        "elapsed (seconds)",
        "anon RSS (MB)",
    );
    chart.series.push(Series {
        name: "anon".into(),
        color: RED,
        points: curve.to_vec(),
    });
    chart.y_rules = vec![
        Rule {
            at: l,
            label: format!("limit {limit_mb} MB"),
            color: GREY,
        },
        Rule {
            at: l * 0.95,
            label: "fail 95%: 503".into(),
            color: RED,
        },
        Rule {
            at: l * 0.80,
            label: "warn 80%: caches shrink".into(),
            color: ORANGE,
        },
    ];
    chart.y_min = Some((l * 0.6 / 10.0).floor() * 10.0);
    chart.x_rules.push(Rule {
        at: load_s as f64,
        label: "load stops".into(),
        color: GREEN,
    });
    Ok(nic_ops::sampler::render_png(&chart)?)
}
