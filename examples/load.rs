//! Load on the voice-turn webhook: signature check, store write and the
//! dialog included. Starts the real server and the Twilio stand-in on
//! loopback, then runs concurrent simulated calls, each a signed incoming
//! call followed by its turns, and prints median and p99 latency per turn
//! and turns per second.
//!
//!     cargo run --release --example load -- [--postgres URL] [--calls N] [--pace-ms MS]
//!
//! With `--postgres`, a fresh database is created on that server for the
//! run. Without `--pace-ms` every call sends its next turn the moment it
//! has the answer: a throughput test. With it, each call waits about
//! that long between turns, as a caller speaking does. The generator shares the machine with the server: read ratios
//! and medians, not absolutes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use nightdesk::config::Config;
use nightdesk::replay::Harness;
use nightdesk::twilio::signature;

struct Args {
    postgres: Option<String>,
    calls: usize,
    /// A caller's speaking time between turns; 0 sends the next turn the
    /// moment the answer arrives (a throughput test).
    pace: Duration,
}

fn args() -> Args {
    let mut a = Args {
        postgres: None,
        calls: 400,
        pace: Duration::ZERO,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--postgres" => a.postgres = it.next(),
            "--calls" => a.calls = it.next().and_then(|n| n.parse().ok()).unwrap_or(a.calls),
            "--pace-ms" => {
                a.pace = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .map_or(a.pace, Duration::from_millis)
            }
            _ => {}
        }
    }
    a
}

async fn fresh_postgres(base: &str) -> anyhow::Result<String> {
    sqlx::any::install_default_drivers();
    let name = format!("nightdesk_load_{:x}", rand::random::<u32>());
    let admin = format!("{}/postgres", base.trim_end_matches('/'));
    let pool = sqlx::AnyPool::connect(&admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await?;
    Ok(format!("{}/{name}", base.trim_end_matches('/')))
}

fn form(params: &[(String, String)]) -> String {
    serde_urlencoded::to_string(params).unwrap_or_default()
}

/// One call: the incoming webhook, then a turn for each question until the
/// dialog closes. Returns the latency of every turn.
async fn call(
    base: &str,
    token: &str,
    http: &reqwest::Client,
    n: usize,
    pace: Duration,
) -> anyhow::Result<Vec<Duration>> {
    let sid = format!("CA{:032x}", rand::random::<u128>());
    let from = format!("+1612555{:04}", 100 + n % 99);
    let p = |extra: &[(&str, &str)]| {
        let mut v: Vec<(String, String)> = [
            ("AccountSid", "ACload"),
            ("CallSid", sid.as_str()),
            ("From", from.as_str()),
            ("To", "+16125550100"),
            ("CallStatus", "in-progress"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        v.sort();
        v
    };
    let mut latencies = Vec::new();
    let mut url = format!("{base}/twilio/voice");
    let mut params = p(&[]);
    let answers = [
        "the furnace quit and it's really cold in here",
        "no",
        "no just me",
        "3320 28th avenue south minneapolis 55406",
        "same",
        "pat smith",
        "no",
    ];
    for turn in 0..12 {
        if turn > 0 && !pace.is_zero() {
            // Spread the pauses so that the calls do not speak in step.
            let jitter = rand::random::<f64>() * 0.5 + 0.75;
            tokio::time::sleep(pace.mul_f64(jitter)).await;
        }
        let sig = signature::compute(token, &url, &params);
        let started = Instant::now();
        let xml = http
            .post(&url)
            .header("X-Twilio-Signature", sig)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form(&params))
            .send()
            .await?
            .text()
            .await?;
        latencies.push(started.elapsed());
        let Some(at) = xml.find("action=\"") else {
            break;
        };
        let rest = &xml[at + 8..];
        let action = rest[..rest.find('"').unwrap_or(0)].replace("&amp;", "&");
        url = format!("{base}{action}");
        let said = answers.get(turn).copied().unwrap_or("i don't know");
        params = p(&[("SpeechResult", said), ("Confidence", "0.9")]);
    }
    Ok(latencies)
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args();
    let dir = tempfile::tempdir()?;
    let url = match &a.postgres {
        Some(base) => Some(fresh_postgres(base).await?),
        None => None,
    };
    let harness = Harness::start(Arc::new(Config::embedded()), dir.path(), url.as_deref()).await?;
    let base = format!("http://{}", harness.addr);
    let token = harness.app.auth_token.expose().to_string();
    let store = if a.postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    for concurrency in [50usize, 200] {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .build()?;
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (base, token, http, next, calls, pace) = (
                base.clone(),
                token.clone(),
                http.clone(),
                next.clone(),
                a.calls,
                a.pace,
            );
            tasks.push(tokio::spawn(async move {
                let mut all = Vec::new();
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if n >= calls {
                        break;
                    }
                    match call(&base, &token, &http, n, pace).await {
                        Ok(l) => all.extend(l),
                        Err(e) => eprintln!("call failed: {e}"),
                    }
                }
                all
            }));
        }
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.extend(t.await?);
        }
        let elapsed = started.elapsed();
        latencies.sort();
        println!(
            "{store}, {concurrency} concurrent calls, pace {} ms: {} turns in {:.1} s, {:.0} turns/s, median {:.1} ms, p99 {:.1} ms",
            a.pace.as_millis(),
            latencies.len(),
            elapsed.as_secs_f64(),
            latencies.len() as f64 / elapsed.as_secs_f64(),
            percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
            percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        );
    }
    Ok(())
}
