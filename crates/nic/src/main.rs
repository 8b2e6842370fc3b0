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
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
