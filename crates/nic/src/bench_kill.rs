//! `nic bench kill`: kill campaigns (issue 16 item 2). SIGKILL lands at random moments in
//! ingests (incremental, full `--rebuild` and first-ever), in `POST /api/reload` while
//! `/api/ask` clients are running, and in a server whose answers are being written to the
//! audit log. After every kill the recovery an operator would go through is checked:
//!
//! - the served generation verifies (`nic index verify`, exit 0; every kept generation and
//!   the databases beside them);
//! - the next ingest (or reload on a restarted server) completes, and the index then holds
//!   exactly the corpus on disk: the document count matches, and unique marker words written
//!   into added or changed files are found in those files while those of deleted files are
//!   gone (a resumed run must not reuse stale work);
//! - a restarted `nic serve` reports itself healthy and answers;
//! - the audit chain verifies (`nic audit verify`), and agrees with an independent
//!   recomputation of the chain from `nic audit export`; every record the server reported as
//!   written before the kill is still there. Every other audit kill also tears the last frame
//!   of the SQLite WAL (what a write cut off mid-way leaves behind): the torn tail must be
//!   discarded (repaired) or reported by `nic audit verify`, never accepted as intact with a
//!   chain that does not recompute.
//!
//! Kill delays are uniform over the measured duration of an unkilled run, so kills land in
//! every phase; the phase a kill landed in is read from the ingest's progress lines and from
//! the generation directory (`*.tmp` being written, renamed but not current, CURRENT
//! switched). Publish steps that take milliseconds are almost never hit that way, so where
//! `strace` works a quarter of the ingest kills are exact instead: SIGKILL at the n-th call
//! of one file-system syscall (fsync, fdatasync, rename*, unlinkat), n uniform over the calls
//! of an unkilled run. Everything happens under `--data-dir`, which must be empty or an earlier
//! campaign's directory (it is wiped).

use anyhow::{bail, Context, Result};
use clap::Args;
use nic_audit::record::{canonical_json, chain_hash, GENESIS_HASH};
use nic_core::NicConfig;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const MARKER_FILE: &str = ".nic-kill-campaign";
/// A campaign stops after this many failures: later ones are usually the same one again.
const MAX_FAILURES: usize = 10;
const QUESTIONS: &[&str] = &[
    "How do I check the brake pads?",
    "What is the normal refrigerant pressure?",
    "How do I test the alternator output?",
    "What is the daily quality check for the MRI?",
    "How do I inspect the forklift fire suppression system?",
    "How is the thermostat wired?",
    "How often is the cold head compressor serviced?",
    "What tire pressure does the utility truck use?",
    "How do I diagnose an engine misfire?",
    "What is the capital of France?",
];

#[derive(Args, Debug)]
pub struct KillArgs {
    /// Ingest runs to kill (incremental, full `--rebuild` and first-ever, mixed).
    #[arg(long, default_value_t = 100)]
    pub ingests: usize,
    /// Servers to kill during `POST /api/reload` under `/api/ask` load.
    #[arg(long, default_value_t = 100)]
    pub reloads: usize,
    /// Servers to kill while answers are written to the audit log.
    #[arg(long, default_value_t = 100)]
    pub audit: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Corpus (DIR/<domain>/...) copied into --data-dir and changed between runs.
    #[arg(long, default_value = "examples/manuals")]
    pub corpus: PathBuf,
    /// Concurrent `/api/ask` clients during reload and audit kills.
    #[arg(long, default_value_t = 3)]
    pub clients: usize,
    /// Audit kills land uniformly within this many milliseconds of answers flowing.
    #[arg(long, default_value_t = 1500)]
    pub audit_window_ms: u64,
}

pub fn run(cfg: &NicConfig, a: KillArgs) -> Result<ExitCode> {
    let mut kit = Kit::new(cfg, &a)?;
    println!(
        "bench kill: seed {}, corpus {} ({} files), work dir {}",
        a.seed,
        a.corpus.display(),
        kit.corpus.count(),
        kit.work.display()
    );
    let mut results = Vec::new();
    if a.ingests > 0 {
        results.push(ingest_campaign(&mut kit, a.ingests)?);
    }
    if a.reloads > 0 || a.audit > 0 {
        let (reload, audit) = server_campaigns(&mut kit, a.reloads, a.audit)?;
        results.extend(reload);
        results.extend(audit);
    }
    Ok(report(&results))
}

// ---------------------------------------------------------------------------------------
// Campaign bookkeeping and the report

#[derive(Default)]
struct Tally {
    name: &'static str,
    runs: usize,
    kills: usize,
    /// Runs that ended on their own before the kill was due.
    finished_first: usize,
    recovered: usize,
    phases: BTreeMap<String, usize>,
    notes: BTreeMap<String, usize>,
    failures: Vec<String>,
}

impl Tally {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            ..Self::default()
        }
    }

    fn note(&mut self, what: impl Into<String>) {
        *self.notes.entry(what.into()).or_default() += 1;
    }

    fn fail(&mut self, what: String) {
        println!("  FAILURE {what}");
        self.failures.push(what);
    }

    fn stopped(&self) -> bool {
        self.failures.len() >= MAX_FAILURES
    }
}

fn report(results: &[Tally]) -> ExitCode {
    println!();
    println!(
        "{:<8} {:>6} {:>6} {:>15} {:>14} {:>9}",
        "campaign", "runs", "kills", "finished-first", "recoveries-ok", "failures"
    );
    for t in results {
        println!(
            "{:<8} {:>6} {:>6} {:>15} {:>14} {:>9}",
            t.name,
            t.runs,
            t.kills,
            t.finished_first,
            t.recovered,
            t.failures.len()
        );
    }
    for t in results {
        let phases: Vec<String> = t.phases.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("{} kills by phase: {}", t.name, phases.join(", "));
        for (k, v) in &t.notes {
            println!("{} note: {k}: {v}", t.name);
        }
        for f in &t.failures {
            println!("{} failure: {f}", t.name);
        }
        if t.stopped() {
            println!("{} stopped early after {MAX_FAILURES} failures", t.name);
        }
    }
    let kills: usize = results.iter().map(|t| t.kills).sum();
    let recovered: usize = results.iter().map(|t| t.recovered).sum();
    let failures: usize = results.iter().map(|t| t.failures.len()).sum();
    println!("summary: kills={kills} recoveries_ok={recovered} failures={failures}");
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

// ---------------------------------------------------------------------------------------
// Randomness, the corpus and its mutations

struct Dice(crate::bench_load::Rng);

impl Dice {
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.0.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        self.0.below(n)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// What the index must show for a marker word after the next completed ingest.
#[derive(Clone, Debug)]
struct Expect {
    marker: String,
    doc: String,
    present: bool,
}

/// The campaign's copy of the corpus. Files it adds may be deleted again; originals are
/// only ever appended to.
struct Corpus {
    root: PathBuf,
    originals: Vec<String>,
    added: Vec<String>,
    domains: Vec<String>,
    next_marker: u64,
    expect: Vec<Expect>,
}

impl Corpus {
    fn copy_from(src: &Path, root: &Path) -> Result<Self> {
        let mut files = Vec::new();
        copy_tree(src, root, Path::new(""), &mut files)?;
        files.sort();
        let mut domains: Vec<String> = files
            .iter()
            .filter_map(|f| f.split_once('/').map(|(d, _)| d.to_string()))
            .collect();
        domains.dedup();
        anyhow::ensure!(
            !domains.is_empty(),
            "no manuals under {} (expected DIR/<domain>/files)",
            src.display()
        );
        Ok(Self {
            root: root.to_path_buf(),
            originals: files,
            added: Vec::new(),
            domains,
            next_marker: 0,
            expect: Vec::new(),
        })
    }

    fn count(&self) -> usize {
        self.originals.len() + self.added.len()
    }

    /// A made-up word no manual contains, unique within the campaign.
    fn marker(&mut self) -> String {
        self.next_marker += 1;
        let mut s = String::from("kilnx");
        let mut v = self.next_marker + 26 * 26;
        while v > 0 {
            s.push(char::from(b'a' + (v % 26) as u8));
            v /= 26;
        }
        s
    }

    /// One to three changes: delete a file the campaign added, append a paragraph to a text
    /// file, add a new file. The expectations are replaced by this round's.
    fn mutate(&mut self, rng: &mut Dice) -> Result<Vec<String>> {
        let mut ops = Vec::new();
        let mut expect = Vec::new();
        loop {
            if !self.added.is_empty() && rng.chance(if self.added.len() > 4 { 0.8 } else { 0.3 }) {
                let doc = self.added.remove(rng.below(self.added.len()));
                let marker = fs::read_to_string(self.root.join(&doc))
                    .ok()
                    .and_then(|t| {
                        t.split_whitespace()
                            .find(|w| w.starts_with("kilnx"))
                            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string())
                    })
                    .unwrap_or_default();
                fs::remove_file(self.root.join(&doc)).with_context(|| format!("deleting {doc}"))?;
                if !marker.is_empty() {
                    expect.push(Expect {
                        marker,
                        doc: doc.clone(),
                        present: false,
                    });
                }
                ops.push(format!("delete {doc}"));
            }
            if rng.chance(0.6) {
                let texts: Vec<&String> = self
                    .originals
                    .iter()
                    .chain(&self.added)
                    .filter(|f| f.ends_with(".txt") || f.ends_with(".md"))
                    .collect();
                if !texts.is_empty() {
                    let doc = texts[rng.below(texts.len())].clone();
                    let marker = self.marker();
                    let mut f = fs::OpenOptions::new()
                        .append(true)
                        .open(self.root.join(&doc))
                        .with_context(|| format!("changing {doc}"))?;
                    write!(
                        f,
                        "\n\nService bulletin {marker}: after replacing the {marker} gasket, \
                         torque the cover bolts to 12 N m and record the reading in the log.\n"
                    )?;
                    expect.push(Expect {
                        marker,
                        doc: doc.clone(),
                        present: true,
                    });
                    ops.push(format!("change {doc}"));
                }
            }
            if rng.chance(0.5) {
                let domain = self.domains[rng.below(self.domains.len())].clone();
                let marker = self.marker();
                let doc = format!("{domain}/bulletin-{marker}.txt");
                fs::write(
                    self.root.join(&doc),
                    format!(
                        "Service bulletin {marker}\n\nScope\n\nThis bulletin covers the \
                         {marker} retrofit kit for the unit.\n\nProcedure\n\n1. Isolate power \
                         before opening the {marker} housing.\n2. Replace the filter element \
                         and the seal.\n3. Record the {marker} reading in the service log.\n"
                    ),
                )
                .with_context(|| format!("adding {doc}"))?;
                self.added.push(doc.clone());
                expect.push(Expect {
                    marker,
                    doc: doc.clone(),
                    present: true,
                });
                ops.push(format!("add {doc}"));
            }
            if !ops.is_empty() {
                break;
            }
        }
        self.expect = expect;
        Ok(ops)
    }
}

fn copy_tree(src: &Path, dst: &Path, rel: &Path, files: &mut Vec<String>) -> Result<()> {
    fs::create_dir_all(dst.join(rel)).with_context(|| format!("creating {}", dst.display()))?;
    let dir = src.join(rel);
    for e in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let e = e?;
        let r = rel.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_tree(src, dst, &r, files)?;
        } else {
            fs::copy(e.path(), dst.join(&r))
                .with_context(|| format!("copying {}", e.path().display()))?;
            if r.components().count() > 1 {
                files.push(r.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Running `nic` children

struct Kit {
    exe: PathBuf,
    model: PathBuf,
    work: PathBuf,
    logs: PathBuf,
    corpus: Corpus,
    rng: Dice,
    clients: usize,
    audit_window: Duration,
    servers_started: usize,
}

/// A finished child.
struct Done {
    code: Option<i32>,
    signal: Option<i32>,
    out: String,
    err: String,
    secs: f64,
}

impl Done {
    fn ok(&self) -> bool {
        self.code == Some(0)
    }

    fn describe(&self) -> String {
        let tail = |s: &str| {
            let s = s.trim();
            let start = s.len().saturating_sub(300);
            let start = (start..=s.len())
                .find(|i| s.is_char_boundary(*i))
                .unwrap_or(0);
            s[start..].replace('\n', " | ")
        };
        format!(
            "exit {:?}{}: {} {}",
            self.code,
            self.signal
                .map(|s| format!(" signal {s}"))
                .unwrap_or_default(),
            tail(&self.err),
            tail(&self.out)
        )
    }
}

impl Kit {
    fn new(cfg: &NicConfig, a: &KillArgs) -> Result<Self> {
        let work = cfg.data_dir.clone();
        if work.exists() {
            let empty = fs::read_dir(&work)?.next().is_none();
            anyhow::ensure!(
                empty || work.join(MARKER_FILE).exists(),
                "--data-dir {} is not empty and not a kill campaign's directory; the campaign \
                 wipes it, so give it an empty or new directory",
                work.display()
            );
            fs::remove_dir_all(&work).with_context(|| format!("clearing {}", work.display()))?;
        }
        fs::create_dir_all(&work)?;
        let work = work.canonicalize()?;
        fs::write(work.join(MARKER_FILE), "nic bench kill\n")?;
        let logs = work.join("logs");
        fs::create_dir_all(&logs)?;
        let model = cfg.model_dir();
        anyhow::ensure!(
            model.join("config.json").is_file(),
            "no embedding model at {} (run `make model` or pass --model)",
            model.display()
        );
        let corpus = Corpus::copy_from(&a.corpus, &work.join("corpus"))?;
        Ok(Self {
            exe: std::env::current_exe().context("locating the nic binary")?,
            model: model.canonicalize()?,
            work,
            logs,
            corpus,
            rng: Dice(crate::bench_load::Rng::new(a.seed)),
            clients: a.clients.max(1),
            audit_window: Duration::from_millis(a.audit_window_ms.max(1)),
            servers_started: 0,
        })
    }

    fn nic(&self, data: &Path) -> Command {
        self.nic_via(Command::new(&self.exe), data)
    }

    /// `nic` under `strace`, SIGKILLed at the `nth` call of `syscall`.
    fn nic_killed_at(&self, data: &Path, syscall: &str, nth: usize) -> Command {
        let mut c = Command::new("strace");
        c.args(["-f", "-qq", "-o", "/dev/null", "-e"])
            .arg(format!("trace={syscall}"))
            .arg("-e")
            .arg(format!("inject={syscall}:signal=KILL:when={nth}"))
            .arg(&self.exe);
        self.nic_via(c, data)
    }

    fn nic_via(&self, mut c: Command, data: &Path) -> Command {
        c.arg("--data-dir")
            .arg(data)
            .arg("--model")
            .arg(&self.model)
            .env_remove("NOVA_API_TOKEN")
            .env("NIC_LOG", "warn")
            .stdin(Stdio::null());
        c
    }

    fn spawn_logged(&self, mut cmd: Command, name: &str) -> Result<Child> {
        let out = fs::File::create(self.logs.join(format!("{name}.out")))?;
        let err = fs::File::create(self.logs.join(format!("{name}.err")))?;
        cmd.stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting `nic` for {name}"))
    }

    fn collect(&self, name: &str, status: std::process::ExitStatus, secs: f64) -> Done {
        let read = |ext: &str| {
            fs::read_to_string(self.logs.join(format!("{name}.{ext}"))).unwrap_or_default()
        };
        Done {
            code: status.code(),
            signal: status.signal(),
            out: read("out"),
            err: read("err"),
            secs,
        }
    }

    /// Runs a child to completion (killed after `timeout`).
    fn run(&self, cmd: Command, name: &str, timeout: Duration) -> Result<Done> {
        let t = Instant::now();
        let mut child = self.spawn_logged(cmd, name)?;
        loop {
            if let Some(st) = child.try_wait()? {
                return Ok(self.collect(name, st, t.elapsed().as_secs_f64()));
            }
            if t.elapsed() > timeout {
                let _ = child.kill();
                let st = child.wait()?;
                let mut d = self.collect(name, st, t.elapsed().as_secs_f64());
                d.err = format!("timed out after {timeout:?}; {}", d.err);
                return Ok(d);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Runs a child and SIGKILLs it `delay` after the start. `killed` is false when it ended
    /// on its own first.
    fn run_killed(&self, cmd: Command, name: &str, delay: Duration) -> Result<(Done, bool)> {
        let t = Instant::now();
        let mut child = self.spawn_logged(cmd, name)?;
        let deadline = t + delay;
        loop {
            if child.try_wait()?.is_some() {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                let _ = child.kill();
                break;
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(2)));
        }
        let st = child.wait()?;
        let killed = st.signal() == Some(libc::SIGKILL);
        Ok((self.collect(name, st, t.elapsed().as_secs_f64()), killed))
    }

    // --- checks --------------------------------------------------------------------------

    /// `nic index verify`: every kept generation and the databases. With `allow_none`, a
    /// data directory that never had a generation published passes.
    fn check_index(&self, data: &Path, allow_none: bool) -> Result<(), String> {
        if allow_none && !data.join("CURRENT").exists() {
            return Ok(());
        }
        let mut c = self.nic(data);
        c.args(["index", "verify", "--json"]);
        let d = self
            .run(c, "index-verify", Duration::from_secs(600))
            .map_err(|e| e.to_string())?;
        if d.ok() {
            return Ok(());
        }
        let detail = match serde_json::from_str::<Value>(&d.out) {
            Ok(v) => {
                let mut parts = Vec::new();
                for g in v["generations"].as_array().into_iter().flatten() {
                    if g["ok"] != Value::Bool(true) {
                        parts.push(format!(
                            "generation {}{}: {} {}",
                            g["id"],
                            if g["current"] == Value::Bool(true) {
                                " (current)"
                            } else {
                                ""
                            },
                            g["problems"],
                            g["error"]
                        ));
                    }
                }
                for p in v["databases"].as_array().into_iter().flatten() {
                    parts.push(format!("database {p}"));
                }
                parts.join("; ")
            }
            Err(_) => d.describe(),
        };
        Err(format!("`nic index verify` failed: {detail}"))
    }

    /// Documents in the current generation (`nic index stats`).
    fn documents(&self, data: &Path) -> Result<u64, String> {
        let mut c = self.nic(data);
        c.args(["index", "stats", "--json"]);
        let d = self
            .run(c, "index-stats", Duration::from_secs(300))
            .map_err(|e| e.to_string())?;
        if !d.ok() {
            return Err(format!("`nic index stats` failed: {}", d.describe()));
        }
        serde_json::from_str::<Value>(&d.out)
            .ok()
            .and_then(|v| v["documents"].as_u64())
            .ok_or_else(|| "`nic index stats --json` has no document count".to_string())
    }

    /// The marker words of the last corpus change, through `nic search`.
    fn check_markers_cli(&self, data: &Path) -> Result<(), String> {
        // One search for all of them (one model load): each marker is in one file only, so
        // a file's lexical hit comes from its own marker.
        let expect = &self.corpus.expect;
        if expect.is_empty() {
            return Ok(());
        }
        let query: Vec<&str> = expect.iter().map(|e| e.marker.as_str()).collect();
        let query = query.join(" ");
        let k = (4 * expect.len()).max(5).to_string();
        let mut c = self.nic(data);
        c.args(["search", &query, "--k", &k, "--json"]);
        let d = self
            .run(c, "search", Duration::from_secs(300))
            .map_err(|e| e.to_string())?;
        if !d.ok() {
            return Err(format!("`nic search {query}` failed: {}", d.describe()));
        }
        let v: Value = serde_json::from_str(&d.out).map_err(|x| x.to_string())?;
        expect.iter().try_for_each(|e| check_marker(e, &v["hits"]))
    }

    /// The same through a server's `/api/search`.
    fn check_markers_http(&self, addr: &str) -> Result<(), String> {
        for e in &self.corpus.expect {
            let body = serde_json::json!({"query": e.marker, "k": 5}).to_string();
            let (code, text) = http(
                addr,
                "POST",
                "/api/search",
                Some(&body),
                Duration::from_secs(120),
            )?;
            if code != 200 {
                return Err(format!("/api/search {}: HTTP {code}: {text}", e.marker));
            }
            let v: Value = serde_json::from_str(&text).map_err(|x| x.to_string())?;
            check_marker(e, &v["results"])?;
        }
        Ok(())
    }

    /// `nic audit verify --json` plus an independent recomputation of the chain from
    /// `nic audit export`. `Ok` carries what verify said; `Err` is a failure of the checker
    /// itself or an intact verdict the recomputation contradicts.
    fn check_audit(&self, data: &Path) -> Result<AuditState, String> {
        if !nic_audit::audit_path(data).exists() {
            return Ok(AuditState::default());
        }
        let mut c = self.nic(data);
        c.args(["audit", "verify", "--json"]);
        let d = self
            .run(c, "audit-verify", Duration::from_secs(300))
            .map_err(|e| e.to_string())?;
        let v: Value = match (d.code, serde_json::from_str::<Value>(&d.out)) {
            (Some(0 | 1), Ok(v)) => v,
            _ => {
                return Ok(AuditState {
                    error: Some(format!("`nic audit verify` failed: {}", d.describe())),
                    ..AuditState::default()
                })
            }
        };
        let problems: Vec<String> = v["problems"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p.as_str().unwrap_or_default().to_string())
            .collect();
        let state = AuditState {
            records: v["records"].as_u64().unwrap_or(0),
            head: v["head_hash"].as_str().map(str::to_string),
            problems,
            error: None,
        };
        if d.ok() != state.problems.is_empty() {
            return Err(format!(
                "`nic audit verify` exit {:?} disagrees with its own report {:?}",
                d.code, state.problems
            ));
        }
        let mut c = self.nic(data);
        c.args(["audit", "export", "--since", "0"]);
        let ex = self
            .run(c, "audit-export", Duration::from_secs(300))
            .map_err(|e| e.to_string())?;
        if !ex.ok() {
            return Err(format!("`nic audit export` failed: {}", ex.describe()));
        }
        let recomputed = recompute_chain(&ex.out);
        if state.problems.is_empty() {
            match recomputed {
                Ok((n, head)) if n == state.records && head == state.head => {}
                Ok((n, head)) => {
                    return Err(format!(
                        "verify says intact with {} records, head {:?}; the export recomputes \
                         to {n} records, head {head:?}",
                        state.records, state.head
                    ))
                }
                Err(e) => {
                    return Err(format!(
                        "verify says intact but the exported chain does not recompute: {e}"
                    ))
                }
            }
        }
        Ok(state)
    }
}

#[derive(Default, Debug)]
struct AuditState {
    records: u64,
    head: Option<String>,
    /// Findings of `nic audit verify` (the chain is reported broken).
    problems: Vec<String>,
    /// `nic audit verify` could not read the log at all (reported, loudly).
    error: Option<String>,
}

impl AuditState {
    fn intact(&self) -> bool {
        self.problems.is_empty() && self.error.is_none()
    }
}

fn check_marker(e: &Expect, hits: &Value) -> Result<(), String> {
    let hits = hits.as_array().cloned().unwrap_or_default();
    let docs: Vec<(String, f64)> = hits
        .iter()
        .map(|h| {
            (
                h["doc"].as_str().unwrap_or_default().to_string(),
                h["bm25"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    let found = docs.iter().any(|(d, b)| *d == e.doc && *b > 0.0);
    let listed = docs.iter().any(|(d, _)| *d == e.doc);
    if e.present && !found {
        return Err(format!(
            "marker {} written into {} is not in the index (hits {docs:?})",
            e.marker, e.doc
        ));
    }
    if !e.present && listed {
        return Err(format!(
            "{} was deleted but is still in the index (marker {}, hits {docs:?})",
            e.doc, e.marker
        ));
    }
    Ok(())
}

/// Recomputes the hash chain of `nic audit export` lines on its own: contiguous `seq` from 1,
/// every `prev_hash` the hash before, every hash over its canonical body. (Records count,
/// head hash.)
fn recompute_chain(export: &str) -> Result<(u64, Option<String>), String> {
    let mut prev = GENESIS_HASH.to_string();
    let mut n = 0u64;
    for line in export.lines().filter(|l| !l.trim().is_empty()) {
        let expected_seq = n + 1;
        let mut v: Value = serde_json::from_str(line).map_err(|e| format!("line {n}: {e}"))?;
        let obj = v.as_object_mut().ok_or("an export line is not an object")?;
        let seq = obj.remove("seq").and_then(|s| s.as_u64()).ok_or("no seq")?;
        let prev_hash = obj
            .remove("prev_hash")
            .and_then(|s| s.as_str().map(str::to_string))
            .ok_or("no prev_hash")?;
        let hash = obj
            .remove("hash")
            .and_then(|s| s.as_str().map(str::to_string))
            .ok_or("no hash")?;
        if seq != expected_seq {
            return Err(format!("seq {seq} where {expected_seq} was due"));
        }
        if prev_hash != prev {
            return Err(format!(
                "seq {seq}: prev_hash does not link to seq {}",
                seq - 1
            ));
        }
        let body = canonical_json(&v).map_err(|e| e.to_string())?;
        if chain_hash(&prev, &body, seq) != hash {
            return Err(format!("seq {seq}: hash does not match the content"));
        }
        prev = hash;
        n += 1;
    }
    Ok((n, (n > 0).then_some(prev)))
}

// ---------------------------------------------------------------------------------------
// The generation directory: where a kill landed

#[derive(Clone, Default, PartialEq)]
struct Snap {
    current: Option<String>,
    /// Entries of `generations/` with (inode, ctime s, ctime ns): a re-created directory of
    /// the same name differs.
    gens: BTreeMap<String, (u64, i64, i64)>,
}

fn snap(data: &Path) -> Snap {
    let mut s = Snap {
        current: fs::read_to_string(data.join("CURRENT"))
            .ok()
            .map(|c| c.trim().to_string()),
        gens: BTreeMap::new(),
    };
    if let Ok(rd) = fs::read_dir(data.join("generations")) {
        for e in rd.flatten() {
            if let Ok(m) = e.metadata() {
                s.gens.insert(
                    e.file_name().to_string_lossy().into_owned(),
                    (m.ino(), m.ctime(), m.ctime_nsec()),
                );
            }
        }
    }
    s
}

fn gen_id(name: &str) -> Option<u64> {
    name.strip_prefix("gen-")?.parse().ok()
}

/// The publish step a kill interrupted, judged from the generation directory before and
/// after; `None` when nothing of the publish had happened yet.
fn publish_phase(before: &Snap, after: &Snap) -> Option<&'static str> {
    if after.current != before.current {
        return Some("cleanup");
    }
    let current = after.current.as_deref().and_then(gen_id).unwrap_or(0);
    let fresh = |n: &String, v: &(u64, i64, i64)| before.gens.get(n) != Some(v);
    if after
        .gens
        .iter()
        .any(|(n, v)| fresh(n, v) && gen_id(n).is_some_and(|id| id > current))
    {
        return Some("switch");
    }
    if after
        .gens
        .iter()
        .any(|(n, v)| fresh(n, v) && n.ends_with(".tmp"))
    {
        return Some("build");
    }
    None
}

// ---------------------------------------------------------------------------------------
// Campaign 1: killed ingests

#[derive(Clone, Copy, PartialEq, Debug)]
enum IngestKind {
    Incremental,
    Full,
    First,
}

fn ingest_campaign(kit: &mut Kit, n: usize) -> Result<Tally> {
    let mut t = Tally::new("ingest");
    let data = kit.work.join("index");
    let first = kit.work.join("first");
    let corpus = kit.corpus.root.clone();

    // Unkilled runs: their durations bound the kill delays.
    let mut c = kit.nic(&data);
    c.arg("ingest").arg(&corpus).arg("-q");
    let d = kit.run(c, "measure-full", Duration::from_secs(3600))?;
    if !d.ok() {
        bail!("the unkilled full ingest failed: {}", d.describe());
    }
    let mut t_full = d.secs;
    kit.corpus.mutate(&mut kit.rng)?;
    let mut c = kit.nic(&data);
    c.arg("ingest").arg(&corpus).arg("-q");
    let d = kit.run(c, "measure-incremental", Duration::from_secs(3600))?;
    if !d.ok() {
        bail!("the unkilled incremental ingest failed: {}", d.describe());
    }
    let mut t_inc = d.secs;
    if let Err(e) = kit.check_index(&data, false) {
        bail!("after the unkilled ingests: {e}");
    }
    println!("ingest: unkilled full run {t_full:.1} s, incremental run {t_inc:.1} s");
    let (t_full_measured, t_inc_measured) = (t_full, t_inc);
    // Random times almost never land in the publish steps that take milliseconds (rename,
    // CURRENT switch, prune): a quarter of the kills are exact, at the n-th call of a
    // file-system syscall, delivered by strace, with n uniform over an unkilled run's calls.
    let syscalls = if strace_works() {
        kit.corpus.mutate(&mut kit.rng)?;
        count_syscalls(kit, &data)?
    } else {
        println!("ingest: strace unavailable, every kill is timed");
        Vec::new()
    };
    if !syscalls.is_empty() {
        let list: Vec<String> = syscalls.iter().map(|(s, n)| format!("{s} {n}")).collect();
        println!("ingest: exact kills at calls of {}", list.join(", "));
    }

    let mut attempt = 0;
    while t.kills < n && attempt < 2 * n + 5 && !t.stopped() {
        attempt += 1;
        t.runs += 1;
        let kind = match kit.rng.below(10) {
            0 => IngestKind::First,
            1 | 2 => IngestKind::Full,
            _ => IngestKind::Incremental,
        };
        let dir = if kind == IngestKind::First {
            &first
        } else {
            &data
        };
        if kind == IngestKind::First && first.exists() {
            fs::remove_dir_all(&first)?;
        }
        let ops = match kind {
            IngestKind::Incremental => kit.corpus.mutate(&mut kit.rng)?,
            IngestKind::Full if kit.rng.chance(0.5) => kit.corpus.mutate(&mut kit.rng)?,
            _ => Vec::new(),
        };
        let before = snap(dir);
        let exact = if !syscalls.is_empty() && kind != IngestKind::First && kit.rng.chance(0.25) {
            let (sc, n) = &syscalls[kit.rng.below(syscalls.len())];
            Some((sc.clone(), 1 + kit.rng.below(*n)))
        } else {
            None
        };
        let mut c = match &exact {
            Some((sc, nth)) => kit.nic_killed_at(dir, sc, *nth),
            None => kit.nic(dir),
        };
        c.arg("ingest");
        // Half the incremental runs re-scan the catalog's roots (no DIR), like a reload.
        if kind != IngestKind::Incremental || attempt % 2 == 0 {
            c.arg(&corpus);
        }
        if kind == IngestKind::Full {
            c.arg("--rebuild");
        }
        let budget = if kind == IngestKind::Incremental {
            t_inc
        } else {
            t_full
        };
        let delay = match exact {
            // strace kills; the timer only guards against a run that hangs.
            Some(_) => Duration::from_secs_f64(budget * 20.0 + 120.0),
            None => Duration::from_secs_f64(kit.rng.unit() * budget),
        };
        let name = format!("ingest-{attempt:03}");
        let (d, killed) = kit.run_killed(c, &name, delay)?;
        let label = format!(
            "#{attempt} {kind:?}{}",
            if ops.is_empty() {
                String::new()
            } else {
                format!(" [{}]", ops.join(", "))
            }
        );
        if !killed {
            t.finished_first += 1;
            if !d.ok() {
                t.fail(format!(
                    "{label}: the unkilled run failed: {}",
                    d.describe()
                ));
                continue;
            }
            // A run that beat its kill says how long runs take now (the machine's load
            // changes): the next delays are drawn over the updated estimate, kept within
            // half and one and a half times the measured duration (a run that only deletes
            // files needs no embedding and is much shorter than one that changes a file).
            if exact.is_none() {
                let (t_kind, measured) = if kind == IngestKind::Incremental {
                    (&mut t_inc, t_inc_measured)
                } else {
                    (&mut t_full, t_full_measured)
                };
                *t_kind = ((*t_kind + d.secs) / 2.0).clamp(0.5 * measured, 1.5 * measured);
            }
        } else {
            t.kills += 1;
        }
        let started = d
            .err
            .lines()
            .filter(|l| l.starts_with('[') && l.contains('/'))
            .count();
        let phase = if !killed {
            "finished".to_string()
        } else {
            let p = match publish_phase(&before, &snap(dir)) {
                Some(p) => p,
                None if started == 0 => "startup",
                None => "files",
            };
            match &exact {
                Some((sc, _)) => format!("{p} (exact, {sc})"),
                None => p.to_string(),
            }
        };
        if killed {
            *t.phases.entry(phase.clone()).or_default() += 1;
        }
        let res = recover_ingest(kit, dir, kind == IngestKind::First);
        let when = match &exact {
            Some((sc, nth)) => format!("call {nth} of {sc}"),
            None => format!("{:.2} s of ~{budget:.1} s", delay.as_secs_f64()),
        };
        println!(
            "ingest {label}: {} at {when}, phase {phase} ({started} files started) -> {}",
            if killed { "killed" } else { "finished" },
            match &res {
                Ok(()) => "recovered".to_string(),
                Err(e) => format!("FAILED: {e}"),
            }
        );
        match res {
            Ok(()) => t.recovered += 1,
            Err(e) => t.fail(format!("{label} phase {phase}: {e}")),
        }
    }
    Ok(t)
}

fn strace_works() -> bool {
    Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=none", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// File-system syscalls of one unkilled incremental ingest and how often each was called.
fn count_syscalls(kit: &Kit, data: &Path) -> Result<Vec<(String, usize)>> {
    const TRACED: &str = "fsync,fdatasync,rename,renameat,renameat2,unlinkat";
    let trace = kit.logs.join("strace-count.txt");
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-o"])
        .arg(&trace)
        .args(["-e", &format!("trace={TRACED}")])
        .arg(&kit.exe);
    let mut c = kit.nic_via(c, data);
    c.arg("ingest").arg(&kit.corpus.root).arg("-q");
    let d = kit.run(c, "strace-count", Duration::from_secs(3600))?;
    if !d.ok() {
        bail!("the unkilled ingest under strace failed: {}", d.describe());
    }
    let text = fs::read_to_string(&trace)?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        // "PID name(args…) = result"
        let call = line.split_whitespace().nth(1).unwrap_or_default();
        if let Some((name, _)) = call.split_once('(') {
            if TRACED.split(',').any(|t| t == name) {
                *counts.entry(name.to_string()).or_default() += 1;
            }
        }
    }
    Ok(counts.into_iter().collect())
}

/// After a killed ingest: the served generation verifies, the next ingest completes, and the
/// index then holds exactly the corpus.
fn recover_ingest(kit: &Kit, data: &Path, first_ever: bool) -> Result<(), String> {
    kit.check_index(data, first_ever)
        .map_err(|e| format!("right after the kill: {e}"))?;
    let mut c = kit.nic(data);
    c.arg("ingest").arg(&kit.corpus.root).arg("-q");
    let d = kit
        .run(c, "recovery-ingest", Duration::from_secs(3600))
        .map_err(|e| e.to_string())?;
    if !d.ok() {
        return Err(format!("the next ingest failed: {}", d.describe()));
    }
    kit.check_index(data, false)
        .map_err(|e| format!("after the next ingest: {e}"))?;
    let docs = kit.documents(data)?;
    if docs != kit.corpus.count() as u64 {
        return Err(format!(
            "after the next ingest the index has {docs} documents, the corpus {}",
            kit.corpus.count()
        ));
    }
    kit.check_markers_cli(data)
}

// ---------------------------------------------------------------------------------------
// Campaigns 2 and 3: a server killed during reloads, and while writing audit records

/// A `nic serve` child on a loopback port.
struct Srv {
    child: Child,
    addr: String,
    /// Audit records in the log when it started.
    audit_at_start: u64,
}

impl Drop for Srv {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Srv {
    /// SIGKILL; an error when the server had already exited on its own.
    fn kill(&mut self) -> Result<(), String> {
        if let Ok(Some(st)) = self.child.try_wait() {
            return Err(format!("the server had exited on its own ({st})"));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        Ok(())
    }
}

impl Kit {
    fn start_server(&mut self, data: &Path, audit_at_start: u64) -> Result<Srv, String> {
        self.servers_started += 1;
        let name = format!("serve-{:03}", self.servers_started);
        let err =
            fs::File::create(self.logs.join(format!("{name}.err"))).map_err(|e| e.to_string())?;
        let mut c = self.nic(data);
        c.args(["serve", "--port", "0", "--bind", "127.0.0.1"])
            .env("NOVA_RATE_LIMIT_PER_MINUTE", "0")
            .env("NOVA_QUEUE_MAX", "1024")
            .stdout(Stdio::piped())
            .stderr(err);
        let mut child = c.spawn().map_err(|e| format!("starting nic serve: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout from nic serve")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let mut srv = Srv {
            child,
            addr: String::new(),
            audit_at_start,
        };
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_default();
        match line.trim().strip_prefix("listening on http://") {
            Some(a) => srv.addr = a.to_string(),
            None => {
                let log =
                    fs::read_to_string(self.logs.join(format!("{name}.err"))).unwrap_or_default();
                return Err(format!(
                    "nic serve did not start (first line {line:?}): {}",
                    log.trim()
                ));
            }
        }
        Ok(srv)
    }

    /// A restarted server: healthy (index verified, audit log writable), answers, and its
    /// answer reaches the audit log.
    fn check_restarted(&self, srv: &Srv) -> Result<(), String> {
        let h = health(&srv.addr)?;
        let status = h["status"].as_str().unwrap_or_default();
        let index = &h["checks"]["index"];
        let audit = &h["checks"]["audit"];
        if status != "healthy" || index["status"] != "pass" || audit["status"] != "pass" {
            return Err(format!(
                "restarted server not healthy: status {status}, index {index}, audit {audit}"
            ));
        }
        let before = audit["written"].as_u64().unwrap_or(0);
        ask(&srv.addr, QUESTIONS[0])?;
        let t = Instant::now();
        loop {
            let w = health(&srv.addr)?["checks"]["audit"]["written"]
                .as_u64()
                .unwrap_or(0);
            if w > before {
                return Ok(());
            }
            if t.elapsed() > Duration::from_secs(30) {
                return Err("the restarted server's answer never reached the audit log".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's ingest completes (`POST /api/reload`), the new generation verifies and
    /// holds exactly the corpus.
    fn reload_and_check(&self, srv: &Srv, data: &Path) -> Result<f64, String> {
        let t = Instant::now();
        let (code, body) = http(
            &srv.addr,
            "POST",
            "/api/reload",
            Some("{}"),
            Duration::from_secs(3600),
        )?;
        let secs = t.elapsed().as_secs_f64();
        if code != 200 {
            return Err(format!("POST /api/reload: HTTP {code}: {body}"));
        }
        self.check_index(data, false)
            .map_err(|e| format!("after the reload: {e}"))?;
        let h = health(&srv.addr)?;
        let docs = h["checks"]["index"]["documents"].as_u64().unwrap_or(0);
        if docs != self.corpus.count() as u64 {
            return Err(format!(
                "after the reload the server serves {docs} documents, the corpus has {}",
                self.corpus.count()
            ));
        }
        self.check_markers_http(&srv.addr)?;
        Ok(secs)
    }

    /// After a server kill: the audit chain verifies and kept what was written. `torn` says
    /// the WAL tail was torn on purpose (records may then be lost, or the damage reported).
    fn check_audit_after_kill(
        &self,
        data: &Path,
        srv: &Srv,
        written: u64,
        torn: bool,
    ) -> Result<AuditState, String> {
        let a = self.check_audit(data)?;
        if !torn {
            if let Some(e) = &a.error {
                return Err(e.clone());
            }
            if !a.problems.is_empty() {
                return Err(format!(
                    "`nic audit verify` reports a broken chain after a kill: {:?}",
                    a.problems
                ));
            }
            if a.records < srv.audit_at_start + written {
                return Err(format!(
                    "audit records lost: {} at the server's start + {written} reported written \
                     before the kill, {} in the log after it",
                    srv.audit_at_start, a.records
                ));
            }
        }
        Ok(a)
    }

    /// Cuts the audit WAL inside its last frame, as a write cut off mid-way would; `None`
    /// when there is no frame to tear.
    fn tear_wal(&mut self, data: &Path) -> Result<Option<(u64, u64)>> {
        let wal = PathBuf::from(format!("{}-wal", nic_audit::audit_path(data).display()));
        let Ok(meta) = fs::metadata(&wal) else {
            return Ok(None);
        };
        let len = meta.len();
        let mut header = [0u8; 32];
        if len <= 32 {
            return Ok(None);
        }
        fs::File::open(&wal)?.read_exact(&mut header)?;
        let page = u64::from(u32::from_be_bytes([
            header[8], header[9], header[10], header[11],
        ]));
        let frame = 24 + page;
        let frames = (len - 32) / frame;
        if page == 0 || frames == 0 {
            return Ok(None);
        }
        let last = 32 + (frames - 1) * frame;
        let cut = last + 1 + self.rng.below((frame - 1) as usize) as u64;
        fs::OpenOptions::new()
            .write(true)
            .open(&wal)?
            .set_len(cut)?;
        Ok(Some((len, cut)))
    }
}

fn server_campaigns(
    kit: &mut Kit,
    reloads: usize,
    audits: usize,
) -> Result<(Option<Tally>, Option<Tally>)> {
    let data = kit.work.join("index");
    if !data.join("CURRENT").exists() {
        // No ingest campaign ran: build the index the server needs.
        let mut c = kit.nic(&data);
        c.arg("ingest").arg(&kit.corpus.root).arg("-q");
        let d = kit.run(c, "initial-ingest", Duration::from_secs(3600))?;
        if !d.ok() {
            bail!("the initial ingest failed: {}", d.describe());
        }
    }
    let start_audit = kit.check_audit(&data).map_err(anyhow::Error::msg)?;
    anyhow::ensure!(
        start_audit.intact(),
        "the audit log is broken before the campaign: {start_audit:?}"
    );
    let srv = kit
        .start_server(&data, start_audit.records)
        .map_err(anyhow::Error::msg)?;
    kit.check_restarted(&srv).map_err(anyhow::Error::msg)?;
    let mut srv = Some(srv);
    let mut reload_tally = None;
    if let (true, Some(s)) = (reloads > 0, srv.take()) {
        let (t, s) = reload_campaign(kit, &data, s, reloads)?;
        reload_tally = Some(t);
        srv = s;
    }
    let mut audit_tally = None;
    if audits > 0 {
        audit_tally = Some(audit_campaign(kit, &data, srv, audits)?);
    }
    Ok((reload_tally, audit_tally))
}

/// Restarts the server after a kill and checks it; the campaign cannot go on without one.
fn restart(kit: &mut Kit, data: &Path, audit_records: u64) -> Result<Srv, String> {
    let srv = kit.start_server(data, audit_records)?;
    kit.check_restarted(&srv)?;
    Ok(srv)
}

/// Returns the last server, `None` when it would not restart (a failure already counted).
fn reload_campaign(kit: &mut Kit, data: &Path, srv: Srv, n: usize) -> Result<(Tally, Option<Srv>)> {
    let mut t = Tally::new("reload");
    let mut srv = srv;
    // One unkilled reload under load: its duration bounds the kill delays.
    kit.corpus.mutate(&mut kit.rng)?;
    let load = Load::start(&srv.addr, kit.clients, 0);
    let mut t_reload = kit
        .reload_and_check(&srv, data)
        .map_err(|e| anyhow::anyhow!("the unkilled reload failed: {e}"))?;
    let (_, errors) = load.stop();
    if let Some(e) = errors.first() {
        bail!("/api/ask failed during the unkilled reload: {}", e.1);
    }
    println!("reload: unkilled reload under load {t_reload:.1} s");
    let measured = t_reload;

    for i in 1..=n {
        if t.stopped() {
            break;
        }
        t.runs += 1;
        let ops = kit.corpus.mutate(&mut kit.rng)?;
        let label = format!("#{i} [{}]", ops.join(", "));
        let load = Load::start(&srv.addr, kit.clients, i as u64);
        let before = snap(data);
        let (tx, rx) = mpsc::channel();
        let addr = srv.addr.clone();
        let reloader = std::thread::spawn(move || {
            let started = Instant::now();
            let r = http(
                &addr,
                "POST",
                "/api/reload",
                Some("{}"),
                Duration::from_secs(3600),
            );
            let _ = tx.send(r.map(|(code, _)| (code, started.elapsed().as_secs_f64())));
        });
        let budget = t_reload;
        let delay = Duration::from_secs_f64(kit.rng.unit() * budget);
        std::thread::sleep(delay);
        let written = health(&srv.addr)
            .ok()
            .and_then(|h| h["checks"]["audit"]["written"].as_u64())
            .unwrap_or(0);
        let reload_done = rx.try_recv().ok();
        load.halt();
        let kill_at = Instant::now();
        let killed = srv.kill();
        let _ = reloader.join();
        let (_, errors) = load.stop();
        t.kills += 1;
        let phase = match (&reload_done, publish_phase(&before, &snap(data))) {
            (Some(_), _) => "after the reload returned".to_string(),
            (None, Some(p)) => p.to_string(),
            (None, None) => "ingest".to_string(),
        };
        *t.phases.entry(phase.clone()).or_default() += 1;
        let mut res: Result<(), String> = killed;
        if let Some(Ok((code, secs))) = reload_done {
            if code != 200 && res.is_ok() {
                res = Err(format!("the reload answered HTTP {code}"));
            }
            // A reload that beat its kill says how long reloads take now (the first,
            // measured one can be much longer): later delays are drawn over the estimate.
            t_reload = ((t_reload + secs) / 2.0).clamp(0.2 * measured, 1.5 * measured);
        }
        if res.is_ok() {
            if let Some((_, e)) = errors.iter().find(|(at, _)| *at < kill_at) {
                res = Err(format!("/api/ask failed during the reload: {e}"));
            }
        }
        let mut audit_records = srv.audit_at_start;
        if res.is_ok() {
            res = kit.check_index(data, false).and_then(|()| {
                let a = kit.check_audit_after_kill(data, &srv, written, false)?;
                audit_records = a.records;
                Ok(())
            });
        }
        // The next server: restarted, healthy, and its reload (the next ingest) completes.
        match restart(kit, data, audit_records) {
            Ok(s) => srv = s,
            Err(e) => {
                t.fail(format!(
                    "{label} phase {phase}: the server does not restart: {e}"
                ));
                return Ok((t, None));
            }
        }
        if res.is_ok() {
            res = kit.reload_and_check(&srv, data).map(|_| ());
        }
        println!(
            "reload {label}: killed at {:.2} s of ~{budget:.1} s, phase {phase} -> {}",
            delay.as_secs_f64(),
            match &res {
                Ok(()) => "recovered".to_string(),
                Err(e) => format!("FAILED: {e}"),
            }
        );
        match res {
            Ok(()) => t.recovered += 1,
            Err(e) => t.fail(format!("{label} phase {phase}: {e}")),
        }
    }
    Ok((t, Some(srv)))
}

fn audit_campaign(kit: &mut Kit, data: &Path, srv: Option<Srv>, n: usize) -> Result<Tally> {
    let mut t = Tally::new("audit");
    let mut srv = srv;
    if srv.is_none() {
        let records = kit.check_audit(data).map(|a| a.records).unwrap_or(0);
        match restart(kit, data, records) {
            Ok(s) => srv = Some(s),
            Err(e) => {
                t.fail(format!("the server does not start: {e}"));
                return Ok(t);
            }
        }
    }
    for i in 1..=n {
        if t.stopped() {
            break;
        }
        let Some(mut s) = srv.take() else { break };
        t.runs += 1;
        let load = Load::start(&s.addr, kit.clients, 1000 + i as u64);
        let delay = Duration::from_secs_f64(kit.rng.unit() * kit.audit_window.as_secs_f64());
        std::thread::sleep(delay);
        let h = health(&s.addr).ok();
        let written = h
            .as_ref()
            .and_then(|h| h["checks"]["audit"]["written"].as_u64())
            .unwrap_or(0);
        let queued = h
            .as_ref()
            .and_then(|h| h["checks"]["audit"]["queue_len"].as_u64())
            .unwrap_or(0);
        let writer = audit_thread_state(s.child.id());
        load.halt();
        let kill_at = Instant::now();
        let killed = s.kill();
        let (answered, errors) = load.stop();
        t.kills += 1;
        let phase = match (writer, queued) {
            (Some('R' | 'D'), _) => "append in progress",
            (_, q) if q > 0 => "records queued",
            _ => "writer idle",
        };
        *t.phases.entry(phase.to_string()).or_default() += 1;
        // Every other kill also tears the WAL's last frame.
        let tear = i % 2 == 0;
        let mut res: Result<(), String> = killed;
        if res.is_ok() {
            if let Some((_, e)) = errors.iter().find(|(at, _)| *at < kill_at) {
                res = Err(format!("/api/ask failed before the kill: {e}"));
            }
        }
        // (short kind for the notes, detail for the line)
        let mut outcome: Option<(&'static str, String)> = None;
        let mut records = s.audit_at_start;
        if res.is_ok() {
            res = (|| {
                let torn = if tear {
                    // What the log holds before the tear, read from a copy.
                    let pre =
                        copy_audit(data, &kit.work.join("tear-copy")).map_err(|e| e.to_string())?;
                    let pre = kit.check_audit(&pre)?;
                    let cut = kit.tear_wal(data).map_err(|e| e.to_string())?;
                    cut.map(|c| (c, pre))
                } else {
                    None
                };
                let a = kit.check_audit_after_kill(data, &s, written, torn.is_some())?;
                records = a.records;
                outcome = Some(match &torn {
                    None if tear => ("no WAL frame to tear, chain intact", String::new()),
                    None => ("chain intact", String::new()),
                    Some(((len, cut), pre)) => {
                        let (kind, what) = if let Some(e) = &a.error {
                            ("torn tail reported (log unreadable)", e.clone())
                        } else if !a.problems.is_empty() {
                            ("torn tail reported by verify", format!("{:?}", a.problems))
                        } else if a.records < pre.records {
                            (
                                "torn tail discarded by recovery, chain intact",
                                format!("{} record(s) rolled back", pre.records - a.records),
                            )
                        } else if a.records == pre.records {
                            (
                                "torn frame held no live record, chain intact",
                                String::new(),
                            )
                        } else {
                            return Err(format!(
                                "{} records after the tear, {} before it",
                                a.records, pre.records
                            ));
                        };
                        (kind, format!("WAL cut from {len} to {cut} bytes; {what}"))
                    }
                });
                // Answers given plus the restart check's and those in flight at the kill.
                let most = s.audit_at_start + answered + 1 + kit.clients as u64;
                if records > most {
                    return Err(format!(
                        "{records} audit records but at most {most} answers were given"
                    ));
                }
                kit.check_index(data, false)
            })();
        }
        if let Some((kind, _)) = &outcome {
            t.note(*kind);
        }
        let restarted = restart(kit, data, records);
        let res = res.and_then(|()| restarted.as_ref().map(|_| ()).map_err(Clone::clone));
        println!(
            "audit #{i}: killed at {:.2} s with {written} written, {queued} queued, phase {phase}{} -> {}",
            delay.as_secs_f64(),
            match &outcome {
                Some((kind, what)) if what.is_empty() => format!("; {kind}"),
                Some((kind, what)) => format!("; {kind} ({what})"),
                None => String::new(),
            },
            match &res {
                Ok(()) => "recovered".to_string(),
                Err(e) => format!("FAILED: {e}"),
            }
        );
        match res {
            Ok(()) => t.recovered += 1,
            Err(e) => t.fail(format!("#{i} phase {phase}: {e}")),
        }
        match restarted {
            Ok(s2) => srv = Some(s2),
            Err(_) => break,
        }
    }
    Ok(t)
}

/// A consistent copy of the audit log files (server stopped) under `dst/audit/`.
fn copy_audit(data: &Path, dst: &Path) -> Result<PathBuf> {
    if dst.exists() {
        fs::remove_dir_all(dst)?;
    }
    let src = nic_audit::audit_path(data);
    let to = nic_audit::audit_path(dst);
    fs::create_dir_all(to.parent().context("audit dir")?)?;
    for ext in ["", "-wal", "-shm"] {
        let s = PathBuf::from(format!("{}{ext}", src.display()));
        if s.exists() {
            fs::copy(&s, format!("{}{ext}", to.display()))?;
        }
    }
    Ok(dst.to_path_buf())
}

/// The scheduler state (`R`, `S`, `D`, …) of the server's audit writer thread.
fn audit_thread_state(pid: u32) -> Option<char> {
    let tasks = fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    for t in tasks.flatten() {
        let comm = fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        if comm.trim() == "nic-audit" {
            let stat = fs::read_to_string(t.path().join("stat")).ok()?;
            return stat.rsplit_once(')')?.1.trim().chars().next();
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// HTTP: a tiny blocking client (one request per connection) and the ask load

fn http(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    timeout: Duration,
) -> Result<(u16, String), String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(timeout)).ok();
    s.set_write_timeout(Some(Duration::from_secs(30))).ok();
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("{method} {path}: incomplete response ({} bytes)", raw.len()))?;
    let code: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("{method} {path}: bad status line"))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok((code, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn health(addr: &str) -> Result<Value, String> {
    let (_, body) = http(addr, "GET", "/health", None, Duration::from_secs(30))?;
    serde_json::from_str(&body).map_err(|e| format!("/health: {e}: {body}"))
}

fn ask(addr: &str, q: &str) -> Result<(), String> {
    let body = serde_json::json!({"question": q, "mode": "extractive"}).to_string();
    let (code, text) = http(
        addr,
        "POST",
        "/api/ask",
        Some(&body),
        Duration::from_secs(120),
    )?;
    if code == 200 {
        Ok(())
    } else {
        Err(format!("/api/ask HTTP {code}: {text}"))
    }
}

/// `/api/ask` clients in threads until halted; errors carry when they happened, so those
/// caused by the kill itself can be told apart.
struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<ClientResult>>,
}

/// Answers received, and every error with when it happened.
type ClientResult = (u64, Vec<(Instant, String)>);

impl Load {
    fn start(addr: &str, clients: usize, seed: u64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..clients)
            .map(|c| {
                let stop = Arc::clone(&stop);
                let addr = addr.to_string();
                let mut rng = crate::bench_load::Rng::new(seed * 31 + c as u64 + 1);
                std::thread::spawn(move || {
                    let (mut ok, mut errors) = (0, Vec::new());
                    while !stop.load(Ordering::SeqCst) {
                        let q = QUESTIONS[rng.below(QUESTIONS.len())];
                        match ask(&addr, q) {
                            Ok(()) => ok += 1,
                            Err(e) => {
                                errors.push((Instant::now(), e));
                                std::thread::sleep(Duration::from_millis(20));
                            }
                        }
                    }
                    (ok, errors)
                })
            })
            .collect();
        Self { stop, threads }
    }

    /// No new requests from now on.
    fn halt(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Answers received and errors, once every client has ended.
    fn stop(self) -> ClientResult {
        self.halt();
        let mut ok = 0;
        let mut errors = Vec::new();
        for t in self.threads {
            if let Ok((o, e)) = t.join() {
                ok += o;
                errors.extend(e);
            }
        }
        (ok, errors)
    }
}
