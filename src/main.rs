//! The `nightdesk` binary: parse the command line and hand over to `cli`.

use std::io::IsTerminal;

use clap::Parser;

fn main() {
    let cli = nightdesk::cli::Cli::parse();
    // `serve` logs a line per case step; the commands that print results
    // (demo, replay, triage, …) log only what went wrong, so the results
    // are not buried. RUST_LOG overrides both.
    let default = match cli.command {
        nightdesk::cli::Command::Serve { .. } => "nightdesk=info",
        _ => "nightdesk=warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default.into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    match nightdesk::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
