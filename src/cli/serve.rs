//! `serve`, `replay` and `demo`: the commands that run the server.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Config;
use crate::intake::corpus;
use crate::replay::Harness;
use crate::server::App;
use crate::standin::Pickup;
use crate::store::Store;
use crate::triage::Summary;
use crate::twilio::{RestClient, Secret};
use crate::weather::WeatherSource;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub fn serve(
    config: Config,
    data: &Path,
    database_url: Option<&str>,
    listen: &str,
) -> anyhow::Result<i32> {
    let token = env("TWILIO_AUTH_TOKEN")
        .context("set TWILIO_AUTH_TOKEN: every webhook's signature is checked with it")?;
    let sid = env("TWILIO_ACCOUNT_SID").context("set TWILIO_ACCOUNT_SID")?;
    let base = env("TWILIO_API_BASE").unwrap_or_else(|| "https://api.twilio.com".into());
    runtime()?.block_on(async {
        let store = match database_url {
            Some(url) => Store::open(url).await,
            None => Store::open_data_dir(data).await,
        }
        .context("opening the store")?;
        let rest = RestClient::new(&base, &sid, Secret::new(token.clone()))?;
        let app = App {
            config: Arc::new(config),
            store,
            clock: Clock::system(),
            weather: WeatherSource::nws(
                &env("NIGHTDESK_WEATHER_URL").unwrap_or_else(|| "https://api.weather.gov".into()),
            )?,
            twilio: Some(Arc::new(rest)),
            auth_token: Arc::new(Secret::new(token)),
            public_url: env("NIGHTDESK_PUBLIC_URL"),
            data_dir: data.to_path_buf(),
            jobs_ready: Arc::new(Notify::new()),
        };
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        tracing::info!(listen = %listener.local_addr()?, "nightdesk serving");
        // Coverage holes are told to the owner at start-up, then daily.
        crate::dispatch::coverage::queue_all(&app)
            .await
            .context("queueing the coverage check")?;
        tokio::spawn(crate::dispatch::worker::run(app.clone()));
        axum::serve(
            listener,
            crate::server::router(app)
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await?;
        Ok(0)
    })
}

/// Plays every case through a local server; prints one JSON line a case.
pub fn replay(
    config: Config,
    data: &Path,
    database_url: Option<&str>,
    file: &Path,
    pickup: Pickup,
) -> anyhow::Result<i32> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let entries = corpus::parse(&text)?;
    // A store left by an earlier run holds the same callers: their older
    // contacts would be read back as this run's.
    if data.join("nightdesk.db").exists() && database_url.is_none() {
        bail!(
            "{} already holds a store; pass --data with a new folder or remove it",
            data.display()
        );
    }
    runtime()?.block_on(async {
        let mut harness = Harness::start(Arc::new(config), data, database_url).await?;
        harness.caller = harness.caller.clone().with_pickup(pickup);
        let mut summary = Summary::default();
        for entry in &entries {
            match harness
                .play(entry)
                .await
                .with_context(|| format!("case {}", entry.id))?
            {
                Some(outcome) => {
                    println!("{}", serde_json::to_string(&outcome)?);
                    summary.add(&outcome, entry.expect.as_ref());
                }
                None => eprintln!("{}: {:?} is not replayed yet", entry.id, entry.channel),
            }
        }
        eprintln!("{}", summary.report());
        Ok(0)
    })
}

const BUNDLED_CALLS: &str = include_str!("../../data/calls/calls.jsonl");

/// The main job on the embedded defaults, in well under a minute.
pub fn demo(
    config: Config,
    data: &Path,
    database_url: Option<&str>,
    pickup: Pickup,
) -> anyhow::Result<i32> {
    let entries = corpus::parse(BUNDLED_CALLS)?;
    if data.join("nightdesk.db").exists() && database_url.is_none() {
        bail!(
            "{} already holds a store; pass --data with a new folder or remove it",
            data.display()
        );
    }
    runtime()?.block_on(async {
        let mut harness = Harness::start(Arc::new(config), data, database_url).await?;
        harness.caller = harness.caller.clone().with_pickup(pickup);
        println!(
            "nightdesk demo: server on http://{}, Twilio stand-in on {}",
            harness.addr,
            harness.standin.base_url()
        );
        let mut summary = Summary::default();
        for entry in &entries {
            let Some(outcome) = harness
                .play(entry)
                .await
                .with_context(|| format!("case {}", entry.id))?
            else {
                continue;
            };
            let texted: Vec<String> = harness
                .standin
                .messages()
                .iter()
                .rev()
                .take(3)
                .filter(|m| m.to != entry.from)
                .map(|m| m.to.clone())
                .collect();
            let lane = outcome
                .lane
                .clone()
                .unwrap_or_else(|| "missed call: text-back".into());
            let alert = outcome
                .alert_to
                .clone()
                .map(|a| format!(" → alerted {a}"))
                .unwrap_or_default();
            let _ = texted;
            println!(
                "{:<8} {:<12} {:<10} urgency {:>3}{alert}",
                entry.id,
                format!("{:?}", entry.channel).to_lowercase(),
                lane,
                outcome.urgency
            );
            summary.add(&outcome, entry.expect.as_ref());
        }
        println!("\n{}", summary.report().lines().next().unwrap_or(""));
        println!(
            "texts sent through the stand-in: {}",
            harness.standin.messages().len()
        );
        println!(
            "receipts: {} (SQLite), dispatch log: {}",
            data.join("nightdesk.db").display(),
            data.join("dispatch-log.jsonl").display()
        );
        println!(
            "see one: nightdesk receipts --data {} --json | head -1",
            data.display()
        );
        Ok(0)
    })
}
