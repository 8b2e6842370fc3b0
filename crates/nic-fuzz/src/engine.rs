//! The engine: input generation, the worker thread, the watchdog, saving failures.

use crate::bytes;
use crate::supervise::InputSlot;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::backtrace::Backtrace;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::thread;
use std::time::{Duration, Instant};

/// Fuzz worker threads are named with this prefix; their panics are captured, not printed.
pub const THREAD_PREFIX: &str = "nic-fuzz-";

/// The stack of a fuzz worker: 2 MiB, that of tokio's worker and blocking threads, the
/// smallest any of these parsers runs on in NIC (`/api/ask` handlers; `/api/reload` ingests
/// on a blocking thread).
const WORKER_STACK: usize = 2 << 20;

/// Inputs saved per distinct failure (file and line of the panic); all are counted.
const SAVED_PER_SIGNATURE: usize = 5;

/// What a target made of one input (a panic or a hang is not an outcome but a failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Parsed and processed.
    Accepted,
    /// Refused with an error, as bad input should be.
    Rejected,
    /// A failure NIC itself contained and reported as designed (the PDF extractor's worker
    /// panicked or overran its time limit): worth a look, not a crash.
    Contained(String),
}

/// A format-aware mutator: (rng, input, seeds) -> new input.
pub type MutateFn = fn(&mut StdRng, &[u8], &[Vec<u8>]) -> Vec<u8>;

/// One parser under test.
pub struct Target {
    pub name: &'static str,
    pub about: &'static str,
    /// Inputs are cut to this many bytes.
    pub max_len: usize,
    /// An input running longer is a hang.
    pub time_limit: Duration,
    /// Tokens inserted by the byte-level mutator.
    pub dictionary: &'static [&'static [u8]],
    /// Seed inputs; the argument is the shared corpus directory when it exists.
    pub seeds: fn(Option<&Path>) -> Vec<Vec<u8>>,
    /// The format-aware mutator: (rng, input, seeds) -> new input.
    pub structured: Option<MutateFn>,
    /// Runs one input. Panics (including failed invariant checks) are failures.
    pub run: fn(&mut Scratch, &[u8]) -> Outcome,
    /// A readable rendering of an input, written next to a saved failure.
    pub describe: Option<fn(&[u8]) -> String>,
}

/// A private directory per worker, for targets that need a file on disk.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            dir: tempfile::Builder::new().prefix("nic-fuzz-").tempdir()?,
        })
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// How to run a target.
#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    /// Stop after this long (`None`: only `max_inputs` stops it).
    pub duration: Option<Duration>,
    /// Stop after this many inputs.
    pub max_inputs: Option<u64>,
    /// Where failing inputs go (`OUT/<target>/`); `None` keeps them in the report only.
    pub out: Option<PathBuf>,
    /// The shared corpus, when present.
    pub corpus: Option<PathBuf>,
    /// Publish every input here before running it (child processes of [`crate::supervise`]).
    pub slot: Option<PathBuf>,
    /// Called about once a second with the counts so far.
    pub progress: Option<fn(&Report)>,
}

impl Options {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            duration: None,
            max_inputs: None,
            out: None,
            corpus: None,
            slot: None,
            progress: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    Panic,
    Hang,
    /// The process died (stack overflow, abort, out of memory): seen by the supervisor.
    Abort,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Panic => "panic",
            Self::Hang => "hang",
            Self::Abort => "abort",
        }
    }
}

/// One failing input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    pub kind: FailureKind,
    /// `file:line` of the panic, or the kind for hangs and aborts.
    pub signature: String,
    pub message: String,
    /// The saved input, when an output directory was given and the cap not reached.
    pub saved: Option<PathBuf>,
}

/// Counts for one target run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub target: String,
    pub seed: u64,
    pub seconds: f64,
    pub inputs: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub contained: u64,
    pub panics: u64,
    pub hangs: u64,
    pub aborts: u64,
    /// Distinct failures (signature -> count).
    pub signatures: BTreeMap<String, u64>,
    /// Failures saved (at most a few per signature).
    pub saved: Vec<PathBuf>,
    /// The first message of each distinct contained failure.
    pub contained_examples: BTreeMap<String, String>,
    /// Why the run ended before its time (a hang leaves a stuck thread behind).
    pub stopped_early: Option<String>,
}

impl Report {
    pub fn failures(&self) -> u64 {
        self.panics + self.hangs + self.aborts
    }
    pub fn inputs_per_second(&self) -> f64 {
        self.inputs as f64 / self.seconds.max(1e-9)
    }
    /// Adds another run of the same target (a restarted child).
    pub fn merge(&mut self, o: &Report) {
        self.seconds += o.seconds;
        self.inputs += o.inputs;
        self.accepted += o.accepted;
        self.rejected += o.rejected;
        self.contained += o.contained;
        self.panics += o.panics;
        self.hangs += o.hangs;
        self.aborts += o.aborts;
        for (k, v) in &o.signatures {
            *self.signatures.entry(k.clone()).or_default() += v;
        }
        self.saved.extend(o.saved.iter().cloned());
        for (k, v) in &o.contained_examples {
            self.contained_examples
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
    }
}

thread_local! {
    /// The last panic on this fuzz worker: (signature, message with backtrace).
    static LAST_PANIC: RefCell<Option<(String, String, Backtrace)>> = const { RefCell::new(None) };
}

/// Captures panics of fuzz workers instead of printing them; other threads' panics go to
/// the hook that was there before (NIC's PDF worker silences its own the same way).
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let ours = thread::current()
                .name()
                .is_some_and(|n| n.starts_with(THREAD_PREFIX));
            if !ours {
                previous(info);
                return;
            }
            let signature = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_else(|| "unknown location".into());
            let message = info.to_string();
            let bt = Backtrace::force_capture();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some((signature, message, bt)));
        }));
    });
}

/// Counters and the current input, shared by the worker and the watchdog.
struct Shared {
    stop: AtomicBool,
    abandoned: AtomicBool,
    /// 0 when idle, else microseconds since `epoch` + 1 when the current input started.
    busy_since: AtomicU64,
    epoch: Instant,
    current: Mutex<Vec<u8>>,
    report: Mutex<Report>,
}

impl Shared {
    fn lock_report(&self) -> std::sync::MutexGuard<'_, Report> {
        self.report.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Produces inputs: the seeds as they are first, then mutants of seeds and of kept inputs.
struct Gen<'t> {
    target: &'t Target,
    seeds: Vec<Vec<u8>>,
    pool: Vec<Vec<u8>>,
    rng: StdRng,
    next_seed: usize,
}

const POOL_MAX: usize = 256;

impl<'t> Gen<'t> {
    fn new(target: &'t Target, seeds: Vec<Vec<u8>>, seed: u64) -> Self {
        Self {
            target,
            seeds,
            pool: Vec::new(),
            rng: StdRng::seed_from_u64(seed),
            next_seed: 0,
        }
    }

    fn next(&mut self) -> Vec<u8> {
        if self.next_seed < self.seeds.len() {
            self.next_seed += 1;
            let mut s = self.seeds[self.next_seed - 1].clone();
            s.truncate(self.target.max_len);
            return s;
        }
        let from_pool = !self.pool.is_empty() && self.rng.gen_bool(0.3);
        let mut data = if from_pool {
            self.pool[self.rng.gen_range(0..self.pool.len())].clone()
        } else {
            self.seeds[self.rng.gen_range(0..self.seeds.len())].clone()
        };
        // 1 round half the time, 2 a quarter, ... up to 8.
        let rounds = 1 + self.rng.gen::<u32>().trailing_zeros().min(7);
        for _ in 0..rounds {
            data = match self.target.structured {
                Some(s) if self.rng.gen_bool(0.5) => s(&mut self.rng, &data, &self.seeds),
                _ => bytes::mutate(
                    &mut self.rng,
                    data,
                    &self.seeds,
                    self.target.dictionary,
                    self.target.max_len,
                ),
            };
            data.truncate(self.target.max_len);
        }
        data
    }

    /// Keeps some inputs for further mutation, preferring those the target accepted.
    fn keep(&mut self, input: &[u8], outcome: &Outcome) {
        let p = match outcome {
            Outcome::Accepted => 0.2,
            Outcome::Contained(_) => 0.5,
            Outcome::Rejected => 0.02,
        };
        if !self.rng.gen_bool(p) {
            return;
        }
        if self.pool.len() < POOL_MAX {
            self.pool.push(input.to_vec());
        } else {
            let i = self.rng.gen_range(0..POOL_MAX);
            self.pool[i] = input.to_vec();
        }
    }
}

/// Runs `target` until the options' time or input count is reached, or the first hang.
pub fn run_target(target: &'static Target, opts: &Options) -> Report {
    install_panic_hook();
    let started = Instant::now();
    let mut seeds = (target.seeds)(opts.corpus.as_deref().filter(|p| p.is_dir()));
    if seeds.is_empty() {
        seeds.push(Vec::new());
    }
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        abandoned: AtomicBool::new(false),
        busy_since: AtomicU64::new(0),
        epoch: Instant::now(),
        current: Mutex::new(Vec::new()),
        report: Mutex::new(Report {
            target: target.name.to_string(),
            seed: opts.seed,
            ..Report::default()
        }),
    });
    let worker = {
        let shared = Arc::clone(&shared);
        let opts = opts.clone();
        thread::Builder::new()
            .name(format!("{THREAD_PREFIX}{}", target.name))
            .stack_size(WORKER_STACK)
            .spawn(move || work(target, seeds, &opts, &shared))
    };
    let worker = match worker {
        Ok(h) => h,
        Err(e) => {
            let mut r = shared.lock_report().clone();
            r.stopped_early = Some(format!("cannot start the worker thread: {e}"));
            return r;
        }
    };
    let deadline = opts.duration.map(|d| started + d);
    let mut last_progress = Instant::now();
    loop {
        thread::sleep(Duration::from_millis(5));
        if worker.is_finished() {
            let _ = worker.join();
            break;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            shared.stop.store(true, Ordering::Relaxed);
        }
        let busy = shared.busy_since.load(Ordering::Relaxed);
        if busy != 0 {
            let since = shared.epoch + Duration::from_micros(busy - 1);
            if since.elapsed() > target.time_limit {
                record_hang(target, opts, &shared, since.elapsed());
                break; // the worker is stuck; it is left behind
            }
        }
        if let Some(p) = opts.progress {
            if last_progress.elapsed() >= Duration::from_secs(1) {
                last_progress = Instant::now();
                let mut r = shared.lock_report().clone();
                r.seconds = started.elapsed().as_secs_f64();
                p(&r);
            }
        }
    }
    let mut r = shared.lock_report().clone();
    r.seconds = started.elapsed().as_secs_f64();
    r
}

fn record_hang(target: &Target, opts: &Options, shared: &Shared, running: Duration) {
    shared.abandoned.store(true, Ordering::SeqCst);
    shared.stop.store(true, Ordering::SeqCst);
    let input = shared
        .current
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut r = shared.lock_report();
    r.hangs += 1;
    let signature = "hang".to_string();
    let message = format!(
        "still running after {:.1} s (limit {:.1} s)",
        running.as_secs_f64(),
        target.time_limit.as_secs_f64()
    );
    let f = save_failure(
        target,
        opts,
        &mut r,
        FailureKind::Hang,
        signature,
        message,
        &input,
        None,
    );
    r.saved.extend(f.saved);
    r.stopped_early = Some("a hang (its thread cannot be stopped)".into());
}

fn work(target: &'static Target, seeds: Vec<Vec<u8>>, opts: &Options, shared: &Shared) {
    let mut scratch = match Scratch::new() {
        Ok(s) => s,
        Err(e) => {
            shared.lock_report().stopped_early = Some(format!("no scratch directory: {e}"));
            return;
        }
    };
    let mut slot = match &opts.slot {
        Some(p) => match InputSlot::create(p, target.max_len) {
            Ok(s) => Some(s),
            Err(e) => {
                shared.lock_report().stopped_early =
                    Some(format!("cannot map the input slot {}: {e}", p.display()));
                return;
            }
        },
        None => None,
    };
    let mut gen = Gen::new(target, seeds, opts.seed);
    let mut n = 0u64;
    while !shared.stop.load(Ordering::Relaxed) && opts.max_inputs.is_none_or(|m| n < m) {
        let input = gen.next();
        {
            let mut cur = shared.current.lock().unwrap_or_else(|e| e.into_inner());
            cur.clear();
            cur.extend_from_slice(&input);
        }
        if let Some(s) = slot.as_mut() {
            s.publish(&input);
        }
        let t = shared.epoch.elapsed().as_micros() as u64 + 1;
        shared.busy_since.store(t, Ordering::Relaxed);
        let result = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&mut scratch, &input)));
        shared.busy_since.store(0, Ordering::Relaxed);
        if shared.abandoned.load(Ordering::SeqCst) {
            return; // declared hung meanwhile: the watchdog has reported it
        }
        n += 1;
        let mut r = shared.lock_report();
        r.inputs += 1;
        match result {
            Ok(outcome) => {
                match &outcome {
                    Outcome::Accepted => r.accepted += 1,
                    Outcome::Rejected => r.rejected += 1,
                    Outcome::Contained(why) => {
                        r.contained += 1;
                        let key: String = why.chars().take(60).collect();
                        if r.contained_examples.len() < 20 {
                            r.contained_examples
                                .entry(key)
                                .or_insert_with(|| why.clone());
                        }
                    }
                }
                drop(r);
                gen.keep(&input, &outcome);
            }
            Err(payload) => {
                r.panics += 1;
                let (signature, message, bt) = take_panic(payload.as_ref());
                let f = save_failure(
                    target,
                    opts,
                    &mut r,
                    FailureKind::Panic,
                    signature,
                    message,
                    &input,
                    Some(&bt),
                );
                r.saved.extend(f.saved);
            }
        }
    }
}

fn take_panic(payload: &(dyn std::any::Any + Send)) -> (String, String, String) {
    match LAST_PANIC.with(|p| p.borrow_mut().take()) {
        Some((sig, msg, bt)) => (sig, msg, bt.to_string()),
        None => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic with a non-string payload".into());
            ("unknown location".into(), msg, String::new())
        }
    }
}

/// Counts the failure under its signature and saves the input when under the cap.
#[allow(clippy::too_many_arguments)]
fn save_failure(
    target: &Target,
    opts: &Options,
    r: &mut Report,
    kind: FailureKind,
    signature: String,
    message: String,
    input: &[u8],
    backtrace: Option<&str>,
) -> Failure {
    let seen = r.signatures.entry(signature.clone()).or_default();
    *seen += 1;
    let mut saved = None;
    if let Some(out) = &opts.out {
        if *seen as usize <= SAVED_PER_SIGNATURE {
            match write_failure(target, out, kind, &signature, &message, input, backtrace) {
                Ok(p) => saved = Some(p),
                Err(e) => eprintln!(
                    "nic-fuzz: cannot save a failing input in {}: {e}",
                    out.display()
                ),
            }
        }
    }
    Failure {
        kind,
        signature,
        message,
        saved,
    }
}

/// Writes `OUT/<target>/<kind>-<hash of signature>-<hash of input>.bin` and a `.txt` note.
pub(crate) fn write_failure(
    target: &Target,
    out: &Path,
    kind: FailureKind,
    signature: &str,
    message: &str,
    input: &[u8],
    backtrace: Option<&str>,
) -> std::io::Result<PathBuf> {
    let dir = out.join(target.name);
    std::fs::create_dir_all(&dir)?;
    let name = format!(
        "{}-{:08x}-{:016x}",
        kind.as_str(),
        fnv1a(signature.as_bytes()) as u32,
        fnv1a(input)
    );
    let bin = dir.join(format!("{name}.bin"));
    std::fs::write(&bin, input)?;
    let mut note = format!(
        "target: {}\nkind: {}\nsignature: {signature}\ninput: {} bytes\nreplay: nic bench fuzz --target {} --repro {}\n\n{message}\n",
        target.name,
        kind.as_str(),
        input.len(),
        target.name,
        bin.display()
    );
    if let Some(d) = target.describe {
        note.push_str("\n--- the input, decoded ---\n");
        note.push_str(&d(input));
        note.push('\n');
    }
    if let Some(bt) = backtrace.filter(|b| !b.is_empty()) {
        note.push_str("\n--- backtrace ---\n");
        note.push_str(bt);
    }
    std::fs::write(dir.join(format!("{name}.txt")), note)?;
    Ok(bin)
}

pub(crate) fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ x as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs one input on a worker thread under the target's time limit: `Ok(outcome)`, or the
/// failure (a hang leaves its thread behind).
pub fn run_one(target: &'static Target, input: &[u8]) -> Result<Outcome, Failure> {
    install_panic_hook();
    let (tx, rx) = std::sync::mpsc::channel();
    let data = input.to_vec();
    let spawned = thread::Builder::new()
        .name(format!("{THREAD_PREFIX}{}-one", target.name))
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let mut scratch = match Scratch::new() {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx.send(Err(("scratch".to_string(), e.to_string(), String::new())));
                    return;
                }
            };
            let r = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&mut scratch, &data)));
            let _ = tx.send(r.map_err(|p| take_panic(p.as_ref())));
        });
    if let Err(e) = spawned {
        return Err(Failure {
            kind: FailureKind::Abort,
            signature: "spawn".into(),
            message: e.to_string(),
            saved: None,
        });
    }
    match rx.recv_timeout(target.time_limit) {
        Ok(Ok(o)) => Ok(o),
        Ok(Err((signature, message, bt))) => Err(Failure {
            kind: FailureKind::Panic,
            signature,
            message: if bt.is_empty() {
                message
            } else {
                format!("{message}\n\n{bt}")
            },
            saved: None,
        }),
        Err(_) => Err(Failure {
            kind: FailureKind::Hang,
            signature: "hang".into(),
            message: format!(
                "still running after the {:.1} s limit",
                target.time_limit.as_secs_f64()
            ),
            saved: None,
        }),
    }
}

/// Shrinks a failing input while it still fails the same way (same kind and signature):
/// removes ever smaller ranges, then simplifies bytes. At most `max_runs` runs; hangs cost
/// the time limit each, so shrink those with few runs.
pub fn minimize(target: &'static Target, input: &[u8], max_runs: usize) -> Vec<u8> {
    let want = match run_one(target, input) {
        Err(f) => (f.kind, f.signature),
        Ok(_) => return input.to_vec(),
    };
    let mut runs = 1usize;
    let still_fails = |cand: &[u8], runs: &mut usize| {
        *runs += 1;
        matches!(run_one(target, cand), Err(f) if (f.kind, f.signature.clone()) == want)
    };
    let mut best = input.to_vec();
    let mut chunk = best.len().div_ceil(2).max(1);
    while runs < max_runs {
        let mut i = 0;
        let mut shrunk = false;
        while i < best.len() && runs < max_runs {
            let end = (i + chunk).min(best.len());
            let mut cand = best[..i].to_vec();
            cand.extend_from_slice(&best[end..]);
            if still_fails(&cand, &mut runs) {
                best = cand;
                shrunk = true;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 && !shrunk {
            break;
        }
        if !shrunk {
            chunk = chunk.div_ceil(2);
        }
    }
    // Simplify what is left: each byte to a space or 'a' when it still fails.
    for i in 0..best.len() {
        if runs >= max_runs {
            break;
        }
        for b in [b'a', b' '] {
            if best[i] == b {
                break;
            }
            let mut cand = best.clone();
            cand[i] = b;
            if still_fails(&cand, &mut runs) {
                best = cand;
                break;
            }
        }
    }
    best
}

/// A per-target seed derived from the run's seed, so one target alone replays the same
/// inputs as in a run of all of them.
pub(crate) fn target_seed(seed: u64, name: &str) -> u64 {
    seed ^ fnv1a(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_come_first_then_mutants_stay_under_the_cap() {
        static T: Target = Target {
            name: "t",
            about: "",
            max_len: 64,
            time_limit: Duration::from_secs(1),
            dictionary: &[b"abc"],
            seeds: |_| vec![b"hello".to_vec(), b"world".to_vec()],
            structured: None,
            run: |_, _| Outcome::Accepted,
            describe: None,
        };
        let mut g = Gen::new(&T, (T.seeds)(None), 1);
        assert_eq!(g.next(), b"hello");
        assert_eq!(g.next(), b"world");
        for _ in 0..2000 {
            let x = g.next();
            assert!(x.len() <= 64);
            g.keep(&x, &Outcome::Accepted);
        }
    }

    #[test]
    fn panics_and_hangs_are_counted_and_saved() {
        static P: Target = Target {
            name: "panics",
            about: "",
            max_len: 16,
            time_limit: Duration::from_secs(5),
            dictionary: &[],
            seeds: |_| vec![b"ok".to_vec(), b"boom".to_vec()],
            structured: None,
            run: |_, i| {
                if i == b"boom" {
                    panic!("boom");
                }
                Outcome::Accepted
            },
            describe: None,
        };
        static H: Target = Target {
            name: "hangs",
            about: "",
            max_len: 16,
            time_limit: Duration::from_millis(200),
            dictionary: &[],
            seeds: |_| vec![b"x".to_vec()],
            structured: None,
            run: |_, _| loop {
                thread::sleep(Duration::from_millis(50));
            },
            describe: None,
        };
        let dir = tempfile::tempdir().unwrap();
        let mut o = Options::new(7);
        o.max_inputs = Some(50);
        o.out = Some(dir.path().to_path_buf());
        let r = run_target(&P, &o);
        assert_eq!(r.inputs, 50);
        assert!(r.panics >= 1, "{r:?}");
        assert!(r.saved.len() <= SAVED_PER_SIGNATURE && !r.saved.is_empty());
        assert_eq!(std::fs::read(&r.saved[0]).unwrap(), b"boom");
        assert!(matches!(run_one(&P, b"boom"), Err(f) if f.kind == FailureKind::Panic));
        assert_eq!(minimize(&P, b"boom", 100), b"boom");
        let r = run_target(&H, &o);
        assert_eq!((r.hangs, r.inputs), (1, 0));
        assert_eq!(std::fs::read(&r.saved[0]).unwrap(), b"x");
    }
}
