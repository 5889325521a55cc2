//! The command line: one binary, subcommands scripts can rely on.
//!
//! Each subcommand parses its flags (clap), loads what it needs and calls
//! the library; errors become `anyhow` with context here and nowhere else.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use crate::config::{Config, Severity};
use crate::dispatch::schedule::parse_local_time;
use crate::intake::corpus;
use crate::triage::{self, Summary};

mod receipts;
mod serve;
mod user;

#[derive(Debug, Parser)]
#[command(
    name = "nightdesk",
    version,
    about = "Answers a contractor's phone after hours"
)]
pub struct Cli {
    /// Folder of business profiles (default: the bundled examples).
    #[arg(long, global = true, env = "NIGHTDESK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Folder for the SQLite store and the dispatch logs.
    #[arg(long, global = true, default_value = "./nightdesk-data")]
    pub data: PathBuf,
    /// Use PostgreSQL instead of SQLite (postgres://…).
    #[arg(long, global = true, env = "NIGHTDESK_DATABASE_URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the config; each problem as file:line:column.
    Check,
    /// Offline assessment and decision for each case of a corpus file.
    Triage {
        /// A call corpus in JSON Lines.
        file: PathBuf,
        /// Print each case's full assessment and decision instead.
        #[arg(long)]
        explain: bool,
    },
    /// Serve Twilio's webhooks and run the workers.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Play each case of a corpus through the real webhooks.
    Replay {
        /// A call corpus in JSON Lines.
        file: PathBuf,
        /// What the owner does when a call is put through to them.
        #[arg(long, value_enum, default_value_t = OwnerPickup::Answers)]
        owner: OwnerPickup,
    },
    /// Replay the bundled calls through a local server and Twilio stand-in.
    Demo {
        /// What the owner does when a call is put through to them.
        #[arg(long, value_enum, default_value_t = OwnerPickup::Answers)]
        owner: OwnerPickup,
    },
    /// Dashboard users.
    #[command(subcommand)]
    User(UserCommand),
    /// Who is first on call for a trade at a local time.
    Oncall {
        /// The business's called number.
        #[arg(long)]
        business: String,
        #[arg(long)]
        trade: String,
        /// Local wall-clock time (2026-03-08T02:30) or an instant with offset.
        #[arg(long)]
        at: String,
    },
    /// Lists and shows receipts; `--why ID` explains a contact's route.
    Receipts(receipts::ReceiptsArgs),
}

/// What the stand-in's owner does when a warm transfer rings them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OwnerPickup {
    Answers,
    NoAnswer,
    Busy,
}

impl From<OwnerPickup> for crate::standin::Pickup {
    fn from(owner: OwnerPickup) -> Self {
        match owner {
            OwnerPickup::Answers => crate::standin::Pickup::Answers,
            OwnerPickup::NoAnswer => crate::standin::Pickup::NoAnswer,
            OwnerPickup::Busy => crate::standin::Pickup::Busy,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Adds a dashboard user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        /// A business's called number; repeat for an agency user.
        #[arg(long = "business", required = true)]
        businesses: Vec<String>,
        /// owner or agency.
        #[arg(long, default_value = "owner")]
        role: String,
    },
}

/// Runs the command line; the exit code is the return value.
///
/// # Errors
///
/// Any failure, with context, for `main` to print.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Check => check(cli.config),
        Command::Triage { file, explain } => triage_file(cli.config, &file, explain),
        Command::Oncall {
            business,
            trade,
            at,
        } => oncall(cli.config, &business, &trade, &at),
        Command::Serve { listen } => serve::serve(
            load(cli.config)?,
            &cli.data,
            cli.database_url.as_deref(),
            &listen,
        ),
        Command::Replay { file, owner } => serve::replay(
            load(cli.config)?,
            &cli.data,
            cli.database_url.as_deref(),
            &file,
            owner.into(),
        ),
        Command::User(UserCommand::Add {
            email,
            businesses,
            role,
        }) => user::add(
            &load(cli.config)?,
            &cli.data,
            cli.database_url.as_deref(),
            &email,
            &businesses,
            &role,
        ),
        Command::Receipts(args) => receipts::run(args, &cli.data, cli.database_url.as_deref()),
        Command::Demo { owner } => serve::demo(
            load(cli.config)?,
            &cli.data,
            cli.database_url.as_deref(),
            owner.into(),
        ),
    }
}

fn load(dir: Option<PathBuf>) -> anyhow::Result<Config> {
    match Config::load(dir.as_deref()) {
        Ok(c) => Ok(c),
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            bail!(
                "the config has {} problem(s); run `nightdesk check`",
                problems.len()
            )
        }
    }
}

fn check(dir: Option<PathBuf>) -> anyhow::Result<i32> {
    match Config::load(dir.as_deref()) {
        Ok(config) => {
            for w in &config.warnings {
                println!("{w}");
            }
            // A technician who cannot text is among the warnings above.
            let now = jiff::Timestamp::now();
            for b in &config.businesses {
                for gap in crate::dispatch::coverage::gaps(b, now) {
                    println!("{}: warning: {gap}", b.id);
                }
            }
            println!("ok: {} business(es) checked", config.businesses.len());
            Ok(0)
        }
        Err(problems) => {
            for p in &problems {
                println!("{p}");
            }
            let errors = problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
            println!("{errors} error(s)");
            Ok(1)
        }
    }
}

fn triage_file(dir: Option<PathBuf>, file: &std::path::Path, explain: bool) -> anyhow::Result<i32> {
    let config = load(dir)?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let entries = corpus::parse(&text).with_context(|| format!("reading {}", file.display()))?;
    let mut summary = Summary::default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for entry in &entries {
        let case = entry.case()?;
        let Some(business) = config.business(&case.business) else {
            eprintln!(
                "{}: no business has the number {}",
                entry.id, entry.business
            );
            continue;
        };
        let (a, d) = triage::run(&case, business);
        let outcome = triage::outcome(&case, &a, &d);
        if explain {
            let full = serde_json::json!({"outcome": &outcome, "assessment": &a, "decision": &d});
            writeln!(out, "{}", serde_json::to_string_pretty(&full)?)?;
        } else {
            writeln!(out, "{}", serde_json::to_string(&outcome)?)?;
        }
        summary.add(&outcome, entry.expect.as_ref());
    }
    eprintln!("{}", summary.report());
    Ok(0)
}

fn oncall(dir: Option<PathBuf>, number: &str, trade: &str, at: &str) -> anyhow::Result<i32> {
    let config = load(dir)?;
    let business = config
        .business(number)
        .with_context(|| format!("no business has the number {number}"))?;
    let (when, note) = parse_local_time(at, &business.tz)?;
    let shift = business.schedule.on_call(trade, when.timestamp());
    let rfc = |z: &jiff::Zoned| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let value = match shift {
        Some(s) => {
            let tech = business
                .schedule
                .technician(&s.technician)
                .context("rotation names an unknown technician")?;
            let backup = s
                .backup
                .as_deref()
                .and_then(|b| business.schedule.technician(b));
            serde_json::json!({
                "technician": tech.name,
                "phone": tech.phone,
                "from": s.from.as_ref().map(rfc),
                "until": s.until.as_ref().map(rfc),
                "backup": backup.map(|b| serde_json::json!({"technician": b.name, "phone": b.phone})),
                "note": note,
            })
        }
        None => serde_json::json!({
            "technician": null, "phone": null, "from": null, "until": null,
            "note": format!("nobody is on call for {trade}; emergencies go to the owner"),
        }),
    };
    println!("{value}");
    Ok(0)
}
