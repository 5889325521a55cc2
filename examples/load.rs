//! Load on the voice-turn webhook: signature check, store write and the
//! dialog included. Starts the real server and the Twilio stand-in on
//! loopback, then runs concurrent simulated calls, each a signed incoming
//! call followed by its turns, and prints median and p99 latency per turn
//! and turns per second.
//!
//!     cargo run --release --example load -- [--postgres URL] [--calls N] [--pace-ms MS] [--wrk SECONDS]
//!
//! With `--wrk`, the generator is wrk (Debian's `wrk`, which
//! `scripts/load.sh` installs) instead of this process: each request is
//! the first answer of a call created beforehand, signed here, so every
//! request is a fresh turn with its signature check and store write. With
//! `--pace-ms`, each wrk connection (one call) pauses that long, give or
//! take a quarter, between its turns.
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
    /// Run wrk for this long at each concurrency instead of our own loop.
    wrk: Option<u64>,
}

fn args() -> Args {
    let mut a = Args {
        postgres: None,
        calls: 400,
        pace: Duration::ZERO,
        wrk: None,
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
            "--wrk" => a.wrk = it.next().and_then(|n| n.parse().ok()),
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

/// A fresh call's sid and the caller's number for the `n`th call.
fn caller(n: usize) -> (String, String) {
    (
        format!("CA{:032x}", rand::random::<u128>()),
        format!("+1612555{:04}", 100 + n % 99),
    )
}

/// A call webhook's form, sorted as Twilio signs it, with `extra` fields.
fn params(sid: &str, from: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [
        ("AccountSid", "ACload"),
        ("CallSid", sid),
        ("From", from),
        ("To", "+16125550100"),
        ("CallStatus", "in-progress"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    v.sort();
    v
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
    let (sid, from) = caller(n);
    let p = |extra: &[(&str, &str)]| params(&sid, &from, extra);
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

/// A first turn, ready to send: path, body and signature.
struct Turn {
    path: String,
    body: String,
    signature: String,
}

/// Creates a call and returns its first turn, the caller's answer to
/// the opening question, signed for `base`.
async fn first_turn(
    base: &str,
    token: &str,
    http: &reqwest::Client,
    n: usize,
) -> anyhow::Result<Turn> {
    let (sid, from) = caller(n);
    let form_with = |extra: &[(&str, &str)]| params(&sid, &from, extra);
    let url = format!("{base}/twilio/voice");
    let start = form_with(&[]);
    let xml = http
        .post(&url)
        .header(
            "X-Twilio-Signature",
            signature::compute(token, &url, &start),
        )
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&start))
        .send()
        .await?
        .text()
        .await?;
    let at = xml
        .find("action=\"")
        .ok_or_else(|| anyhow::anyhow!("no Gather action in {xml}"))?;
    let rest = &xml[at + 8..];
    let path = rest[..rest.find('"').unwrap_or(0)].replace("&amp;", "&");
    let answer = form_with(&[
        (
            "SpeechResult",
            "the furnace quit and it's really cold in here",
        ),
        ("Confidence", "0.9"),
    ]);
    Ok(Turn {
        signature: signature::compute(token, &format!("{base}{path}"), &answer),
        path,
        body: form(&answer),
    })
}

/// A Lua string literal.
fn lua(s: &str) -> String {
    format!("{s:?}")
}

/// wrk's script: each thread walks its share of the turns, one request
/// each; `delay` paces a connection like a caller speaking.
fn wrk_script(turns: &[Turn], pace: Duration) -> String {
    let mut out = String::from("local turns = {\n");
    for t in turns {
        out.push_str(&format!(
            "  {{{}, {}, {}}},\n",
            lua(&t.path),
            lua(&t.body),
            lua(&t.signature)
        ));
    }
    out.push_str("}\n");
    out.push_str(&format!(
        r#"local threads = 0
function setup(thread)
  thread:set("first", threads)
  threads = threads + 1
  thread:set("stride", 0)
end
local at = nil
function init(args)
  at = first + 1
  stride = tonumber(args[1]) or 1
  math.randomseed(first * 7919 + os.time())
end
function request()
  local t = turns[at]
  at = at + stride
  if at > #turns then at = first + 1 end
  return wrk.format("POST", t[1], {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = t[3],
  }}, t[2])
end
function delay()
  local pace = {pace}
  if pace == 0 then return 0 end
  return math.floor(pace * (0.75 + math.random() * 0.5))
end
"#,
        pace = pace.as_millis()
    ));
    out
}

/// A wrk latency figure ("1.23ms", "870.00us", "1.02s") in milliseconds.
fn wrk_ms(figure: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = figure.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = figure.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = figure.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (figure, 1.0)
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

/// Runs wrk at each concurrency and prints its figures.
async fn with_wrk(
    a: &Args,
    base: &str,
    token: &str,
    store: &str,
    seconds: u64,
) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .build()?;
    for concurrency in [50usize, 200] {
        // Enough fresh calls that no turn is sent twice in the run.
        let per_second = if a.pace.is_zero() {
            3000.0
        } else {
            concurrency as f64 * 1000.0 / a.pace.as_millis().max(1) as f64 * 1.4
        };
        let wanted = (per_second * seconds as f64) as usize + concurrency;
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (base, token, http, next) = (
                base.to_string(),
                token.to_string(),
                http.clone(),
                next.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut turns = Vec::new();
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if n >= wanted {
                        return Ok::<_, anyhow::Error>(turns);
                    }
                    turns.push(first_turn(&base, &token, &http, n).await?);
                }
            }));
        }
        let mut turns = Vec::new();
        for t in tasks {
            turns.extend(t.await??);
        }
        let dir = tempfile::tempdir()?;
        let script = dir.path().join("turns.lua");
        std::fs::write(&script, wrk_script(&turns, a.pace))?;
        let threads = 2;
        let output = std::process::Command::new("wrk")
            .args([
                "-t",
                &threads.to_string(),
                "-c",
                &concurrency.to_string(),
                "-d",
                &format!("{seconds}s"),
                "--timeout",
                "10s",
                "--latency",
                "-s",
            ])
            .arg(&script)
            .arg(base)
            .args(["--", &threads.to_string()])
            .output()
            .map_err(|e| anyhow::anyhow!("running wrk (scripts/load.sh installs it): {e}"))?;
        let text = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            anyhow::bail!("wrk failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let figure = |label: &str| {
            text.lines()
                .map(str::trim)
                .find_map(|l| l.strip_prefix(label))
                .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
        };
        let p50 = figure("50%").and_then(|f| wrk_ms(&f));
        let p99 = figure("99%").and_then(|f| wrk_ms(&f));
        let rate = figure("Requests/sec:");
        let errors = figure("Non-2xx or 3xx responses:").unwrap_or_else(|| "0".into());
        let sent = text
            .lines()
            .find(|l| l.contains("requests in"))
            .map(|l| l.trim().to_string())
            .unwrap_or_default();
        println!(
            "wrk, {store}, {concurrency} concurrent calls, pace {} ms: {sent}; {} turns/s, median {:.2} ms, p99 {:.2} ms, non-2xx {errors} ({} fresh turns prepared)",
            a.pace.as_millis(),
            rate.unwrap_or_default(),
            p50.unwrap_or(f64::NAN),
            p99.unwrap_or(f64::NAN),
            turns.len(),
        );
    }
    Ok(())
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
    if let Some(seconds) = a.wrk {
        return with_wrk(&a, &base, &token, store, seconds).await;
    }
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
