//! The report of `nic bench soak`: the summary and the plot.
//!
//! Formulas: "at warm-up end" is the median of the samples just before, at and after the
//! warm-up boundary; "at end" the median of the last three samples; growth = (end −
//! warm-up) / warm-up; the slope is the least-squares fit over the samples from the
//! boundary on, in MB per hour. Each figure is given for anon RSS and for anon net of what
//! the bounded stores account for (query caches up to their budget, sessions up to
//! NOVA_SESSION_MAX): a cache filling toward its budget is growth, but not a leak.

use super::soak::{Counters, SoakArgs};
use super::{mb, median, slope, DebugMemory};
use anyhow::Result;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;

#[derive(Clone, Copy)]
pub(super) struct Row {
    pub(super) t: f64,
    pub(super) rss: u64,
    pub(super) anon: u64,
    pub(super) file: u64,
    pub(super) done: u64,
    pub(super) errors: u64,
    pub(super) debug: DebugMemory,
}

impl Row {
    fn net(&self) -> u64 {
        self.anon.saturating_sub(self.debug.bounded())
    }
}

/// (at warm-up end, at end, max after warm-up, growth %, slope MB/h) of `f` in MB.
struct Trend {
    warm: f64,
    end: f64,
    max: f64,
    growth: f64,
    slope: Option<f64>,
}

fn trend(rows: &[Row], w: usize, warm_s: f64, f: fn(&Row) -> u64) -> Trend {
    let v: Vec<f64> = rows.iter().map(|r| mb(f(r))).collect();
    let n = v.len();
    let warm = median(&v[w.saturating_sub(1)..(w + 2).min(n)]);
    let end = median(&v[n.saturating_sub(3)..]);
    let after: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.t >= warm_s - 0.5)
        .map(|r| (r.t / 3600.0, mb(f(r))))
        .collect();
    Trend {
        warm,
        end,
        max: after.iter().map(|p| p.1).fold(0.0, f64::max),
        growth: (end - warm) / warm.max(1e-9) * 100.0,
        slope: slope(&after),
    }
}

fn fmt_slope(s: Option<f64>) -> String {
    s.map_or("n/a".into(), |v| format!("{v:+.2} MB/hour"))
}

pub(super) fn summarize(
    a: &SoakArgs,
    rows: &[Row],
    warm_s: f64,
    load_s: f64,
    c: &Counters,
) -> String {
    let n = rows.len();
    let w = rows.iter().rposition(|r| r.t <= warm_s + 0.5).unwrap_or(0);
    let anon = trend(rows, w, warm_s, |r| r.anon);
    let net = trend(rows, w, warm_s, Row::net);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nsoak summary ({:.0} min, {} clients, {} samples every {} s)",
        a.minutes, a.clients, n, a.interval
    );
    let at = rows.get(w).map_or(0.0, |r| r.t);
    let _ = writeln!(s, "  warm-up                      first {warm_s:.0} s (20% of the run, at least 60 s when the run allows)");
    let _ = writeln!(
        s,
        "  anon at end of warm-up       {:.1} MB  (median of the 3 samples around {at:.0} s)",
        anon.warm
    );
    let _ = writeln!(
        s,
        "  anon at end                  {:.1} MB  (median of the last 3 samples)",
        anon.end
    );
    let _ = writeln!(s, "  max anon after warm-up       {:.1} MB", anon.max);
    let _ = writeln!(
        s,
        "  growth after warm-up         {:+.2} %  ((end - warm-up) / warm-up)",
        anon.growth
    );
    let _ = writeln!(
        s,
        "  anon slope after warm-up     {}  (least squares over the samples after warm-up)",
        fmt_slope(anon.slope)
    );
    let _ = writeln!(
        s,
        "  net of caches and sessions   {:.1} -> {:.1} MB, growth {:+.2} %, slope {}",
        net.warm,
        net.end,
        net.growth,
        fmt_slope(net.slope)
    );
    if let Some(last) = rows.last() {
        let _ = writeln!(
            s,
            "  RSS at end                   {:.1} MB (file {:.1} MB)",
            mb(last.rss),
            mb(last.file)
        );
    }
    let done = c.done.load(Relaxed);
    let _ = writeln!(
        s,
        "  requests                     {done} in {load_s:.0} s = {:.1}/s",
        done as f64 / load_s.max(1e-9)
    );
    let _ = writeln!(
        s,
        "  unexpected statuses          {}",
        c.errors.load(Relaxed)
    );
    if let Ok(m) = c.by_status.lock() {
        for ((kind, status), count) in m.iter() {
            let st = match status {
                0 => "no response".to_string(),
                s => s.to_string(),
            };
            let _ = writeln!(s, "    {kind:<18} {st:>11}  {count}");
        }
    }
    let _ = writeln!(
        s,
        "  unrelated questions          {} abstained/refused, {} answered",
        c.unrelated_abstained.load(Relaxed),
        c.unrelated_answered.load(Relaxed)
    );
    if let (Some(wr), Some(last)) = (rows.get(w), rows.last()) {
        let _ = writeln!(s, "  at warm-up end: {}", wr.debug);
        let _ = writeln!(s, "  at end:         {}", last.debug);
    }
    let flat = |t: &Trend| t.growth.abs() < 5.0 && t.slope.is_none_or(|v| v.abs() < 10.0);
    let verdict = match (flat(&anon), flat(&net)) {
        (true, _) => "FLAT: no sign of a leak",
        (false, true) => "FLAT net of the bounded caches and sessions (they were still filling)",
        (false, false) => "GROWING beyond the bounded stores: look at /debug/memory",
    };
    let _ = writeln!(
        s,
        "  verdict                      {verdict} (flat = |growth| < 5% and |slope| < 10 MB/hour)"
    );
    s
}

pub(super) fn plot(a: &SoakArgs, rows: &[Row], warm_s: f64) -> Result<Vec<u8>> {
    use nic_ops::sampler::png_plot::{Chart, Rule, Series, BLUE, GREEN, ORANGE, RED};
    let title = format!(
        "nic bench soak: server memory, {} clients, {:.0} min",
        a.clients, a.minutes
    );
    let mut chart = Chart::new(&title, "elapsed (minutes)", "memory (MB)");
    let series = |name: &str, color, f: fn(&Row) -> u64| Series {
        name: name.into(),
        color,
        points: rows.iter().map(|r| (r.t / 60.0, mb(f(r)))).collect(),
    };
    chart.series = vec![
        series("RSS", BLUE, |r| r.rss),
        series("anon (heap)", RED, |r| r.anon),
        series("anon - caches - sessions", ORANGE, Row::net),
    ];
    chart.x_rules.push(Rule {
        at: warm_s / 60.0,
        label: format!("end of warm-up ({:.1} min)", warm_s / 60.0),
        color: GREEN,
    });
    Ok(nic_ops::sampler::render_png(&chart)?)
}
