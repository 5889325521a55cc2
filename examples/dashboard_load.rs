//! A year of contacts for a busy business, then the dashboard's pages
//! timed over loopback.
//!
//! Run: `cargo run --example dashboard_load -- [CONTACTS_PER_DAY] [ROUNDS]`
//! (default 40 a day, about 14,600 contacts, and 20 loads of each page).
//! Receipts are made by the real triage from the bundled corpus's
//! Birchline calls, with new ids, times, alerts and handoff steps, and
//! written straight to a fresh SQLite store in a temp folder; the server
//! is the replay harness. Prints the median and p90 of each page.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use nightdesk::config::Config;
use nightdesk::conversation::{Conversation, Ending};
use nightdesk::dashboard::auth::hash_password;
use nightdesk::intake::corpus;
use nightdesk::record::receipt::{self, HandoffStep, Inputs};
use nightdesk::replay::Harness;
use nightdesk::store::{ContactRow, MessageRow};

const BUSINESS: &str = "+16125550100";
const CALLS: &str = include_str!("../data/calls/calls.jsonl");
const DAY_MS: i64 = 24 * 3600 * 1000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let per_day: i64 = args
        .next()
        .map_or(Ok(40), |a| a.parse())
        .context("contacts a day")?;
    let rounds: usize = args
        .next()
        .map_or(Ok(20), |a| a.parse())
        .context("rounds")?;
    let config = Arc::new(Config::embedded());
    let business = config.business(BUSINESS).context("Birchline")?;
    let dir = tempfile::tempdir()?;
    let end: jiff::Timestamp = "2026-12-31T23:00:00Z".parse()?;

    // Templates: each Birchline call of the corpus, triaged for real.
    let entries: Vec<_> = corpus::parse(CALLS)?
        .into_iter()
        .filter(|e| e.business == BUSINESS)
        .collect();
    let mut templates = Vec::new();
    for e in &entries {
        let case = e.case()?;
        let (mut c, _) = Conversation::start(
            String::new(),
            business,
            case.channel,
            case.from.clone(),
            case.at,
            case.weather,
        );
        c.words = case.words.clone();
        c.ended = Some(Ending::Completed);
        templates.push(c);
    }

    let harness = Harness::start(config.clone(), dir.path(), None).await?;
    let store = harness.app.store.clone();
    let total = per_day * 365;
    let started = Instant::now();
    let mut tx = store.begin().await?;
    for i in 0..total {
        let mut c = templates[(i as usize * 7) % templates.len()].clone();
        let at = end.as_millisecond() - (total - i) * DAY_MS / per_day;
        c.contact_id = format!("c_load{i:06}");
        c.started_at = jiff::Timestamp::from_millisecond(at)?;
        let (a, d) = nightdesk::triage::run(&c.case(), business);
        let mut messages = Vec::new();
        let mut handoff = Vec::new();
        if let Some(alert) = d
            .alert
            .as_ref()
            .filter(|_| d.lane.as_deref() == Some("emergency"))
        {
            let sent = at + 150 + (i * 37) % 900;
            messages.push(MessageRow {
                id: format!("m_load{i:06}"),
                contact_id: c.contact_id.clone(),
                kind: "sms".into(),
                recipient: alert.phone.clone(),
                role: alert.role.clone(),
                body: "alert".into(),
                provider_sid: Some(format!("SM{i:032}")),
                status: "delivered".into(),
                error_code: None,
                created_at: sent,
            });
            let when = jiff::Timestamp::from_millisecond(sent)?.to_string();
            handoff.push(HandoffStep {
                at: when.clone(),
                step: "alerted".into(),
                who: alert.name.clone(),
                role: alert.role.clone(),
                note: None,
            });
            if i % 3 != 0 {
                handoff.push(HandoffStep {
                    at: when,
                    step: "accepted".into(),
                    who: alert.name.clone(),
                    role: alert.role.clone(),
                    note: None,
                });
            }
        }
        let r = receipt::build(&Inputs {
            business,
            conversation: &c,
            assessment: &a,
            decision: &d,
            messages: &messages,
            handoff: &handoff,
            booking: None,
            media: &[],
            version: 1,
        });
        tx.insert_contact(&ContactRow {
            id: c.contact_id.clone(),
            business: BUSINESS.into(),
            channel: c.channel.as_str().into(),
            caller: c.caller.clone(),
            call_sid: None,
            opened_at: at,
            status: "closed".into(),
            version: 1,
            state: serde_json::to_string(&c)?,
        })
        .await?;
        tx.put_receipt(
            &c.contact_id,
            1,
            BUSINESS,
            d.lane.as_deref(),
            &serde_json::to_string(&r)?,
            at,
        )
        .await?;
        if i % 1000 == 999 {
            tx.commit().await?;
            tx = store.begin().await?;
        }
    }
    tx.commit().await?;
    println!(
        "generated {total} contacts ({per_day} a day for a year) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    harness.app.clock.set(end);
    store
        .put_user(
            "load@example.com",
            &hash_password("load test password").map_err(|e| anyhow::anyhow!("{e}"))?,
            "owner",
            &[BUSINESS.into()],
            0,
        )
        .await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let base = format!("http://{}", harness.addr);
    let cookie = login(&http, &base).await?;
    let page = |path: &str| format!("{base}{path}");
    let newest = format!("/contacts/c_load{:06}", total - 1);
    let draft = nightdesk::config::routes_toml(&business.routes).replacen(
        "lane = \"emergency\"",
        "lane = \"priority\"",
        1,
    );

    println!(
        "{:<34} {:>10} {:>10} {:>8}",
        "page", "median ms", "p90 ms", "bytes"
    );
    for path in [
        "/contacts",
        newest.as_str(),
        "/numbers",
        "/numbers?days=366",
        "/worth",
        "/audit",
        "/metrics",
    ] {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            let r = http
                .get(page(path))
                .header("cookie", &cookie)
                .send()
                .await?;
            anyhow::ensure!(r.status() == 200, "{path}: {}", r.status());
            bytes = r.bytes().await?.len();
            times.push(t.elapsed());
        }
        report(path, &mut times, bytes);
    }
    let csrf = csrf_of(
        &http
            .get(page("/audit"))
            .header("cookie", &cookie)
            .send()
            .await?
            .text()
            .await?,
    )?;
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..rounds.min(5) {
        let t = Instant::now();
        let form = [
            ("csrf", csrf.as_str()),
            ("draft", draft.as_str()),
            ("days", "30"),
        ];
        let r = http
            .post(page("/audit"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await?;
        anyhow::ensure!(r.status() == 200, "audit: {}", r.status());
        bytes = r.bytes().await?.len();
        times.push(t.elapsed());
    }
    report("POST /audit (30 days, draft)", &mut times, bytes);
    Ok(())
}

fn report(path: &str, times: &mut [Duration], bytes: usize) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p90 = times[((times.len() as f64 * 0.9).ceil() as usize).clamp(1, times.len()) - 1];
    println!(
        "{path:<34} {:>10.1} {:>10.1} {bytes:>8}",
        ms(times[(times.len() - 1) / 2]),
        ms(p90)
    );
}

fn csrf_of(html: &str) -> anyhow::Result<String> {
    let at = html
        .find("name=\"csrf\" value=\"")
        .context("a csrf field")?
        + 19;
    Ok(html[at..].split('"').next().unwrap_or("").to_string())
}

async fn login(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let r = http.get(format!("{base}/login")).send().await?;
    let set = r
        .headers()
        .get("set-cookie")
        .context("login cookie")?
        .to_str()?
        .to_string();
    let token = set
        .split(';')
        .next()
        .unwrap_or("")
        .split_once('=')
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    let form = [
        ("csrf", token.as_str()),
        ("email", "load@example.com"),
        ("password", "load test password"),
    ];
    let r = http
        .post(format!("{base}/login"))
        .header("cookie", format!("nd_login={token}"))
        .form(&form)
        .send()
        .await?;
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("nd_session="))
        .context("a session")?;
    Ok(session.split(';').next().unwrap_or("").to_string())
}
