//! Issue 5's fault test: the whole corpus replayed while every remote
//! sink's stand-in answers 500s and timeouts for a stretch. The backlog
//! must be visible while it lasts, and once the sinks recover every
//! receipt version must have arrived exactly once at every sink. Every
//! version written must also validate against `schema/receipt.schema.json`.
//!
//! The worker is stepped with `dispatch::worker::run_one` and the
//! settable clock; nothing waits on a timer to decide the outcome.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use nightdesk::config::Config;
use nightdesk::dispatch::worker::run_one;
use nightdesk::record::outbox;
use nightdesk::record::sinks::{sheets, Sink, SinkKind};
use nightdesk::record::standins::{Outage, Service, SinkStandIns};
use nightdesk::record::Receipt;
use nightdesk::replay::Harness;
use serde_json::Value;

use super::helpers::{corpus, SHARED_DATA};

const SECRET_ENV: &str = "NIGHTDESK_TEST_SINKS_WEBHOOK_SECRET";
const TOKEN_ENV: &str = "NIGHTDESK_TEST_SINKS_HUBSPOT_TOKEN";
/// Test value only; no endpoint uses it.
const SECRET: &str = "whsec_dGVzdC1vbmx5LW5pZ2h0ZGVzay1zaW5rcy0wMDAwMDA=";

fn sinks(base: &str) -> Vec<Sink> {
    let timeout = Duration::from_millis(400);
    // The replay's clock jumps between the corpus's dates, months apart;
    // the maximum age is tested on its own, not here.
    let max_age = Duration::from_secs(10 * 365 * 24 * 3600);
    let sink = |name: &str, kind| Sink {
        name: name.into(),
        kind,
        timeout,
        max_age,
    };
    vec![
        Sink::dispatch_log(),
        sink("csv_log", SinkKind::CsvLog),
        sink(
            "webhook",
            SinkKind::Webhook {
                url: format!("{base}/hook"),
                secret_env: SECRET_ENV.into(),
            },
        ),
        sink(
            "google_sheets",
            SinkKind::GoogleSheets(sheets::Settings {
                spreadsheet_id: "1NdTESTsheet0Birchline0Receipts0000000000000".into(),
                range: "Receipts!A:O".into(),
                key_file: format!(
                    "{SHARED_DATA}/google/service-account/TEST-ONLY-service-account.json"
                )
                .into(),
                token_url: format!("{base}/token"),
                api_base: base.into(),
            }),
        ),
        sink(
            "hubspot",
            SinkKind::Hubspot {
                api_base: base.into(),
                token_env: TOKEN_ENV.into(),
            },
        ),
    ]
}

const REMOTE: [Service; 3] = [Service::Webhook, Service::Google, Service::Hubspot];

pub fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/receipt.schema.json"
    ))
    .expect("the schema");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft202012::new(&schema).expect("the schema compiles")
}

/// Runs every due job, waiting for the sink writes each round started,
/// until nothing is due.
async fn step(h: &Harness) {
    loop {
        while run_one(&h.app).await.expect("the store answers") {}
        outbox::settle(&h.app).await;
        if !run_one(&h.app).await.expect("the store answers") {
            break;
        }
    }
}

/// Sink jobs by state, from the store's job counts.
async fn sink_counts(h: &Harness) -> HashMap<String, i64> {
    let counts = h.app.store.job_counts().await.expect("job counts");
    counts
        .into_iter()
        .filter(|(kind, _, _)| kind == "sink")
        .map(|(_, state, n)| (state, n))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_version_reaches_every_sink_once_through_an_outage() {
    // SAFETY (edition 2021: a plain call): names only this test reads.
    std::env::set_var(SECRET_ENV, SECRET);
    std::env::set_var(TOKEN_ENV, "pat-na1-TEST-ONLY");
    let standins = SinkStandIns::start(SECRET)
        .await
        .expect("the sink stand-ins start");
    let mut config = Config::embedded();
    for b in &mut config.businesses {
        b.sinks = sinks(&standins.base_url());
    }
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::start(Arc::new(config), dir.path(), None)
        .await
        .expect("the harness starts");

    // The stretch: from the 20th case to the 36th every remote sink fails,
    // half its requests with a 500 and half held past the timeout (for
    // the sheet and the CRM, after the write landed). Each case moves the
    // clock by days, so every waiting job is due again at each one: the
    // stretch is kept short to keep the run short.
    let entries = corpus();
    let (from, until) = (20, 36);
    let mut backlog_seen = None;
    for (i, entry) in entries.iter().enumerate() {
        if i == from {
            for s in REMOTE {
                standins.fail(
                    s,
                    Outage {
                        hang: Duration::from_secs(2),
                        lands: s != Service::Webhook,
                    },
                );
            }
            standins.rate_limit_hubspot(3);
        }
        if i == until {
            step(&h).await;
            let counts = sink_counts(&h).await;
            let backlog = h.app.store.sink_backlog().await.unwrap();
            backlog_seen = Some((counts, backlog));
            for s in REMOTE {
                standins.recover(s);
            }
        }
        h.play(entry)
            .await
            .unwrap_or_else(|e| panic!("{}: {e:#}", entry.id));
        step(&h).await;
    }

    // The backlog was there to see: queued sink jobs, each remote sink
    // with failed attempts and its last error.
    let (counts, backlog) = backlog_seen.expect("the outage ended during the replay");
    assert!(
        counts.get("queued").copied().unwrap_or(0) > 0,
        "no sink job waited during the outage: {counts:?}"
    );
    for sink in ["webhook", "google_sheets", "hubspot"] {
        let waiting = backlog
            .iter()
            .find(|b| b.sink == sink && b.state == "queued");
        let waiting =
            waiting.unwrap_or_else(|| panic!("{sink}: no queued jobs in the backlog {backlog:?}"));
        assert!(
            waiting.max_attempts >= 1 && waiting.last_error.is_some(),
            "{sink}: {waiting:?}"
        );
    }
    for s in REMOTE {
        assert!(standins.failed(s) > 0, "{s:?} never failed");
    }

    // Recovery: move the clock past each retry and run what is due.
    for _ in 0..200 {
        let counts = sink_counts(&h).await;
        if counts.get("queued").copied().unwrap_or(0) + counts.get("running").copied().unwrap_or(0)
            == 0
        {
            break;
        }
        if let Some(due) = h.app.store.next_due().await.unwrap() {
            if due > h.app.clock.millis() {
                h.app
                    .clock
                    .set(jiff::Timestamp::from_millisecond(due).unwrap());
            }
        }
        step(&h).await;
    }
    let counts = sink_counts(&h).await;
    assert_eq!(
        counts.get("dead"),
        None,
        "sink jobs died: {:?}",
        h.app.store.sink_backlog().await.unwrap()
    );
    assert_eq!(
        counts.get("queued").copied().unwrap_or(0) + counts.get("running").copied().unwrap_or(0),
        0,
        "{counts:?}"
    );

    // Every version written, valid against the schema.
    let versions = h.app.store.receipts_since(i64::MIN).await.unwrap();
    let validator = schema();
    let mut ids = BTreeSet::new();
    let mut delivered = 0;
    for (contact, version, body) in &versions {
        let json: Value = serde_json::from_str(body).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{contact}:{version} breaks the schema:\n  {}",
            errors.join("\n  ")
        );
        let receipt: Receipt =
            serde_json::from_value(json).expect("the Rust type reads every version");
        delivered += receipt
            .messages
            .iter()
            .filter(|m| m.status == "delivered")
            .count();
        ids.insert(receipt.receipt_id);
    }
    assert!(
        versions.len() > entries.len(),
        "{} versions for {} cases",
        versions.len(),
        entries.len()
    );
    assert!(
        delivered > 0,
        "no delivery status from Twilio's callbacks reached a receipt"
    );

    // Exactly once at every sink.
    let once = |name: &str, seen: HashMap<String, usize>| {
        let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            twice.is_empty(),
            "{name}: versions written more than once: {twice:?}"
        );
        let got: BTreeSet<String> = seen.into_keys().collect();
        let missing: Vec<_> = ids.difference(&got).collect();
        let extra: Vec<_> = got.difference(&ids).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: missing {missing:?}, unknown {extra:?}"
        );
    };
    let tally = |list: Vec<String>| {
        let mut n = HashMap::new();
        for id in list {
            *n.entry(id).or_insert(0) += 1;
        }
        n
    };
    let log = std::fs::read_to_string(dir.path().join("dispatch-log.jsonl")).unwrap();
    once(
        "dispatch_log",
        tally(
            log.lines()
                .map(|l| {
                    serde_json::from_str::<Value>(l).unwrap()["receipt_id"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect(),
        ),
    );
    let mut csv = csv::Reader::from_path(dir.path().join("dispatch-log.csv")).unwrap();
    once(
        "csv_log",
        tally(csv.records().map(|r| r.unwrap()[0].to_string()).collect()),
    );
    once("webhook", standins.webhook_ids());
    assert_eq!(standins.bad_signatures(), 0);
    once(
        "google_sheets",
        tally(
            standins
                .rows()
                .iter()
                .map(|r| r[0].as_str().unwrap().to_string())
                .collect(),
        ),
    );
    let notes = standins.objects("notes");
    once(
        "hubspot",
        tally(
            notes
                .iter()
                .map(|n| {
                    n.properties["nightdesk_receipt_id"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect(),
        ),
    );
    let deals = tally(
        standins
            .objects("deals")
            .iter()
            .map(|d| {
                d.properties["nightdesk_contact_id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect(),
    );
    assert!(deals.values().all(|n| *n == 1), "a contact got two deals");
    assert!(
        notes.iter().all(|n| n.associations.len() == 2),
        "a note not linked to its contact and deal"
    );
}
