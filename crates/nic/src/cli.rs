//! Command-line surface (DESIGN §1) and the flag layer of the configuration.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use nic_core::NicConfig;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "nic",
    version,
    about = "Offline, cited answers from maintenance manuals"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Configuration file (default: $NOVA_CONFIG, else ./nic.toml when present).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Data directory (overrides NOVA_DATA_DIR).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Embedding model directory or name under models/ (overrides EMBEDDING_MODEL).
    #[arg(long, global = true)]
    pub model: Option<String>,
    /// Embedding batch size (overrides NOVA_BATCH_SIZE).
    #[arg(long, global = true)]
    pub batch_size: Option<usize>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Ingest manuals: DIR/<domain>/**.{pdf,txt,md,html,htm}. Incremental; with no DIR,
    /// re-scans the roots already in the catalog.
    Ingest(crate::cmd_ingest::IngestArgs),
    /// Retrieval only: ranked chunks with scores and citations.
    Search(crate::cmd_search::SearchArgs),
    /// Answer a question in the terminal (the /api/ask pipeline without a server).
    Ask(crate::cmd_serve::AskArgs),
    /// Serve the web UI and JSON API (default http://127.0.0.1:5000).
    Serve(crate::cmd_serve::ServeArgs),
    /// Print the effective configuration (secrets masked).
    Config,
    /// Benchmarks that print figures (never run as tests).
    #[command(subcommand)]
    Bench(crate::cmd_bench::BenchCommand),
    /// Index tools: stats, verify (checksums), rollback to a kept generation, convert the
    /// vector tier (flat/HNSW, f32/f16/i8).
    #[command(subcommand)]
    Index(crate::cmd_index::IndexCommand),
    /// Audit trail: verify the hash chain, tail the newest records, export since a time.
    #[command(subcommand)]
    Audit(crate::cmd_audit::AuditCommand),
    /// Memory of a running server (its /health) or a PID over time; Ctrl-C stops.
    Monitor(crate::cmd_ops::MonitorArgs),
    /// Write one text file with everything a memory escalation needs.
    Diagnose(crate::cmd_ops::DiagnoseArgs),
    /// Score the answers to an evaluation file (JSONL): useful answers per kind and split,
    /// abstentions, refusals; `--json` report, `--baseline` diff, floors (exit 1 below).
    Eval(crate::cmd_eval::EvalArgs),
    /// How one manual was understood: headings with pages, block kinds, safety notices.
    Outline(crate::cmd_outline::OutlineArgs),
}

/// Loads the config: defaults < file < environment < flags, and warns about unknown
/// `NOVA_*` variables.
pub fn load_config(g: &GlobalArgs) -> Result<NicConfig> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    for name in nic_core::config::unknown_env_vars(&env) {
        eprintln!(
            "warning: unknown variable {name} is ignored (typo? `nic config` lists the names)"
        );
    }
    let mut cfg = NicConfig::load_from(g.config.as_deref(), &env).context("configuration")?;
    if let Some(d) = &g.data_dir {
        cfg.data_dir = d.clone();
    }
    if let Some(m) = &g.model {
        cfg.embedding_model = m.clone();
    }
    if let Some(b) = g.batch_size {
        anyhow::ensure!(b > 0, "--batch-size must be greater than zero");
        cfg.batch_size = b;
    }
    Ok(cfg)
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let cfg = load_config(&cli.global)?;
    if !matches!(cli.command, Command::Serve(_)) {
        crate::cmd_serve::init_logging(&cfg, "warn");
    }
    match cli.command {
        Command::Ingest(a) => crate::cmd_ingest::run(&cfg, a),
        Command::Search(a) => crate::cmd_search::run(&cfg, a),
        Command::Ask(a) => crate::cmd_serve::ask(cfg, a),
        Command::Serve(a) => crate::cmd_serve::serve(cfg, a),
        Command::Config => {
            print!("{}", cfg.to_masked_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(b) => crate::cmd_bench::run(&cfg, b),
        Command::Index(c) => crate::cmd_index::run(&cfg, c),
        Command::Audit(c) => crate::cmd_audit::run(&cfg, c),
        Command::Monitor(a) => crate::cmd_ops::monitor(&cfg, a),
        Command::Diagnose(a) => crate::cmd_ops::diagnose(&cfg, a),
        Command::Eval(a) => crate::cmd_eval::run(cfg, a),
        Command::Outline(a) => crate::cmd_outline::run(&cfg, a),
    }
}
