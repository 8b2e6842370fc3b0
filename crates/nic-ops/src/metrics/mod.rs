//! A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
//! text exposition format 0.0.4.
//!
//! Why not the `prometheus` crate: NIC needs a couple of dozen metrics, no push gateway and
//! no global default registry (tests run several servers in one process). Updates are single
//! atomic operations; a labelled child is found by a linear scan under a read lock (label sets
//! here have a handful of values), and callers on hot paths keep the `Arc` handle of a child
//! instead of looking it up per request.
//!
//! [`NicMetrics`] pre-defines every metric of DESIGN §5.

mod nic;
mod process;

pub use nic::{NicMetrics, Phase, LATENCY_BUCKETS};
pub use process::{encode_process_metrics, ProcessStats};

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn inc_by(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down (stored as `f64` bits).
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    pub fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
    pub fn add(&self, d: f64) {
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some((f64::from_bits(b) + d).to_bits())
            });
    }
    pub fn inc(&self) {
        self.add(1.0);
    }
    pub fn dec(&self) {
        self.add(-1.0);
    }
    /// Increments now and decrements when the guard drops (also on panic/early return):
    /// the right shape for in-flight request gauges.
    pub fn track(self: &Arc<Self>) -> GaugeGuard {
        self.inc();
        GaugeGuard(self.clone())
    }
}

/// Decrements its gauge on drop. See [`Gauge::track`].
pub struct GaugeGuard(Arc<Gauge>);

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Observations counted into fixed buckets.
#[derive(Debug)]
pub struct Histogram {
    bounds: Arc<[f64]>,
    /// Non-cumulative counts; the last slot is `+Inf`.
    counts: Box<[AtomicU64]>,
    sum: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    /// `bounds` must be strictly increasing and finite (checked by the family constructor).
    fn new(bounds: Arc<[f64]>) -> Self {
        let counts = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Self {
            bounds,
            counts,
            sum: AtomicU64::new(0f64.to_bits()),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, v: f64) {
        if v.is_nan() {
            return;
        }
        let idx = self.bounds.partition_point(|b| *b < v);
        self.counts[idx].fetch_add(1, Ordering::Relaxed);
        let _ = self
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some((f64::from_bits(b) + v).to_bits())
            });
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_secs_f64());
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    pub fn sum(&self) -> f64 {
        f64::from_bits(self.sum.load(Ordering::Relaxed))
    }

    /// Cumulative counts per upper bound, the last one being `+Inf`.
    pub fn cumulative(&self) -> Vec<(f64, u64)> {
        let mut acc = 0;
        self.counts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                acc += c.load(Ordering::Relaxed);
                (self.bounds.get(i).copied().unwrap_or(f64::INFINITY), acc)
            })
            .collect()
    }
}

/// The metric type, as written on the `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

impl MetricKind {
    fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
        }
    }
}

/// Something the registry can render.
pub trait Collector: Send + Sync {
    fn encode(&self, out: &mut String);
}

/// One metric name with its labelled children.
pub struct Family<M> {
    name: String,
    help: String,
    kind: MetricKind,
    label_names: Vec<String>,
    children: RwLock<Vec<(Vec<String>, Arc<M>)>>,
    make: Box<dyn Fn() -> M + Send + Sync>,
}

pub type CounterVec = Family<Counter>;
pub type GaugeVec = Family<Gauge>;
pub type HistogramVec = Family<Histogram>;

impl<M> Family<M> {
    fn new(
        name: &str,
        help: &str,
        kind: MetricKind,
        labels: &[&str],
        make: Box<dyn Fn() -> M + Send + Sync>,
    ) -> Self {
        assert!(valid_name(name, true), "invalid metric name {name:?}");
        for l in labels {
            assert!(
                valid_name(l, false) && !l.starts_with("__") && *l != "le",
                "invalid label name {l:?} on {name}"
            );
        }
        Self {
            name: name.to_string(),
            help: help.to_string(),
            kind,
            label_names: labels.iter().map(|s| s.to_string()).collect(),
            children: RwLock::new(Vec::new()),
            make,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The child for these label values (in the order the labels were declared), created on
    /// first use. Missing values are empty strings; extra values are ignored.
    pub fn with(&self, values: &[&str]) -> Arc<M> {
        debug_assert_eq!(values.len(), self.label_names.len(), "{}", self.name);
        let matches = |k: &Vec<String>| {
            (0..self.label_names.len()).all(|i| k[i] == values.get(i).copied().unwrap_or(""))
        };
        if let Some((_, m)) = self
            .children
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(k, _)| matches(k))
        {
            return m.clone();
        }
        let mut w = self.children.write().unwrap_or_else(|p| p.into_inner());
        if let Some((_, m)) = w.iter().find(|(k, _)| matches(k)) {
            return m.clone();
        }
        let key = (0..self.label_names.len())
            .map(|i| values.get(i).copied().unwrap_or("").to_string())
            .collect();
        let m = Arc::new((self.make)());
        w.push((key, m.clone()));
        m
    }

    fn sorted_children(&self) -> Vec<(Vec<String>, Arc<M>)> {
        let mut c = self
            .children
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        c.sort_by(|a, b| a.0.cmp(&b.0));
        c
    }

    fn header(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, escape_help(&self.help));
        let _ = writeln!(out, "# TYPE {} {}", self.name, self.kind.as_str());
    }

    fn labels(&self, values: &[String], extra: Option<(&str, &str)>) -> String {
        let mut pairs: Vec<String> = self
            .label_names
            .iter()
            .zip(values)
            .map(|(n, v)| format!("{n}=\"{}\"", escape_label(v)))
            .collect();
        if let Some((n, v)) = extra {
            pairs.push(format!("{n}=\"{v}\""));
        }
        if pairs.is_empty() {
            String::new()
        } else {
            format!("{{{}}}", pairs.join(","))
        }
    }
}

impl Collector for Family<Counter> {
    fn encode(&self, out: &mut String) {
        self.header(out);
        for (k, c) in self.sorted_children() {
            let _ = writeln!(out, "{}{} {}", self.name, self.labels(&k, None), c.get());
        }
    }
}

impl Collector for Family<Gauge> {
    fn encode(&self, out: &mut String) {
        self.header(out);
        for (k, g) in self.sorted_children() {
            let _ = writeln!(
                out,
                "{}{} {}",
                self.name,
                self.labels(&k, None),
                fmt_f64(g.get())
            );
        }
    }
}

impl Collector for Family<Histogram> {
    fn encode(&self, out: &mut String) {
        self.header(out);
        for (k, h) in self.sorted_children() {
            // Observations may land while we read; taking `_count` from the +Inf bucket keeps
            // the rendered series self-consistent (`_count` == last cumulative bucket).
            let cum = h.cumulative();
            for (bound, n) in &cum {
                let le = fmt_f64(*bound);
                let labels = self.labels(&k, Some(("le", &le)));
                let _ = writeln!(out, "{}_bucket{} {}", self.name, labels, n);
            }
            let total = cum.last().map(|(_, n)| *n).unwrap_or(0);
            let labels = self.labels(&k, None);
            let _ = writeln!(out, "{}_sum{} {}", self.name, labels, fmt_f64(h.sum()));
            let _ = writeln!(out, "{}_count{} {}", self.name, labels, total);
        }
    }
}

/// An ordered set of metric families owned by the caller (no global state).
#[derive(Default)]
pub struct Registry {
    collectors: Mutex<Vec<Arc<dyn Collector>>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds any collector; it is rendered after those registered before it.
    pub fn register(&self, c: Arc<dyn Collector>) {
        self.collectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(c);
    }

    pub fn counter_vec(&self, name: &str, help: &str, labels: &[&str]) -> Arc<CounterVec> {
        let f = Arc::new(Family::new(
            name,
            help,
            MetricKind::Counter,
            labels,
            Box::new(Counter::default),
        ));
        self.register(f.clone());
        f
    }

    pub fn gauge_vec(&self, name: &str, help: &str, labels: &[&str]) -> Arc<GaugeVec> {
        let f = Arc::new(Family::new(
            name,
            help,
            MetricKind::Gauge,
            labels,
            Box::new(Gauge::default),
        ));
        self.register(f.clone());
        f
    }

    /// A histogram family; `buckets` must be finite and strictly increasing.
    pub fn histogram_vec(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
        buckets: &[f64],
    ) -> Arc<HistogramVec> {
        assert!(
            buckets.iter().all(|b| b.is_finite()) && buckets.windows(2).all(|w| w[0] < w[1]),
            "buckets of {name} must be finite and strictly increasing"
        );
        let bounds: Arc<[f64]> = buckets.into();
        let f = Arc::new(Family::new(
            name,
            help,
            MetricKind::Histogram,
            labels,
            Box::new(move || Histogram::new(bounds.clone())),
        ));
        self.register(f.clone());
        f
    }

    /// An unlabelled counter.
    pub fn counter(&self, name: &str, help: &str) -> Arc<Counter> {
        self.counter_vec(name, help, &[]).with(&[])
    }

    /// An unlabelled gauge.
    pub fn gauge(&self, name: &str, help: &str) -> Arc<Gauge> {
        self.gauge_vec(name, help, &[]).with(&[])
    }

    /// Everything, in text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let collectors = self
            .collectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut out = String::with_capacity(8 * 1024);
        for c in collectors {
            c.encode(&mut out);
        }
        out
    }
}

/// The `Content-Type` to serve [`Registry::render`] with.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

fn valid_name(s: &str, allow_colon: bool) -> bool {
    let mut chars = s.chars();
    let ok_first = |c: char| c.is_ascii_alphabetic() || c == '_' || (allow_colon && c == ':');
    match chars.next() {
        Some(c) if ok_first(c) => chars.all(|c| ok_first(c) || c.is_ascii_digit()),
        _ => false,
    }
}

/// Floats as Prometheus writes them (`+Inf`, `-Inf`, `NaN`).
pub fn fmt_f64(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests;
