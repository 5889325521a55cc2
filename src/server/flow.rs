//! What each webhook does, store first: the raw request is claimed under
//! its idempotency key, the conversation advanced, the answer stored, all
//! in one transaction; alerts are queued jobs that run after the commit.

use tracing::info;

use super::{render, App, Error};
use crate::config::Business;
use crate::conversation::{Conversation, Ending, Heard, Next};
use crate::dispatch::{plan, transfer};
use crate::intake::{Channel, Weather};
use crate::store::{new_id, Claim, ContactRow, Tx};

/// Form parameters of a webhook, looked up by name.
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn need(&self, name: &str) -> Result<&str, Error> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::BadRequest(format!("missing {name}")))
    }
}

fn row(c: &Conversation, status: &str, version: i64) -> Result<ContactRow, Error> {
    Ok(ContactRow {
        id: c.contact_id.clone(),
        business: c.business.clone(),
        channel: c.channel.as_str().into(),
        caller: c.caller.clone(),
        call_sid: c.call_sid.clone(),
        opened_at: c.started_at.as_millisecond(),
        status: status.into(),
        version,
        state: serde_json::to_string(c)?,
    })
}

/// Claims the webhook; a retry gets the answer the first one got.
pub(super) async fn claim(
    tx: &mut Tx<'_>,
    key: &str,
    kind: &str,
    business: &str,
    body: &str,
    now: i64,
) -> Result<Option<String>, Error> {
    match tx.claim_webhook(key, kind, business, body, now).await? {
        Claim::New => Ok(None),
        Claim::Seen(answer) => Ok(Some(answer.unwrap_or_default())),
    }
}

/// An incoming call: a new contact, the greeting and the first question.
pub async fn call_started(
    app: &App,
    business: &Business,
    p: &Params,
    key: &str,
    body: &str,
) -> Result<String, Error> {
    let call_sid = p.need("CallSid")?.to_string();
    let caller = crate::intake::phone::normalize(p.get("From").unwrap_or(""))
        .unwrap_or_else(|| p.get("From").unwrap_or("").to_string());
    let now = app.clock.now();
    let weather = app
        .weather
        .current(business.shop, business.weather_station.as_deref(), now)
        .await;
    let mut tx = app.store.begin().await?;
    if let Some(answer) = claim(
        &mut tx,
        key,
        "voice",
        &business.number,
        body,
        now.as_millisecond(),
    )
    .await?
    {
        return Ok(answer);
    }
    let (mut c, reply) =
        Conversation::start(new_id("c"), business, Channel::Voice, caller, now, weather);
    c.call_sid = Some(call_sid);
    let xml = render::voice(business, &c, &reply);
    tx.insert_contact(&row(&c, "open", 1)?).await?;
    tx.event(
        &c.contact_id,
        "intake",
        &serde_json::json!({"channel": "voice", "call_sid": c.call_sid}),
        now.as_millisecond(),
    )
    .await?;
    tx.answer_webhook(key, &xml).await?;
    tx.commit().await?;
    info!(contact_id = %c.contact_id, business_id = %business.id, "call answered");
    Ok(xml)
}

/// The caller's answer to a question on a call.
pub async fn call_turn(
    app: &App,
    p: &Params,
    contact_id: &str,
    key: &str,
    body: &str,
) -> Result<String, Error> {
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    let stored = tx
        .contact(contact_id)
        .await?
        .ok_or_else(|| Error::BadRequest("unknown contact".into()))?;
    let business = app
        .config
        .business(&stored.business)
        .ok_or_else(|| Error::BadRequest("unknown business".into()))?;
    if let Some(answer) = claim(
        &mut tx,
        key,
        "voice-turn",
        &business.number,
        body,
        now.as_millisecond(),
    )
    .await?
    {
        return Ok(answer);
    }
    let mut c: Conversation = serde_json::from_str(&stored.state)?;
    if c.ended.is_some() {
        let xml = render::hangup();
        tx.answer_webhook(key, &xml).await?;
        tx.commit().await?;
        return Ok(xml);
    }
    let heard = match (p.get("SpeechResult"), p.get("Digits")) {
        (Some(text), _) if !text.trim().is_empty() => Heard::Speech {
            text: crate::intake::clip(text).to_string(),
            confidence: p.get("Confidence").and_then(|c| c.parse().ok()),
        },
        (_, Some(d)) if !d.is_empty() => Heard::Digits(d.to_string()),
        _ => Heard::Nothing,
    };
    let reply = c.answer(business, heard, now);
    let xml = render::voice(business, &c, &reply);
    tx.event(
        &c.contact_id,
        "turn",
        &serde_json::json!({"step": c.step, "asked": c.pending}),
        now.as_millisecond(),
    )
    .await?;
    let closed = reply.next.ends_dialog();
    if let Next::Transfer { name, .. } = &reply.next {
        transfer::dialed(&mut tx, &c.contact_id, name, now.as_millisecond()).await?;
    }
    if closed {
        plan::finalize(&mut tx, app, business, &mut c, now).await?;
    }
    tx.update_contact(&row(
        &c,
        if closed { "closed" } else { "open" },
        stored.version,
    )?)
    .await?;
    tx.answer_webhook(key, &xml).await?;
    tx.commit().await?;
    if closed {
        app.jobs_ready.notify_one();
    }
    Ok(xml)
}

/// A call's status changed. A call that ends mid-dialog is triaged on what
/// was said; a call that was never answered, or ended before the caller
/// said anything, is a missed call and gets the text-back.
pub async fn call_status(
    app: &App,
    business: Option<&Business>,
    p: &Params,
    key: &str,
    body: &str,
) -> Result<(), Error> {
    let call_sid = p.need("CallSid")?;
    let status = p.get("CallStatus").unwrap_or("");
    if !matches!(
        status,
        "completed" | "no-answer" | "busy" | "failed" | "canceled"
    ) {
        return Ok(());
    }
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    let stored = tx.contact_by_call(call_sid).await?;
    let number = stored
        .as_ref()
        .map(|s| s.business.clone())
        .or_else(|| business.map(|b| b.number.clone()));
    let Some(business) = number.as_deref().and_then(|n| app.config.business(n)) else {
        tracing::warn!("call status for an unknown number ignored");
        return Ok(());
    };
    if claim(
        &mut tx,
        key,
        "voice-status",
        &business.number,
        body,
        now.as_millisecond(),
    )
    .await?
    .is_some()
    {
        return Ok(());
    }
    match stored {
        Some(stored) => {
            let mut c: Conversation = serde_json::from_str(&stored.state)?;
            // A finished dialog needs nothing more; a voicemail waits for
            // its transcription, which finalizes the contact.
            if c.ended.is_some() {
                tx.commit().await?;
                return Ok(());
            }
            if c.pending.as_deref() == Some("voicemail") {
                // The transcription finalizes the contact; if it never
                // comes, the idle timer routes it on what was said.
                tx.enqueue(&idle_job(business, &c, now), now.as_millisecond())
                    .await?;
                tx.commit().await?;
                app.jobs_ready.notify_one();
                return Ok(());
            }
            c.hang_up();
            if c.words.is_empty() {
                c.channel = Channel::MissedCall;
            }
            plan::finalize(&mut tx, app, business, &mut c, now).await?;
            tx.update_contact(&row(&c, "closed", stored.version)?)
                .await?;
        }
        None => {
            let caller =
                crate::intake::phone::normalize(p.get("From").unwrap_or("")).unwrap_or_default();
            let (mut c, _) = Conversation::start(
                new_id("c"),
                business,
                Channel::MissedCall,
                caller,
                now,
                Weather::default(),
            );
            c.call_sid = Some(call_sid.to_string());
            c.hang_up();
            plan::finalize(&mut tx, app, business, &mut c, now).await?;
            tx.insert_contact(&row(&c, "closed", 1)?).await?;
        }
    }
    tx.commit().await?;
    app.jobs_ready.notify_one();
    Ok(())
}

/// How long a text conversation stays open for the caller's next message.
const TEXT_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// An incoming text: the next turn of the caller's open text conversation,
/// or a new one.
pub async fn text_in(
    app: &App,
    business: &Business,
    p: &Params,
    key: &str,
    body: &str,
) -> Result<String, Error> {
    let caller = crate::intake::phone::normalize(p.need("From")?)
        .unwrap_or_else(|| p.get("From").unwrap_or("").to_string());
    let text = crate::intake::clip(p.get("Body").unwrap_or("")).to_string();
    let now = app.clock.now();
    let weather = app
        .weather
        .current(business.shop, business.weather_station.as_deref(), now)
        .await;
    let mut tx = app.store.begin().await?;
    if let Some(answer) = claim(
        &mut tx,
        key,
        "sms",
        &business.number,
        body,
        now.as_millisecond(),
    )
    .await?
    {
        return Ok(answer);
    }
    if let Some(reply) =
        crate::dispatch::replies::handle(&mut tx, app, business, &caller, &text, now).await?
    {
        tx.answer_webhook(key, &reply).await?;
        tx.commit().await?;
        app.jobs_ready.notify_one();
        return Ok(reply);
    }
    let photos = media_urls(p);
    let since = now.as_millisecond() - TEXT_WINDOW_MS;
    let open = tx
        .recent_contact(&business.number, &caller, "open", since)
        .await?
        .filter(|o| o.channel == "sms");
    // A reply to a booking offer, when no text dialog is open.
    let booked = match &open {
        None => crate::dispatch::booking::reply(&mut tx, business, &caller, &text, now).await?,
        Some(_) => None,
    };
    if let Some(reply) = booked {
        let xml = crate::twilio::MessagingResponse::new()
            .message(&reply)
            .to_string();
        tx.answer_webhook(key, &xml).await?;
        tx.commit().await?;
        app.jobs_ready.notify_one();
        return Ok(xml);
    }
    if open.is_none() && !photos.is_empty() && text.trim().is_empty() {
        // Photos alone, after the contact they belong to was closed (the
        // call ended, the form was sent): kept with that contact.
        if let Some(done) = tx
            .recent_contact(&business.number, &caller, "closed", since)
            .await?
        {
            let xml = attach_photos(&mut tx, app, business, done, photos, now).await?;
            tx.answer_webhook(key, &xml).await?;
            tx.commit().await?;
            app.jobs_ready.notify_one();
            return Ok(xml);
        }
    }
    let (mut c, version, reply, fresh) = match open {
        Some(stored) => {
            let mut c: Conversation = serde_json::from_str(&stored.state)?;
            queue_media(&mut tx, &c, &photos, now).await?;
            c.photos.extend(photos);
            let reply = c.answer(
                business,
                Heard::Speech {
                    text,
                    confidence: None,
                },
                now,
            );
            (c, stored.version, reply, false)
        }
        None => {
            let (mut c, reply) =
                Conversation::start_text(new_id("c"), business, caller, now, weather, &text);
            queue_media(&mut tx, &c, &photos, now).await?;
            c.photos = photos;
            (c, 1, reply, true)
        }
    };
    let closed = reply.next.ends_dialog();
    let status = if closed { "closed" } else { "open" };
    if closed {
        plan::finalize(&mut tx, app, business, &mut c, now).await?;
    }
    if fresh {
        tx.insert_contact(&row(&c, status, version)?).await?;
        tx.event(
            &c.contact_id,
            "intake",
            &serde_json::json!({"channel": "sms"}),
            now.as_millisecond(),
        )
        .await?;
    } else {
        tx.update_contact(&row(&c, status, version)?).await?;
    }
    if !closed {
        tx.enqueue(&idle_job(business, &c, now), now.as_millisecond())
            .await?;
    }
    let xml = render::text(&reply);
    tx.answer_webhook(key, &xml).await?;
    tx.commit().await?;
    app.jobs_ready.notify_one();
    Ok(xml)
}

/// How long an open dialog waits for the caller's next word before it is
/// triaged and routed on what was said: briefly when what was said is
/// already an emergency or a hazard, longer for routine work.
fn idle_after_ms(business: &Business, c: &Conversation) -> i64 {
    let (a, d) = crate::triage::run(&c.case(), business);
    let urgent = a.hazard.is_some()
        || a.unclear_safety
        || matches!(d.lane.as_deref(), Some("emergency" | "human"));
    if urgent {
        2 * 60 * 1000
    } else {
        15 * 60 * 1000
    }
}

/// The timer that closes a dialog the caller walked away from (a text
/// nobody answers, a voicemail whose transcription never comes), keyed
/// by the dialog's step so that a later turn makes it a no-op.
fn idle_job(business: &Business, c: &Conversation, now: jiff::Timestamp) -> crate::store::NewJob {
    crate::store::NewJob {
        dedupe_key: format!("idle:{}:{}", c.contact_id, c.step),
        kind: "idle".into(),
        contact_id: c.contact_id.clone(),
        payload: serde_json::json!({"step": c.step}),
        run_at: now.as_millisecond() + idle_after_ms(business, c),
    }
}

/// Runs an idle timer: a dialog still open at the step it was set for is
/// ended as a hang-up and routed on what was said, so a half-told
/// emergency still wakes someone.
///
/// # Errors
///
/// When the store fails; the job is then retried.
pub async fn idle(app: &App, contact_id: &str, step: u64) -> Result<(), Error> {
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    let Some(stored) = tx.contact(contact_id).await? else {
        return Ok(());
    };
    let Some(business) = app.config.business(&stored.business) else {
        return Ok(());
    };
    let mut c: Conversation = serde_json::from_str(&stored.state)?;
    if stored.status != "open" || u64::from(c.step) != step {
        return Ok(());
    }
    let waited_for_voicemail = c.pending.as_deref() == Some("voicemail");
    c.hang_up();
    if waited_for_voicemail {
        // Its transcription never came: routed now, and one that comes
        // later only adds its words.
        c.ended = Some(Ending::Voicemail);
    }
    if c.words.is_empty() && c.channel == Channel::Voice {
        c.channel = Channel::MissedCall;
    }
    plan::finalize(&mut tx, app, business, &mut c, now).await?;
    tx.update_contact(&row(&c, "closed", stored.version)?)
        .await?;
    tx.commit().await?;
    app.jobs_ready.notify_one();
    info!(contact_id = %c.contact_id, "idle dialog routed on what was said");
    Ok(())
}

/// The media of an MMS, in Twilio's order (`MediaUrl0`, `MediaUrl1`, …).
fn media_urls(p: &Params) -> Vec<String> {
    let count: usize = p.get("NumMedia").and_then(|n| n.parse().ok()).unwrap_or(0);
    (0..count.min(10))
        .filter_map(|i| p.get(&format!("MediaUrl{i}")))
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(str::to_string)
        .collect()
}

/// Queues the jobs that fetch and keep `photos`, which join `c.photos`
/// after those it has: stored with the webhook, fetched after the commit.
async fn queue_media(
    tx: &mut Tx<'_>,
    c: &Conversation,
    photos: &[String],
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let ms = now.as_millisecond();
    for job in crate::record::media::jobs(&c.contact_id, c.photos.len(), photos, ms) {
        tx.enqueue(&job, ms).await?;
    }
    Ok(())
}

/// Keeps late photos with a closed contact: a new receipt version, the
/// jobs that fetch them, and a text with their links to whoever was
/// alerted.
async fn attach_photos(
    tx: &mut Tx<'_>,
    app: &App,
    business: &Business,
    stored: ContactRow,
    photos: Vec<String>,
    now: jiff::Timestamp,
) -> Result<String, Error> {
    let mut c: Conversation = serde_json::from_str(&stored.state)?;
    let count = photos.len();
    let first = c.photos.len();
    queue_media(tx, &c, &photos, now).await?;
    c.photos.extend(photos.iter().cloned());
    let (a, d) = crate::triage::run(&c.case(), business);
    if let Some(alert) = &d.alert {
        let links = plan::photo_links(app, &c, now.as_millisecond());
        let job = crate::store::NewJob {
            dedupe_key: format!("photos:{}:{}", c.contact_id, c.photos.len()),
            kind: "message".into(),
            contact_id: c.contact_id.clone(),
            payload: serde_json::json!({"role": alert.role, "name": alert.name, "to": alert.phone,
                "handoff": false, "text": format!("{}: the caller sent {count} photo(s): {}",
                business.name, links[first..].join(" "))}),
            run_at: now.as_millisecond(),
        };
        tx.enqueue(&job, now.as_millisecond()).await?;
    }
    tx.update_contact(&row(&c, &stored.status, stored.version)?)
        .await?;
    plan::write_receipt(tx, business, &c, &a, &d, now).await?;
    Ok(crate::twilio::MessagingResponse::new()
        .message("Thanks, we added your photos to your request.")
        .to_string())
}

/// A recording or its transcription: the caller's voicemail becomes the
/// words of the contact, which is then triaged like any other.
pub async fn recording(
    app: &App,
    p: &Params,
    contact_id: &str,
    event: &str,
    key: &str,
    body: &str,
) -> Result<String, Error> {
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    let stored = tx
        .contact(contact_id)
        .await?
        .ok_or_else(|| Error::BadRequest("unknown contact".into()))?;
    let business = app
        .config
        .business(&stored.business)
        .ok_or_else(|| Error::BadRequest("unknown business".into()))?;
    if let Some(answer) = claim(
        &mut tx,
        key,
        "recording",
        &business.number,
        body,
        now.as_millisecond(),
    )
    .await?
    {
        return Ok(answer);
    }
    let mut c: Conversation = serde_json::from_str(&stored.state)?;
    let answer = render::hangup();
    let recording = p
        .get("RecordingUrl")
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    // Twilio sends the recording's URL with the action, the recording
    // status and the transcription, in no promised order: the first kept.
    let learned = match (recording, &c.recording) {
        (Some(url), None) => {
            c.recording = Some(url.to_string());
            true
        }
        _ => false,
    };
    if event == "transcription" && stored.status == "closed" && c.ended == Some(Ending::Voicemail) {
        // The idle timer already routed this voicemail on what was said;
        // the late words join the receipt, and nobody is alerted twice.
        let text = crate::intake::clip(p.get("TranscriptionText").unwrap_or("").trim()).to_string();
        if !text.is_empty() {
            c.words.push(crate::intake::Utterance {
                slot: Some("anything else".to_string()),
                text,
            });
        }
        tx.update_contact(&row(&c, "closed", stored.version)?)
            .await?;
        let (a, d) = crate::triage::run(&c.case(), business);
        plan::write_receipt(&mut tx, business, &c, &a, &d, now).await?;
    } else if event == "transcription" && c.ended != Some(Ending::Completed) {
        let text = crate::intake::clip(p.get("TranscriptionText").unwrap_or("").trim()).to_string();
        if !text.is_empty() {
            let slot = if c.words.is_empty() {
                None
            } else {
                Some("anything else".to_string())
            };
            c.words.push(crate::intake::Utterance { slot, text });
        }
        // A call that ended as missed, or before any question, and then
        // left words is a voicemail.
        let unanswered =
            c.channel == Channel::MissedCall || c.channel == Channel::Voice && c.asked.is_empty();
        if c.words.is_empty() || unanswered {
            c.channel = Channel::Voicemail;
        }
        c.ended = Some(Ending::Voicemail);
        c.pending = None;
        plan::finalize(&mut tx, app, business, &mut c, now).await?;
        tx.update_contact(&row(&c, "closed", stored.version)?)
            .await?;
    } else if learned {
        tx.update_contact(&row(&c, &stored.status, stored.version)?)
            .await?;
    }
    tx.answer_webhook(key, &answer).await?;
    tx.commit().await?;
    app.jobs_ready.notify_one();
    Ok(answer)
}
