//! The job worker: runs due jobs from the store (texts to technicians, the
//! owner and callers; calls to the team; escalation timers; photos to
//! fetch; sink writes) with retries and backoff. Tests step it with [`run_one`]; `serve` runs
//! [`run`] forever.

use std::time::Duration;

use serde_json::Value;
use tracing::{info, instrument, warn};

use crate::server::App;
use crate::store::{Job, MessageRow};

/// How long a claimed job is ours before another worker may take it.
const LEASE_MS: i64 = 30_000;
/// Attempts before a job is given up and left visible as dead.
const MAX_ATTEMPTS: i64 = 8;

/// Runs jobs until the process ends, waking when one is queued.
pub async fn run(app: App) {
    loop {
        match run_one(&app).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => warn!(error = %e, "job worker could not reach the store"),
        }
        let wait = match app.store.next_due().await {
            Ok(Some(due)) => (due - app.clock.millis()).clamp(5, 1000),
            _ => 1000,
        };
        let _ = tokio::time::timeout(
            Duration::from_millis(wait as u64),
            app.jobs_ready.notified(),
        )
        .await;
    }
}

/// Runs the oldest due job, if any; true when one ran.
///
/// # Errors
///
/// When the store cannot be reached.
pub async fn run_one(app: &App) -> Result<bool, crate::store::Error> {
    let now = app.clock.millis();
    let sinks_too = crate::record::outbox::has_room(app);
    let Some(job) = app.store.claim_job(now, LEASE_MS, sinks_too).await? else {
        return Ok(false);
    };
    let result = match job.kind.as_str() {
        "message" => send(app, &job).await,
        // A sink write runs on its own task so that a slow sink never
        // holds up a text; the outbox settles the job itself.
        "sink" => return crate::record::outbox::start(app, job.clone()).await,
        "call" => call(app, &job).await,
        "escalate" => escalate(app, &job, now).await,
        "booking" | "booking-check" | "calendar" => booking(app, &job).await,
        "coverage" => coverage(app, &job).await,
        "idle" => {
            let step = job.payload.get("step").and_then(Value::as_u64).unwrap_or(0);
            crate::server::flow::idle(app, &job.contact_id, step)
                .await
                .map_err(|e| Failure::Retry(e.to_string()))
        }
        "media" => media(app, &job).await,
        other => Err(Failure::GiveUp(format!("unknown job kind {other}"))),
    };
    let now = app.clock.millis();
    match result {
        Ok(()) => app.store.finish_job(&job.id, now).await?,
        Err(Failure::Retry(e)) if job.attempts < MAX_ATTEMPTS => {
            let backoff = 1000i64 << job.attempts.min(10);
            let jitter = rand::random::<u32>() as i64 % 500;
            warn!(job_id = %job.id, attempt = job.attempts, error = %e, "job failed, will retry");
            app.store
                .retry_job(&job.id, now + backoff + jitter, &e)
                .await?;
        }
        Err(Failure::Retry(e) | Failure::GiveUp(e)) => {
            tracing::error!(job_id = %job.id, error = %e, "job given up");
            app.store.bury_job(&job.id, &e, now).await?;
        }
    }
    Ok(true)
}

enum Failure {
    Retry(String),
    GiveUp(String),
}

impl From<crate::store::Error> for Failure {
    fn from(e: crate::store::Error) -> Self {
        Failure::Retry(e.to_string())
    }
}

/// The job's contact as stored and its business; a job whose contact or
/// business is gone is given up.
async fn contact_of<'a>(
    app: &'a App,
    job: &Job,
) -> Result<(crate::store::ContactRow, &'a crate::config::Business), Failure> {
    let stored = app
        .store
        .contact(&job.contact_id)
        .await?
        .ok_or_else(|| Failure::GiveUp("contact gone".into()))?;
    let business = app
        .config
        .business(&stored.business)
        .ok_or_else(|| Failure::GiveUp("business gone".into()))?;
    Ok((stored, business))
}

fn field<'a>(payload: &'a Value, name: &str) -> &'a str {
    payload.get(name).and_then(Value::as_str).unwrap_or("")
}

/// Sends a text: recorded as sending first, then handed to Twilio, then
/// its provider id stored and the receipt rewritten.
#[instrument(skip_all, fields(job_id = %job.id, contact_id = %job.contact_id))]
async fn send(app: &App, job: &Job) -> Result<(), Failure> {
    let p = &job.payload;
    let (to, role, text) = (field(p, "to"), field(p, "role"), field(p, "text"));
    let message_id = format!("m_{}", job.id.trim_start_matches("job_"));
    let (stored, business) = contact_of(app, job).await?;
    let now = app.clock.millis();
    let Some(twilio) = &app.twilio else {
        return Err(Failure::GiveUp("no Twilio credentials configured".into()));
    };

    // An earlier attempt that died between handing the text to Twilio and
    // storing its id left the row at `sending`: ask Twilio before sending
    // again, so that a crash never texts a technician twice. A text that
    // landed is recorded as sent, with its handoff step and receipt.
    let earlier = app
        .store
        .messages(&job.contact_id)
        .await?
        .into_iter()
        .find(|m| m.id == message_id);
    // An attempt that died after storing the SID (in the same commit as
    // its handoff step and receipt) finished everything but the job.
    if earlier.as_ref().is_some_and(|m| m.provider_sid.is_some()) {
        return Ok(());
    }
    let landed = match earlier.filter(|m| m.status == "sending") {
        Some(row) => landed_earlier(twilio, &business.number, to, text, row.created_at).await?,
        None => None,
    };
    let sent = match landed {
        Some(message) => {
            warn!("an earlier attempt had reached Twilio; not sent again");
            Ok(message)
        }
        None => {
            let mut tx = app.store.begin().await?;
            tx.message(&MessageRow {
                id: message_id.clone(),
                contact_id: job.contact_id.clone(),
                kind: "sms".into(),
                recipient: to.into(),
                role: role.into(),
                body: text.into(),
                provider_sid: None,
                status: "sending".into(),
                error_code: None,
                created_at: now,
            })
            .await?;
            tx.commit().await?;
            let callback = app
                .public_url
                .as_ref()
                .map(|u| format!("{u}/twilio/sms/status"));
            twilio
                .send_message(&business.number, to, text, callback.as_deref(), &[])
                .await
        }
    };
    let now = app.clock.millis();
    let mut tx = app.store.begin().await?;
    let outcome = match &sent {
        Ok(m) => {
            tx.message_sent(&message_id, Some(&m.sid), &m.status, None, now)
                .await?;
            Ok(())
        }
        Err(e) => {
            tx.message_sent(&message_id, None, "failed", e.code().map(i64::from), now)
                .await?;
            if e.is_retryable() {
                Err(Failure::Retry(e.to_string()))
            } else {
                Err(Failure::GiveUp(e.to_string()))
            }
        }
    };
    let is_handoff = p.get("handoff").and_then(Value::as_bool).unwrap_or(true);
    if sent.is_ok() && is_handoff && matches!(role, "technician" | "owner") {
        let step = serde_json::json!({
            "at": jiff::Timestamp::from_millisecond(now).map(|t| t.to_string()).unwrap_or_default(),
            "step": "alerted", "who": field(p, "name"), "role": role, "note": null,
        });
        tx.event(&job.contact_id, "handoff", &step, now).await?;
    }
    let c: crate::conversation::Conversation =
        serde_json::from_str(&stored.state).map_err(|e| Failure::GiveUp(e.to_string()))?;
    let (a, d) = crate::triage::run(&c.case(), business);
    let at = jiff::Timestamp::from_millisecond(now).unwrap_or_else(|_| jiff::Timestamp::now());
    super::plan::write_receipt(&mut tx, business, &c, &a, &d, at).await?;
    tx.commit().await?;
    app.jobs_ready.notify_one();
    if sent.is_ok() {
        info!(role = role, "text sent");
    }
    outcome
}

/// The message an earlier attempt handed to Twilio, if one did: the same
/// body from our number to `to`, created no earlier than a minute before
/// the attempt was recorded (clocks differ).
async fn landed_earlier(
    twilio: &crate::twilio::RestClient,
    from: &str,
    to: &str,
    text: &str,
    recorded_at: i64,
) -> Result<Option<crate::twilio::MessageResource>, Failure> {
    let listed = twilio
        .list_messages(from, to)
        .await
        .map_err(|e| Failure::Retry(e.to_string()))?;
    let created_ms = |m: &crate::twilio::MessageResource| {
        let date = m.date_created.as_deref()?;
        let at = jiff::fmt::rfc2822::parse(date).ok()?;
        Some(at.timestamp().as_millisecond())
    };
    Ok(listed.into_iter().find(|m| {
        m.body.ends_with(text) && created_ms(m).is_none_or(|at| at >= recorded_at - 60_000)
    }))
}

/// Places a voice call to a team member: Twilio fetches our TwiML, which
/// reads the summary and takes 1 to accept or 9 to pass; answering-machine
/// detection keeps a voicemail pickup from counting as anything.
#[instrument(skip_all, fields(job_id = %job.id, contact_id = %job.contact_id))]
async fn call(app: &App, job: &Job) -> Result<(), Failure> {
    let p = &job.payload;
    let (to, role, person) = (field(p, "to"), field(p, "role"), field(p, "person"));
    let (_, business) = contact_of(app, job).await?;
    let Some(base) = app
        .public_url
        .as_deref()
        .map(|u| u.trim_end_matches('/').to_string())
    else {
        return Err(Failure::GiveUp("no public URL for the call's TwiML".into()));
    };
    let Some(twilio) = &app.twilio else {
        return Err(Failure::GiveUp("no Twilio credentials configured".into()));
    };
    let message_id = format!("m_{}", job.id.trim_start_matches("job_"));
    let now = app.clock.millis();
    {
        let mut tx = app.store.begin().await?;
        // Once someone has accepted, nobody else is woken by a call.
        if tx
            .escalation(&job.contact_id)
            .await?
            .is_some_and(|e| e.status == "accepted")
        {
            return Ok(());
        }
        tx.message(&MessageRow {
            id: message_id.clone(),
            contact_id: job.contact_id.clone(),
            kind: "call".into(),
            recipient: to.into(),
            role: role.into(),
            body: if p.get("path").is_some() {
                "voice call: the summary read to the owner".into()
            } else {
                "voice call: press 1 to take it, 9 to pass".into()
            },
            provider_sid: None,
            status: "calling".into(),
            error_code: None,
            created_at: now,
        })
        .await?;
        tx.commit().await?;
    }
    let query = serde_urlencoded::to_string([("c", job.contact_id.as_str()), ("p", person)])
        .unwrap_or_default();
    // A technician's call takes 1 or 9; the owner's reads the summary.
    let path = p
        .get("path")
        .and_then(Value::as_str)
        .filter(|p| *p == "/team/owner-call")
        .unwrap_or("/team/call");
    let url = format!("{base}{path}?{query}");
    let status = format!("{base}/team/call/status?{query}");
    let placed = twilio
        .create_call(&business.number, to, &url, Some(&status), Some("Enable"))
        .await;
    let now = app.clock.millis();
    let mut tx = app.store.begin().await?;
    let outcome = match &placed {
        Ok(c) => {
            tx.message_sent(&message_id, Some(&c.sid), &c.status, None, now)
                .await?;
            let step = serde_json::json!({
                "at": jiff::Timestamp::from_millisecond(now).map(|t| t.to_string()).unwrap_or_default(),
                "step": "called", "who": field(p, "name"), "role": role, "note": null,
            });
            tx.event(&job.contact_id, "handoff", &step, now).await?;
            Ok(())
        }
        Err(e) => {
            tx.message_sent(&message_id, None, "failed", e.code().map(i64::from), now)
                .await?;
            if e.is_retryable() {
                Err(Failure::Retry(e.to_string()))
            } else {
                Err(Failure::GiveUp(e.to_string()))
            }
        }
    };
    super::escalation::rewrite_receipt(&mut tx, business, &job.contact_id, now).await?;
    tx.commit().await?;
    app.jobs_ready.notify_one();
    if placed.is_ok() {
        info!(role = role, "call placed");
    }
    outcome
}

/// Fetches and keeps one photo a caller texted; the last attempt records
/// a failure that could have passed as final, so the receipt says so.
async fn media(app: &App, job: &Job) -> Result<(), Failure> {
    let n = job
        .payload
        .get("n")
        .and_then(Value::as_u64)
        .ok_or_else(|| Failure::GiveUp("media job without a number".into()))?;
    let url = field(&job.payload, "url");
    let last_try = job.attempts >= MAX_ATTEMPTS;
    crate::record::media::keep(app, &job.contact_id, n as usize, url, last_try)
        .await
        .map_err(|e| match e {
            crate::record::media::Error::Retry(why) => Failure::Retry(why),
            crate::record::media::Error::GiveUp(why) => Failure::GiveUp(why),
        })
}

/// The daily coverage check of one business.
async fn coverage(app: &App, job: &Job) -> Result<(), Failure> {
    let business = app
        .config
        .business(field(&job.payload, "business"))
        .ok_or_else(|| Failure::GiveUp("business gone".into()))?;
    super::coverage::run(app, business, &job.id).await?;
    Ok(())
}

/// The booking lane's offer to the caller, or its morning check.
#[instrument(skip_all, fields(job_id = %job.id, contact_id = %job.contact_id))]
async fn booking(app: &App, job: &Job) -> Result<(), Failure> {
    let (_, business) = contact_of(app, job).await?;
    let now = app.clock.now();
    let done = match job.kind.as_str() {
        "booking" => {
            let trade = field(&job.payload, "trade");
            super::booking::offer(app, business, &job.contact_id, trade, now, job.attempts).await
        }
        "calendar" => super::booking::put_on_calendar(app, business, &job.contact_id, now).await,
        _ => Ok(super::booking::check(app, business, &job.contact_id, now).await?),
    };
    done.map_err(|e| Failure::Retry(e.to_string()))
}

/// An escalation timer: moves the chain on unless its step is resolved.
/// Records how late it fired (claimed time minus due time).
#[instrument(skip_all, fields(job_id = %job.id, contact_id = %job.contact_id))]
async fn escalate(app: &App, job: &Job, claimed_at: i64) -> Result<(), Failure> {
    let step = job
        .payload
        .get("step")
        .and_then(Value::as_u64)
        .ok_or_else(|| Failure::GiveUp("timer without a step".into()))? as usize;
    let (_, business) = contact_of(app, job).await?;
    let now = app.clock.millis();
    let mut tx = app.store.begin().await?;
    let timing = serde_json::json!({"step": step, "run_at": job.run_at, "claimed_at": claimed_at, "late_ms": claimed_at - job.run_at});
    tx.event(&job.contact_id, "timer", &timing, now).await?;
    match super::escalation::fire(&mut tx, app, business, &job.contact_id, step, now).await {
        Ok(true) => {
            super::escalation::rewrite_receipt(&mut tx, business, &job.contact_id, now).await?
        }
        Ok(false) => {}
        // Another instance moved the chain between our read and our write:
        // the step is theirs, and there is nothing left for this timer.
        Err(crate::store::Error::Conflict) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    app.jobs_ready.notify_one();
    info!(step, "escalation timer ran");
    Ok(())
}
