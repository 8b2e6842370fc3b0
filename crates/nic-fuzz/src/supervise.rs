//! Running a target in child processes, so that an input which kills the process (stack
//! overflow, abort, out of memory) is saved and the run goes on.
//!
//! The child runs [`crate::run_target`] with a slot: a memory-mapped file where each input
//! is published (one copy, no system call) before it runs. It prints a report line
//! ([`REPORT_PREFIX`] + JSON) about once a second and at the end. When the child dies
//! without its final report, the parent reads the slot, saves the input as an `abort`, and
//! starts a new child, with another seed, for the rest of the time. A child that found a
//! hang exits (its stuck thread goes with it) and is replaced the same way.

use crate::engine::{target_seed, write_failure, FailureKind, Options, Report, Target};
use memmap2::MmapMut;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A child's report lines start with this.
pub const REPORT_PREFIX: &str = "NIC-FUZZ-REPORT ";
/// The child's last report line is this one (then it exits).
const FINAL_PREFIX: &str = "NIC-FUZZ-FINAL ";

/// Children started at most per target (each hang or abort ends one).
const MAX_CHILDREN: usize = 25;

/// The memory-mapped file holding the input being run: 8 bytes of length, then the input.
pub struct InputSlot {
    map: MmapMut,
}

impl InputSlot {
    pub fn create(path: &Path, max_len: usize) -> std::io::Result<Self> {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        f.set_len(8 + max_len as u64)?;
        // SAFETY: the file is ours (created above in the run's output directory); the
        // parent reads it only after this process has exited.
        let map = unsafe { MmapMut::map_mut(&f)? };
        Ok(Self { map })
    }

    pub fn publish(&mut self, input: &[u8]) {
        let n = input.len().min(self.map.len() - 8);
        self.map[8..8 + n].copy_from_slice(&input[..n]);
        self.map[..8].copy_from_slice(&(n as u64).to_le_bytes());
    }

    /// The last input published to the slot file at `path`.
    pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
        let data = std::fs::read(path)?;
        let Some(head) = data.get(..8) else {
            return Ok(Vec::new());
        };
        let mut len = [0u8; 8];
        len.copy_from_slice(head);
        let n = (u64::from_le_bytes(len) as usize).min(data.len() - 8);
        Ok(data[8..8 + n].to_vec())
    }
}

/// What one child is asked to do.
pub struct ChildSpec<'a> {
    pub target: &'a str,
    pub seconds: f64,
    pub seed: u64,
    pub out: &'a Path,
    pub slot: &'a Path,
    pub corpus: Option<&'a Path>,
}

/// Prints a child's report line (for the child side).
pub fn print_report(r: &Report, last: bool) {
    if let Ok(j) = serde_json::to_string(r) {
        let prefix = if last { FINAL_PREFIX } else { REPORT_PREFIX };
        println!("{prefix}{j}");
    }
}

/// Runs `target` for `opts.duration` in child processes made by `command` (which must run
/// [`child_main`] with the spec's arguments), restarting after each hang or abort.
pub fn supervise(
    target: &'static Target,
    opts: &Options,
    command: &dyn Fn(&ChildSpec<'_>) -> Command,
) -> Report {
    let total = opts.duration.unwrap_or(Duration::from_secs(60));
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("nic-fuzz"));
    let started = Instant::now();
    let mut report = Report {
        target: target.name.to_string(),
        seed: opts.seed,
        ..Report::default()
    };
    let _ = std::fs::create_dir_all(out.join(target.name));
    let slot = out.join(target.name).join(".current-input");
    for child_no in 0..MAX_CHILDREN {
        let left = total.saturating_sub(started.elapsed());
        if left < Duration::from_millis(300) {
            break;
        }
        let seed = if child_no == 0 {
            opts.seed
        } else {
            opts.seed
                .wrapping_add((child_no as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
        };
        let spec = ChildSpec {
            target: target.name,
            seconds: left.as_secs_f64(),
            seed,
            out: &out,
            slot: &slot,
            corpus: opts.corpus.as_deref(),
        };
        let _ = std::fs::remove_file(&slot);
        let run = run_child(target, command(&spec), left);
        if let Some(e) = run.spawn_error {
            report.stopped_early = Some(format!("cannot start a child process: {e}"));
            break;
        }
        let mut r = run.report.unwrap_or_default();
        if !run.finished {
            // Died without its final report: the input in the slot killed it.
            r.aborts += 1;
            let input = InputSlot::read(&slot).unwrap_or_default();
            let signature = format!("abort ({})", run.status);
            *r.signatures.entry(signature.clone()).or_default() += 1;
            let message = format!(
                "the child process ended: {}\n\nlast lines of its stderr:\n{}",
                run.status, run.stderr_tail
            );
            match write_failure(
                target,
                &out,
                FailureKind::Abort,
                &signature,
                &message,
                &input,
                None,
            ) {
                Ok(p) => r.saved.push(p),
                Err(e) => eprintln!("nic-fuzz: cannot save the input that killed the child: {e}"),
            }
        }
        let stop = r.stopped_early.take();
        report.merge(&r);
        if let Some(p) = opts.progress {
            let mut snapshot = report.clone();
            snapshot.seconds = started.elapsed().as_secs_f64();
            p(&snapshot);
        }
        if run.finished && stop.is_none() {
            break; // ran its time
        }
        if run.finished && r.hangs == 0 {
            report.stopped_early = stop;
            break; // stopped for another reason (no scratch dir ...): do not loop
        }
    }
    let _ = std::fs::remove_file(&slot);
    report.seconds = started.elapsed().as_secs_f64();
    report
}

struct ChildRun {
    spawn_error: Option<String>,
    report: Option<Report>,
    finished: bool,
    status: String,
    stderr_tail: String,
}

fn run_child(target: &Target, mut cmd: Command, left: Duration) -> ChildRun {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return ChildRun {
                spawn_error: Some(e.to_string()),
                report: None,
                finished: true,
                status: String::new(),
                stderr_tail: String::new(),
            }
        }
    };
    let last: Arc<Mutex<(Option<Report>, bool)>> = Arc::new(Mutex::new((None, false)));
    let stdout = child.stdout.take().map(|s| {
        let last = Arc::clone(&last);
        std::thread::spawn(move || {
            for line in BufReader::new(s).lines() {
                let Ok(line) = line else { break };
                let (json, fin) = if let Some(j) = line.strip_prefix(FINAL_PREFIX) {
                    (j, true)
                } else if let Some(j) = line.strip_prefix(REPORT_PREFIX) {
                    (j, false)
                } else {
                    continue;
                };
                if let Ok(r) = serde_json::from_str::<Report>(json) {
                    let mut g = last.lock().unwrap_or_else(|e| e.into_inner());
                    *g = (Some(r), fin);
                }
            }
        })
    });
    let stderr = child.stderr.take().map(|mut s| {
        std::thread::spawn(move || {
            let mut tail: Vec<u8> = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > 16 * 1024 {
                    tail.drain(..tail.len() - 8 * 1024);
                }
            }
            String::from_utf8_lossy(&tail).into_owned()
        })
    });
    // The child stops itself; this is the backstop for a child that cannot.
    let hard = left + target.time_limit * 2 + Duration::from_secs(30);
    let t = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break describe_status(s),
            Ok(None) if t.elapsed() > hard => {
                let _ = child.kill();
                let _ = child.wait();
                break format!("killed after {:.0} s without finishing", hard.as_secs_f64());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => break format!("cannot wait for it: {e}"),
        }
    };
    if let Some(h) = stdout {
        let _ = h.join();
    }
    let stderr_tail = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    let (report, finished) = last.lock().unwrap_or_else(|e| e.into_inner()).clone();
    ChildRun {
        spawn_error: None,
        report,
        finished,
        status,
        stderr_tail,
    }
}

fn describe_status(s: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(sig)) => format!("signal {sig}{}", signal_name(sig)),
        _ => s.to_string(),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        6 => " (SIGABRT: abort, e.g. a stack overflow)",
        9 => " (SIGKILL: e.g. the kernel's OOM killer)",
        11 => " (SIGSEGV)",
        _ => "",
    }
}

/// The child side: runs the target with a slot and prints report lines; returns the exit
/// code (0, or 3 when something failed).
pub fn child_main(target: &'static Target, spec: &ChildSpec<'_>) -> i32 {
    let mut o = Options::new(spec.seed);
    o.duration = Some(Duration::from_secs_f64(spec.seconds.max(0.0)));
    o.out = Some(spec.out.to_path_buf());
    o.corpus = spec.corpus.map(Path::to_path_buf);
    o.slot = Some(spec.slot.to_path_buf());
    o.progress = Some(|r| print_report(r, false));
    let r = crate::run_target(target, &o);
    print_report(&r, true);
    if r.failures() > 0 {
        3
    } else {
        0
    }
}

/// The seed a target uses in a run seeded with `seed`.
pub fn seed_for(seed: u64, target: &str) -> u64 {
    target_seed(seed, target)
}
