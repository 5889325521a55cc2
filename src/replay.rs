//! Replay: plays corpus cases through the real webhooks, over HTTP, with
//! the Twilio stand-in taking the texts, and reads each result back from
//! the receipt. `replay`, `demo` and the integration tests use it.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Config;
use crate::conversation::{slot_for_prompt, OPENING};
use crate::intake::corpus::Entry;
use crate::intake::{Channel, Weather};
use crate::record::Receipt;
use crate::server::App;
use crate::standin::{Caller, Prompt, Reply, StandIn};
use crate::store::Store;
use crate::triage::Outcome;
use crate::twilio::{RestClient, Secret};
use crate::weather::standin::WeatherStandIn;
use crate::weather::WeatherSource;

const ACCOUNT_SID: &str = "ACnightdeskreplay000000000000000000";

/// A server with its stand-in, listening on loopback.
pub struct Harness {
    pub app: App,
    pub addr: SocketAddr,
    pub standin: StandIn,
    pub weather: WeatherStandIn,
    pub caller: Caller,
    server: tokio::task::JoinHandle<()>,
    worker: tokio::task::JoinHandle<()>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.server.abort();
        self.worker.abort();
    }
}

impl Harness {
    /// Starts the server on 127.0.0.1:0 with a settable clock and weather,
    /// the store at `database_url` (or SQLite under `data_dir`), and the
    /// Twilio stand-in.
    ///
    /// # Errors
    ///
    /// When the store, the stand-in or the listener cannot start.
    pub async fn start(
        config: Arc<Config>,
        data_dir: &Path,
        database_url: Option<&str>,
    ) -> anyhow::Result<Harness> {
        let token = format!("{:032x}", rand::random::<u128>());
        let standin = StandIn::start(ACCOUNT_SID, &token)
            .await
            .context("starting the Twilio stand-in")?;
        let weather = WeatherStandIn::start()
            .await
            .context("starting the weather stand-in")?;
        let store = match database_url {
            Some(url) => Store::open(url).await,
            None => Store::open_data_dir(data_dir).await,
        }
        .context("opening the store")?;
        let rest = RestClient::new(&standin.base_url(), ACCOUNT_SID, Secret::new(token.clone()))
            .context("Twilio client")?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = App {
            config,
            store,
            clock: Clock::settable(jiff::Timestamp::now()),
            weather: WeatherSource::nws(&weather.base_url)?,
            twilio: Some(Arc::new(rest)),
            auth_token: Arc::new(Secret::new(token.clone())),
            public_url: Some(format!("http://{addr}")),
            data_dir: data_dir.to_path_buf(),
            jobs_ready: Arc::new(Notify::new()),
        };
        let router = crate::server::router(app.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        let worker = tokio::spawn(crate::dispatch::worker::run(app.clone()));
        let caller = Caller::new(&format!("http://{addr}"), ACCOUNT_SID, &token);
        Ok(Harness {
            app,
            addr,
            standin,
            weather,
            caller,
            server,
            worker,
        })
    }

    /// Sets the server's clock to the case's time and its weather
    /// stand-in to the case's context, as [`Harness::play`] does first.
    ///
    /// # Errors
    ///
    /// When the case's time does not parse.
    pub fn set_scene(&self, entry: &Entry) -> anyhow::Result<()> {
        let case = entry.case()?;
        self.app.clock.set(case.at);
        self.weather.set(Weather {
            outdoor_temp_f: entry.context.outdoor_temp_f,
            hurricane_warning: entry.context.hurricane_warning,
        });
        Ok(())
    }

    /// Plays one case; `None` for a channel replay does not cover yet.
    ///
    /// # Errors
    ///
    /// When the server answers with an error or no receipt appears.
    pub async fn play(&self, entry: &Entry) -> anyhow::Result<Option<Outcome>> {
        let case = entry.case()?;
        self.set_scene(entry)?;
        let answer = |slot: &str| -> String {
            if slot == OPENING {
                return entry.opening.clone();
            }
            entry
                .answers
                .get(slot)
                .and_then(|v| v.as_str())
                .map_or("i don't know".to_string(), str::to_string)
        };
        let key = match case.channel {
            Channel::Voice => {
                let mut reply = |p: &Prompt| match p.slot.as_deref() {
                    Some(slot) => Reply::Speech {
                        text: answer(slot),
                        confidence: 0.92,
                    },
                    None => Reply::HangUp,
                };
                let t = self
                    .caller
                    .call(&case.from, &case.business, &mut reply)
                    .await?;
                t.call_sid
            }
            Channel::MissedCall => {
                self.caller
                    .missed_call(&case.from, &case.business, "no-answer")
                    .await?
            }
            Channel::Sms => {
                self.text_dialog(&case.from, &case.business, &answer)
                    .await?
            }
            Channel::Voicemail => {
                let mut misses = 0;
                let mut reply = |p: &Prompt| {
                    if p.input == "record" {
                        return Reply::Speech {
                            text: entry.opening.clone(),
                            confidence: 0.9,
                        };
                    }
                    misses += 1;
                    if misses > 4 {
                        Reply::HangUp
                    } else {
                        Reply::Silence
                    }
                };
                let t = self
                    .caller
                    .call(&case.from, &case.business, &mut reply)
                    .await?;
                t.call_sid
            }
            Channel::WebForm => {
                let Some(form) = &entry.web_form else {
                    return Ok(None);
                };
                let business = self
                    .app
                    .config
                    .business(&case.business)
                    .context("no business has that number")?;
                let response = reqwest::Client::new()
                    .post(format!("http://{}/forms/{}", self.addr, business.id))
                    .json(form)
                    .send()
                    .await?;
                let status = response.status();
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                match body["id"].as_str() {
                    Some(id) => format!("contact:{id}"),
                    None => bail!("web form answered {status}: {body}"),
                }
            }
        };
        let receipt = self.settled_receipt(&key, case.channel).await?;
        Ok(Some(outcome(&entry.id, &receipt)))
    }

    /// Texts the opening, then answers each question the replies ask.
    async fn text_dialog(
        &self,
        from: &str,
        to: &str,
        answer: &dyn Fn(&str) -> String,
    ) -> anyhow::Result<String> {
        let mut body = answer(OPENING);
        for _ in 0..20 {
            let xml = self.caller.text(from, to, &body, Vec::new()).await?;
            let said = message_text(&xml);
            match slot_for_prompt(&said) {
                Some(slot) => body = answer(slot),
                None => break,
            }
        }
        Ok(format!("sms:{from}"))
    }

    /// Waits for the contact's jobs to run, then reads its newest receipt.
    async fn settled_receipt(&self, key: &str, channel: Channel) -> anyhow::Result<Receipt> {
        let store = &self.app.store;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let contact = match channel {
                _ if key.starts_with("contact:") => {
                    Some(key.trim_start_matches("contact:").to_string())
                }
                Channel::Sms => {
                    let caller = key.split(':').nth(1).unwrap_or("");
                    store.latest_contact_of(caller).await?
                }
                _ => store.contact_of_call(key).await?,
            };
            if let Some(id) = contact {
                if store.pending_jobs(&id, self.app.clock.millis()).await? == 0 {
                    if let Some(body) = store.receipt(&id).await? {
                        return Ok(serde_json::from_str(&body)?);
                    }
                }
            }
            if tokio::time::Instant::now() > deadline {
                bail!("no receipt for {key} within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// The text of a `<Message>` reply.
fn message_text(xml: &str) -> String {
    crate::twilio::twiml_read::parse(xml)
        .ok()
        .and_then(|root| {
            root.children
                .iter()
                .find(|c| c.name == "Message")
                .map(|m| m.text.clone())
        })
        .unwrap_or_default()
}

/// The result line, read back from the receipt.
pub fn outcome(id: &str, r: &Receipt) -> Outcome {
    Outcome {
        id: id.to_string(),
        trade: r.trade.clone(),
        in_area: r.address.in_area,
        existing_customer: r.caller.existing_customer,
        hazard: r.hazard.clone(),
        unclear_safety: r.unclear_safety,
        angry: !r.angry.is_empty(),
        over_threshold: r.over_threshold,
        spam: r.spam,
        urgency: r.urgency.score,
        lane: r.lane.clone(),
        rule: r.rule.clone(),
        safety_script: r.safety_script.clone(),
        alert_to: r.first_alert.as_ref().map(|a| a.phone.clone()),
        after_hours: r.after_hours,
        questions: Some(r.dialog.questions),
        safety_script_first: r
            .safety_script
            .as_ref()
            .map(|_| r.safety_script_first.unwrap_or(false)),
    }
}
