//! `nic bench fuzz`: the stable-Rust fuzz harness (crate nic-fuzz) over every parser that
//! sees untrusted input. Each target runs in a child process (so a stack overflow or an
//! abort is caught, saved and survived) for `--seconds`; failing inputs are saved under
//! `--out/<target>/` with a note; the exit code is 1 when anything failed.

use anyhow::{bail, Context, Result};
use clap::Args;
use nic_fuzz::{Options, Report, Target};
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

#[derive(Args, Debug)]
pub struct FuzzArgs {
    /// Seconds per target.
    #[arg(long, default_value_t = 60.0)]
    pub seconds: f64,
    /// Other seconds for some targets: NAME=SECONDS[,NAME=SECONDS...].
    #[arg(long, value_delimiter = ',')]
    pub seconds_for: Vec<String>,
    /// One target (default: all, in turn). `--list` names them.
    #[arg(long)]
    pub target: Option<String>,
    /// Where failing inputs are saved (OUT/<target>/).
    #[arg(long, default_value = "bench-out/fuzz")]
    pub out: PathBuf,
    /// RNG seed (default: from the clock; printed, so a run can be repeated).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seed documents, read at run time (built-in seeds are used too, and alone when the
    /// directory is absent).
    #[arg(long, default_value = nic_fuzz::DEFAULT_CORPUS)]
    pub corpus: PathBuf,
    /// Run one saved input through --target and report what happens.
    #[arg(long)]
    pub repro: Option<PathBuf>,
    /// With --repro: shrink the failing input while it fails the same way; writes FILE.min.
    #[arg(long, requires = "repro")]
    pub minimize: bool,
    /// Run the targets in this process (faster start; a stack overflow ends the whole run).
    #[arg(long)]
    pub in_process: bool,
    /// List the targets and exit.
    #[arg(long)]
    pub list: bool,
    /// (internal) run one target as the child of a supervising `nic bench fuzz`.
    #[arg(long, hide = true)]
    pub child: bool,
    /// (internal) the child's input slot.
    #[arg(long, hide = true)]
    pub slot: Option<PathBuf>,
}

pub fn run(a: FuzzArgs) -> Result<ExitCode> {
    let targets = nic_fuzz::all_targets();
    if a.list {
        for t in targets {
            println!("{:<14} {}", t.name, t.about);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let chosen: Vec<&'static Target> = match &a.target {
        Some(name) => vec![find(name)?],
        None => targets.to_vec(),
    };
    if a.child {
        return child(&a, chosen[0]);
    }
    if let Some(file) = &a.repro {
        return repro(&a, chosen, file);
    }
    let per_target = seconds_per_target(&a)?;
    let seed = a.seed.unwrap_or_else(clock_seed);
    let corpus = a.corpus.is_dir().then(|| a.corpus.clone());
    println!(
        "nic bench fuzz: seed {seed} (repeat with --seed {seed}); corpus {}; failures saved under {}",
        corpus
            .as_ref()
            .map_or("absent, built-in seeds only".to_string(), |c| c.display().to_string()),
        a.out.display()
    );
    let mut reports = Vec::new();
    for t in chosen {
        let secs = per_target(t.name);
        let mut o = Options::new(nic_fuzz::seed_for(seed, t.name));
        o.duration = Some(Duration::from_secs_f64(secs));
        o.out = Some(a.out.clone());
        o.corpus = corpus.clone();
        let r = if a.in_process {
            nic_fuzz::run_target(t, &o)
        } else {
            // This very binary, even when a rebuild has replaced the file meanwhile
            // (current_exe() then names a deleted path).
            let proc_exe = std::path::Path::new("/proc/self/exe");
            let exe = if proc_exe.exists() {
                proc_exe.to_path_buf()
            } else {
                std::env::current_exe().context("locating the nic binary")?
            };
            nic_fuzz::supervise(t, &o, &|spec| {
                let mut c = Command::new(&exe);
                c.args(["bench", "fuzz", "--child", "--target", spec.target])
                    .arg("--seconds")
                    .arg(format!("{:.3}", spec.seconds))
                    .arg("--seed")
                    .arg(spec.seed.to_string())
                    .arg("--out")
                    .arg(spec.out)
                    .arg("--slot")
                    .arg(spec.slot);
                if let Some(c2) = spec.corpus {
                    c.arg("--corpus").arg(c2);
                } else {
                    c.arg("--corpus").arg("/nonexistent");
                }
                c
            })
        };
        print_row(&r);
        reports.push(r);
    }
    print_summary(&reports);
    let failed = reports.iter().any(|r| r.failures() > 0);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn find(name: &str) -> Result<&'static Target> {
    nic_fuzz::find_target(name).with_context(|| {
        let names: Vec<&str> = nic_fuzz::all_targets().iter().map(|t| t.name).collect();
        format!("no fuzz target {name:?} (targets: {})", names.join(", "))
    })
}

fn seconds_per_target(a: &FuzzArgs) -> Result<impl Fn(&str) -> f64> {
    let mut map = std::collections::HashMap::new();
    for s in &a.seconds_for {
        let Some((name, secs)) = s.split_once('=') else {
            bail!("--seconds-for takes NAME=SECONDS, not {s:?}");
        };
        find(name.trim())?;
        let secs: f64 = secs
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .with_context(|| format!("--seconds-for {s:?}: not a number of seconds"))?;
        map.insert(name.trim().to_string(), secs);
    }
    if !(a.seconds.is_finite() && a.seconds >= 0.0) {
        bail!("--seconds must be a number of seconds ≥ 0");
    }
    let default = a.seconds;
    Ok(move |name: &str| map.get(name).copied().unwrap_or(default))
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ u64::from(std::process::id())
}

fn child(a: &FuzzArgs, t: &'static Target) -> Result<ExitCode> {
    let Some(slot) = &a.slot else {
        bail!("--child needs --slot");
    };
    let spec = nic_fuzz::ChildSpec {
        target: t.name,
        seconds: a.seconds,
        seed: a.seed.unwrap_or(0),
        out: &a.out,
        slot,
        corpus: a.corpus.is_dir().then_some(a.corpus.as_path()),
    };
    let code = nic_fuzz::child_main(t, &spec);
    Ok(ExitCode::from(code.clamp(0, 255) as u8))
}

fn repro(a: &FuzzArgs, chosen: Vec<&'static Target>, file: &std::path::Path) -> Result<ExitCode> {
    let t = match (chosen.as_slice(), &a.target) {
        ([t], Some(_)) => *t,
        _ => bail!("--repro needs --target (the saved file's directory names it)"),
    };
    let input = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let outcome = nic_fuzz::run_one(t, &input);
    match &outcome {
        Ok(o) => println!("{}: {} bytes -> {o:?} (no failure)", t.name, input.len()),
        Err(f) => println!(
            "{}: {} bytes -> {} at {}\n{}",
            t.name,
            input.len(),
            f.kind.as_str(),
            f.signature,
            f.message
        ),
    }
    if a.minimize && outcome.is_err() {
        let min = nic_fuzz::minimize(t, &input, 5000);
        let mut out = file.as_os_str().to_owned();
        out.push(".min");
        std::fs::write(&out, &min)?;
        println!(
            "minimized: {} -> {} bytes, written to {}",
            input.len(),
            min.len(),
            PathBuf::from(out).display()
        );
    }
    Ok(if outcome.is_err() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_row(r: &Report) {
    println!(
        "  {:<13} {:>7.0} s {:>11} inputs {:>10.0}/s  panics {:>3}  hangs {:>3}  aborts {:>3}  saved {:>3}   (accepted {}, rejected {}, contained {})",
        r.target,
        r.seconds,
        r.inputs,
        r.inputs_per_second(),
        r.panics,
        r.hangs,
        r.aborts,
        r.saved.len(),
        r.accepted,
        r.rejected,
        r.contained
    );
}

fn print_summary(reports: &[Report]) {
    println!();
    println!(
        "{:<14} {:>8} {:>12} {:>10} {:>7} {:>6} {:>7}",
        "target", "seconds", "inputs", "inputs/s", "panics", "hangs", "aborts"
    );
    for r in reports {
        println!(
            "{:<14} {:>8.0} {:>12} {:>10.0} {:>7} {:>6} {:>7}",
            r.target,
            r.seconds,
            r.inputs,
            r.inputs_per_second(),
            r.panics,
            r.hangs,
            r.aborts
        );
    }
    for r in reports {
        for (sig, n) in &r.signatures {
            println!("{}: {n} × {sig}", r.target);
        }
        for p in &r.saved {
            println!("{}: saved {}", r.target, p.display());
        }
        for (k, v) in r.contained_examples.iter().take(5) {
            let _ = k;
            println!("{}: contained by NIC: {v}", r.target);
        }
        if let Some(why) = &r.stopped_early {
            println!("{}: stopped early: {why}", r.target);
        }
    }
}
