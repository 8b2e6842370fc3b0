//! `nic serve` and `nic ask`: the HTTP server, and the same pipeline without it.

use anyhow::{Context, Result};
use clap::Args;
use nic_core::NicConfig;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Load the embedding model and pre-fault the index files before serving.
    #[arg(long)]
    pub warm: bool,
    /// Listen address (overrides NOVA_BIND).
    #[arg(long)]
    pub bind: Option<String>,
    /// Listen port (overrides NOVA_PORT; 0 picks a free port).
    #[arg(long)]
    pub port: Option<u16>,
}

#[derive(Args, Debug)]
pub struct AskArgs {
    /// The question.
    pub question: String,
    /// Print the full JSON response (the /api/ask shape).
    #[arg(long)]
    pub json: bool,
    /// Only this domain.
    #[arg(long)]
    pub domain: Option<String>,
    /// auto, extractive or generative.
    #[arg(long, default_value = "auto")]
    pub mode: String,
}

pub fn init_logging(cfg: &NicConfig, level: &str) {
    use tracing_subscriber::EnvFilter;
    // pdf-extract and lopdf log per glyph and per object through `log`: keep them quiet.
    let filter = EnvFilter::try_from_env("NIC_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},pdf_extract=off,lopdf=off")));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match cfg.log_format {
        nic_core::config::LogFormat::Json => builder.json().try_init(),
        nic_core::config::LogFormat::Text => builder.try_init(),
    };
}

fn runtime(cfg: &NicConfig) -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.max_workers.clamp(1, 8))
        .max_blocking_threads(cfg.max_workers.max(1) * 2 + 4)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn serve(mut cfg: NicConfig, args: ServeArgs) -> Result<ExitCode> {
    if let Some(b) = args.bind {
        cfg.bind = b;
    }
    if let Some(p) = args.port {
        cfg.port = p;
    }
    init_logging(&cfg, "info");
    let rt = runtime(&cfg)?;
    rt.block_on(async move {
        let state = nic_server::build_state(cfg)?;
        nic_server::serve(state, args.warm).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn ask(cfg: NicConfig, args: AskArgs) -> Result<ExitCode> {
    let mode = match args.mode.as_str() {
        "auto" => nic_answer::AskMode::Auto,
        "extractive" => nic_answer::AskMode::Extractive,
        "generative" => nic_answer::AskMode::Generative,
        other => anyhow::bail!("--mode {other:?}: expected auto, extractive or generative"),
    };
    let rt = runtime(&cfg)?;
    let resp = rt.block_on(async move {
        let state = nic_server::build_state(cfg)?;
        let req = nic_answer::AskRequest {
            question: args.question.clone(),
            session_id: None,
            domain: args.domain.clone(),
            mode,
            top_k: None,
            client_id: "cli".into(),
            request_id: "cli".into(),
        };
        let r = state.engine.ask(req).await?;
        Ok::<_, anyhow::Error>(r)
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&resp)?);
    } else {
        println!(
            "[{}] confidence {:.2}",
            resp.status.as_str(),
            resp.confidence
        );
        println!();
        println!("{}", resp.answer);
        if !resp.citations.is_empty() {
            println!();
        }
        for c in &resp.citations {
            println!("[{}] {} p.{} — {}", c.reference, c.doc, c.page, c.section);
        }
        for n in &resp.notes {
            println!("note: {n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
