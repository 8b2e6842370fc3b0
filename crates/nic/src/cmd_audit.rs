//! `nic audit verify|tail|export`: the reviewer's view of the audit trail (issue 5 item 5).
//!
//! Why these read the file directly rather than ask the server: an audit must not depend on
//! the system being audited being up or cooperative. They open `<data_dir>/audit/audit.sqlite`
//! without ever creating it (a missing log is a clear message and exit 1, not a fresh empty
//! log that "verifies"), and SQLite's WAL lets them run while the server appends.
//! `verify` exits 1 on any finding so cron jobs and health checks can act on it.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use nic_audit::time::{format_rfc3339_ms, now_unix_ms, parse_since};
use nic_audit::{AuditError, AuditLog, StoredRecord, VerifyReport};
use nic_core::NicConfig;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the hash chain; exit 1 naming the seq of every edited or deleted record.
    Verify(VerifyArgs),
    /// The newest records, oldest first.
    Tail(TailArgs),
    /// Records since a time, as JSON lines (re-verifiable on their own).
    Export(ExportArgs),
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct TailArgs {
    /// How many records.
    #[arg(short = 'n', long, default_value_t = 20)]
    pub n: usize,
    /// Print JSON (an array of records).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Start time: 7d, 12h, 30m, 2w, Unix seconds, 2024-05-01 or 2024-05-01T10:00:00Z.
    #[arg(long)]
    pub since: String,
    /// Output file (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(cfg: &NicConfig, cmd: AuditCommand) -> Result<ExitCode> {
    let log = match AuditLog::open_existing(&cfg.data_dir) {
        Ok(log) => log,
        Err(e @ AuditError::NotFound { .. }) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    match cmd {
        AuditCommand::Verify(a) => verify(&log, a),
        AuditCommand::Tail(a) => tail(&log, a),
        AuditCommand::Export(a) => export(&log, a),
    }
}

#[derive(Serialize)]
struct VerifyJson<'a> {
    ok: bool,
    path: String,
    #[serde(flatten)]
    report: &'a VerifyReport,
}

fn verify(log: &AuditLog, a: VerifyArgs) -> Result<ExitCode> {
    let report = log.verify()?;
    if a.json {
        let out = VerifyJson {
            ok: report.ok(),
            path: log.path().display().to_string(),
            report: &report,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", verify_text(log, &report));
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn verify_text(log: &AuditLog, r: &VerifyReport) -> String {
    let mut s = format!("audit log {}\n", log.path().display());
    let range = match (r.first_seq, r.last_seq) {
        (Some(a), Some(b)) => format!(" (seq {a}..={b})"),
        _ => String::new(),
    };
    s += &format!("records: {}{range}\n", r.records);
    if let Some(a) = &r.anchor {
        s += &format!(
            "retention: removed records through seq {} (last pass {})\n",
            a.through_seq,
            format_rfc3339_ms(a.removed_at_unix_ms)
        );
    }
    if let Some(h) = &r.head_hash {
        s += &format!("head hash: {h}\n");
    }
    if r.ok() {
        s += "OK: the chain is intact\n";
    } else {
        s += &format!("FAILED: {} problem(s)\n", r.problems.len());
        for p in &r.problems {
            s += &format!("  {p}\n");
        }
    }
    s
}

fn tail(log: &AuditLog, a: TailArgs) -> Result<ExitCode> {
    let records = log.tail(a.n)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&records)?);
    } else if records.is_empty() {
        println!("the audit log is empty");
    } else {
        for r in &records {
            println!("{}", tail_line(r));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One human line: when, outcome, how confident, what was asked, what was cited.
fn tail_line(r: &StoredRecord) -> String {
    let e = &r.entry;
    let question = match (&e.question, &e.question_sha256) {
        (Some(q), _) => format!("{:?}", shorten(q, 80)),
        (None, Some(h)) => format!("<sha256 {}>", &h[..h.len().min(12)]),
        (None, None) => "<redacted>".to_string(),
    };
    let mut line = format!(
        "#{} {} {} mode={} risk={} conf={:.2} req={} {question}",
        r.seq,
        format_rfc3339_ms(e.time_unix_ms),
        e.status,
        e.mode,
        e.risk_level,
        e.confidence,
        e.request_id,
    );
    if !e.triggers.is_empty() {
        line += &format!(" triggers={}", e.triggers.join(","));
    }
    if let Some(code) = &e.error_code {
        line += &format!(" error={code}");
    }
    for c in &e.citations {
        line += &format!(" [{} p.{}]", c.doc, c.page);
    }
    line
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max).chain(std::iter::once('…')).collect()
    }
}

fn export(log: &AuditLog, a: ExportArgs) -> Result<ExitCode> {
    let since =
        parse_since(&a.since, now_unix_ms()).map_err(|e| anyhow::anyhow!("--since: {e}"))?;
    match &a.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            let n = log.export_since(since, &mut w)?;
            w.flush()
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "exported {n} record(s) since {} to {}",
                format_rfc3339_ms(since),
                path.display()
            );
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            log.export_since(since, &mut w)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
