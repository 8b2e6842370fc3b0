//! `nic`: the thin binary over the pipeline crates. Parses flags, loads the one typed config
//! (defaults < nic.toml < environment < flags), and dispatches to a subcommand. Errors reach
//! the user through `anyhow` with a sentence that says what to do.

mod bench_load;
mod bench_scale;
mod cli;
mod cmd_audit;
mod cmd_bench;
mod cmd_eval;
mod cmd_index;
mod cmd_ingest;
mod cmd_ops;
mod cmd_outline;
mod cmd_search;
mod cmd_serve;
mod engine;

use clap::Parser;

nic_ops::install_jemalloc!();

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    if !matches!(cli.command, cli::Command::Serve(_)) {
        quiet_on_closed_pipe();
    }
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// `nic search … | head -1`: a closed pipe ends a one-shot command quietly, as it ends
/// `grep` or `ls`, instead of a panic in `println!`. `nic serve` keeps Rust's default
/// (SIGPIPE ignored): a client that hangs up must cost one failed write, not the process.
fn quiet_on_closed_pipe() {
    // SAFETY: called at the start of `main`, before any thread exists, with a valid
    // disposition (SIG_DFL) for a valid signal; no handler code runs in signal context.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
