//! The crash test of issue 3: the real `nightdesk serve` binary, killed
//! with SIGKILL twice during a replay of 50 calls (once just after an
//! emergency call closed, while its alert may be in flight, and once in
//! the middle of a dialog) and restarted on the same data folder. No
//! call may be lost and no technician texted twice for one call.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nightdesk::intake::corpus::Entry;
use nightdesk::intake::{Channel, Weather};
use nightdesk::standin::{Caller, Prompt, Reply, StandIn};
use nightdesk::store::Store;
use nightdesk::twilio::signature;
use nightdesk::weather::standin::WeatherStandIn;
use sqlx::Row;

use super::helpers::{answer, corpus};

const ACCOUNT_SID: &str = "ACcrash0000000000000000000000000000";
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

struct Serve {
    port: u16,
    data: std::path::PathBuf,
    twilio: String,
    weather: String,
}

impl Serve {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the binary and waits until it answers.
    async fn start(&self) -> Child {
        let child = Command::new(env!("CARGO_BIN_EXE_nightdesk"))
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .arg("--data")
            .arg(&self.data)
            .env("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
            .env("TWILIO_AUTH_TOKEN", TOKEN)
            .env("TWILIO_API_BASE", &self.twilio)
            .env("NIGHTDESK_WEATHER_URL", &self.weather)
            .env("NIGHTDESK_PUBLIC_URL", self.base())
            .env_remove("NIGHTDESK_DATABASE_URL")
            .env_remove("NIGHTDESK_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the nightdesk binary starts");
        let health = format!("{}/healthz", self.base());
        for _ in 0..200 {
            if reqwest::get(&health)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return child;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nightdesk serve did not answer {health}");
    }
}

fn kill(child: &Mutex<Option<Child>>) {
    if let Some(mut c) = child.lock().unwrap().take() {
        // std's kill is SIGKILL on Unix: no shutdown code runs.
        c.kill().expect("SIGKILL");
        c.wait().unwrap();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Posts the `completed` status Twilio sends when a call ends, for a call
/// whose dialog the crash cut off.
async fn completed(base: &str, call_sid: &str, entry: &Entry) {
    let params: Vec<(String, String)> = [
        ("AccountSid", ACCOUNT_SID),
        ("CallSid", call_sid),
        ("CallStatus", "completed"),
        ("Direction", "inbound"),
        ("From", &entry.from),
        ("To", &entry.business),
        ("CallDuration", "41"),
        ("ApiVersion", "2010-04-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let url = format!("{base}/twilio/voice/status");
    let sig = signature::compute(TOKEN, &url, &params);
    let response = reqwest::Client::new()
        .post(&url)
        .header("X-Twilio-Signature", sig)
        .form(&params)
        .send()
        .await
        .expect("the restarted server answers");
    assert!(
        response.status().is_success(),
        "status callback: {}",
        response.status()
    );
}

async fn open_store(dir: &Path) -> Store {
    Store::open_data_dir(dir)
        .await
        .expect("the server's SQLite file opens")
}

/// Waits until no text or call job is queued or running.
async fn drained(store: &Store) {
    for _ in 0..600 {
        // Texts due now: a priority text for the morning waits by design.
        let now = jiff::Timestamp::now().as_millisecond();
        let row = sqlx::query("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running') AND kind IN ('message', 'call') AND run_at <= $1")
            .bind(now)
            .fetch_one(store.pool())
            .await
            .unwrap();
        if row.get::<i64, _>(0) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("texts still queued a minute after the replay");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_replay_loses_no_call_and_texts_no_technician_twice() {
    let twilio = StandIn::start(ACCOUNT_SID, TOKEN).await.unwrap();
    let weather = WeatherStandIn::start().await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let serve = Serve {
        port: free_port(),
        data: data.path().to_path_buf(),
        twilio: twilio.base_url(),
        weather: weather.base_url.clone(),
    };
    let child = Arc::new(Mutex::new(Some(serve.start().await)));
    let caller = Caller::new(&serve.base(), ACCOUNT_SID, TOKEN);

    let calls: Vec<Entry> = corpus()
        .into_iter()
        .filter(|e| e.channel == Channel::Voice)
        .take(50)
        .collect();
    assert_eq!(calls.len(), 50);
    let (after_close, mid_dialog) = (17, 33);
    let mut call_sids: Vec<String> = Vec::new();
    let mut cut_off = None;

    for (i, entry) in calls.iter().enumerate() {
        weather.set(Weather {
            outdoor_temp_f: entry.context.outdoor_temp_f,
            hurricane_warning: entry.context.hurricane_warning,
        });
        let mut asked = 0;
        let mut contact = None;
        let mut reply = |p: &Prompt| {
            asked += 1;
            if contact.is_none() {
                contact = url::Url::parse(&p.action_url).ok().and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k == "contact")
                        .map(|(_, v)| v.into_owned())
                });
            }
            if i == mid_dialog && asked == 3 {
                kill(&child);
            }
            match p.slot.as_deref() {
                Some(slot) => Reply::Speech {
                    text: answer(entry, slot),
                    confidence: 0.92,
                },
                None => Reply::HangUp,
            }
        };
        match caller.call(&entry.from, &entry.business, &mut reply).await {
            Ok(t) => call_sids.push(t.call_sid),
            Err(_) if i == mid_dialog => {
                // Twilio gives up on the dialog and, once the line is
                // down, posts the call's final status to the restarted
                // server: the case is triaged on what was said.
                *child.lock().unwrap() = Some(serve.start().await);
                let contact = contact.expect("the dialog named its contact");
                let store = open_store(data.path()).await;
                let row = store
                    .contact(&contact)
                    .await
                    .unwrap()
                    .expect("the cut-off call was stored before the crash");
                let sid = row.call_sid.expect("a call's contact keeps its CallSid");
                completed(&serve.base(), &sid, entry).await;
                call_sids.push(sid.clone());
                cut_off = Some(sid);
            }
            Err(e) => panic!("{}: {e}", entry.id),
        }
        if i == after_close {
            // The call has just closed; its alert may be queued or on its
            // way to Twilio.
            kill(&child);
            *child.lock().unwrap() = Some(serve.start().await);
        }
    }
    assert!(cut_off.is_some(), "the mid-dialog kill happened");

    let store = open_store(data.path()).await;
    drained(&store).await;
    twilio.settle().await;
    kill(&child);

    // No call lost: each has its contact and a receipt.
    let mut lost = Vec::new();
    for (entry, sid) in calls.iter().zip(&call_sids) {
        let Some(contact) = store.contact_of_call(sid).await.unwrap() else {
            lost.push(format!("{}: no contact", entry.id));
            continue;
        };
        if store.receipt(&contact).await.unwrap().is_none() {
            lost.push(format!("{}: no receipt", entry.id));
        }
    }
    assert!(lost.is_empty(), "calls lost across the crashes: {lost:?}");

    // No technician texted twice for one call, in the store or at Twilio.
    let rows = sqlx::query("SELECT contact_id, recipient, COUNT(*) FROM messages WHERE role = 'technician' GROUP BY contact_id, recipient")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let twice: Vec<String> = rows
        .iter()
        .filter(|r| r.get::<i64, _>(2) > 1)
        .map(|r| r.get::<String, _>(0))
        .collect();
    assert!(
        twice.is_empty(),
        "technicians texted twice for contacts {twice:?}"
    );
    assert!(
        !rows.is_empty(),
        "no technician was texted: the replay proves nothing"
    );
    let mut bodies: HashMap<(String, String), usize> = HashMap::new();
    for m in twilio.messages() {
        *bodies.entry((m.to.clone(), m.body.clone())).or_default() += 1;
    }
    let repeated: Vec<_> = bodies
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|((to, body), n)| format!("{to} x{n}: {body}"))
        .collect();
    assert!(
        repeated.is_empty(),
        "the same text reached Twilio twice: {repeated:?}"
    );
}
