//! The `nightdesk` binary: parse the command line and hand over to `cli`.

use clap::Parser;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "nightdesk=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = nightdesk::cli::Cli::parse();
    match nightdesk::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
