//! `cargo run -p nic-ingest --example outline -- FILE`: the parsed outline of one file.
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: outline FILE");
        return ExitCode::from(2);
    };
    match nic_ingest::extract_file(path.as_ref(), &nic_ingest::ExtractOptions::default()) {
        Ok(doc) => {
            print!("{}", nic_ingest::render_outline(&doc));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
