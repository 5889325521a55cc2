//! Each lane's plan, queued when a contact's dialog ends: the alert to the
//! on-call technician or the owner, the owner's copy on a hazard, the
//! missed-call text-back, and the receipt for the sinks.

use jiff::Timestamp;
use serde_json::json;

use crate::assessment::Assessment;
use crate::config::Business;
use crate::conversation::Conversation;
use crate::decision::Decision;
use crate::intake::Channel;
use crate::record::receipt::{self, HandoffStep, Inputs};
use crate::server::App;
use crate::store::{self, NewJob, Tx};
use crate::triage;

use super::escalation;

/// Triage the finished conversation, write its first receipt and queue
/// what its lane needs. Runs inside the webhook's transaction.
///
/// # Errors
///
/// When the store fails; the webhook's transaction then rolls back.
pub async fn finalize(
    tx: &mut Tx<'_>,
    app: &App,
    business: &Business,
    c: &mut Conversation,
    now: Timestamp,
) -> Result<(), store::Error> {
    let case = c.case();
    let (a, d) = triage::run(&case, business);
    let ms = now.as_millisecond();
    let photos = photo_links(app, c, ms);
    // A caller who was never on the line with the dialog (a voicemail, a
    // hang-up) still gets the owner's safety script, by text, first.
    let mut jobs = Vec::new();
    if let (None, Some(words), Some(name)) = (&c.script_said, &d.safety_words, &d.safety_script) {
        if !c.caller.is_empty() {
            jobs.push(alert_job(
                c, "script", "caller", "", &c.caller, words, true, ms,
            ));
            c.script_said = Some(name.clone());
            c.script_first = Some(true);
        }
    }
    tx.event(
        &c.contact_id,
        "triage",
        &json!({"lane": d.lane, "rule": d.rule, "urgency": a.urgency.score, "trade": a.trade}),
        ms,
    )
    .await?;
    let emergency = d.lane.as_deref() == Some("emergency");
    if let (Some(alert), false) = (&d.alert, emergency) {
        let role = if alert.role == "owner" {
            "owner"
        } else {
            "technician"
        };
        jobs.push(alert_job(
            c,
            "alert:1",
            role,
            &alert.name,
            &alert.phone,
            &alert_text_with(business, c, &a, &d, &photos),
            alert.takes_texts,
            ms,
        ));
    }
    // The owner is copied on every hazard call, whoever else is alerted,
    // and told of one nobody else is (a hazard in a trade not offered).
    if d.copy_owner && d.alert.as_ref().is_none_or(|x| x.role != "owner") {
        let text = format!("Copy: {}", alert_text_with(business, c, &a, &d, &photos));
        jobs.push(alert_job(
            c,
            "copy",
            "owner-copy",
            &business.owner.name,
            &business.owner.phone,
            &text,
            true,
            ms,
        ));
    }
    if c.channel == Channel::MissedCall && !c.caller.is_empty() {
        let text = format!(
            "Sorry we missed your call to {}. Reply here with what's going on and the address, or call us back. If anyone is in danger, call 911.",
            business.name
        );
        jobs.push(alert_job(
            c, "textback", "caller", "", &c.caller, &text, true, ms,
        ));
    }
    // The human lane wakes the owner by a call as well as the text, unless
    // the caller is being put through to them on this very call.
    let on_the_line =
        c.channel == Channel::Voice && c.ended == Some(crate::conversation::Ending::Completed);
    let call_now = !a.after_hours || owner_now(&a);
    if let (Some("human"), false, true, Some(owner)) =
        (d.lane.as_deref(), on_the_line, call_now, &d.alert)
    {
        if !owner.phone.is_empty() {
            jobs.push(NewJob {
                dedupe_key: format!("owner-call:{}", c.contact_id),
                kind: "call".into(),
                contact_id: c.contact_id.clone(),
                payload: json!({"to": owner.phone, "role": "owner", "person": "owner",
                    "name": owner.name, "path": "/team/owner-call"}),
                run_at: ms,
            });
        }
    }
    // A decline a caller never heard (a voicemail, a hang-up) is texted:
    // kind words, and the referral where there is one.
    let unheard = c.channel == Channel::Voicemail
        || (c.channel == Channel::Voice && c.ended != Some(crate::conversation::Ending::Completed));
    if d.lane.as_deref() == Some("decline") && unheard && !c.caller.is_empty() {
        let text = format!("{}: {}", business.name, c.closing_words(business, now));
        jobs.push(alert_job(
            c, "decline", "caller", "", &c.caller, &text, true, ms,
        ));
        if let Some(job) = jobs.last_mut() {
            job.payload["handoff"] = serde_json::Value::Bool(false);
        }
    }
    match d.lane.as_deref() {
        Some("booking") => {
            let trade = a.trade.as_deref().unwrap_or("general");
            jobs.push(super::booking::job(c, trade, ms));
        }
        Some("priority") => jobs.extend(priority_jobs(business, c, &a, &d, now, &photos)),
        _ => {}
    }
    for job in &jobs {
        tx.enqueue(job, ms).await?;
    }
    // An emergency's first alert is the first step of its escalation
    // chain, which also queues the timer that moves it on.
    if emergency {
        let trade = a
            .trade
            .clone()
            .unwrap_or_else(|| business.hazard_trade.clone());
        escalation::start(
            tx,
            app,
            business,
            c,
            &trade,
            &alert_text_with(business, c, &a, &d, &photos),
            ms,
        )
        .await?;
    }
    write_receipt(tx, business, c, &a, &d, now).await?;
    Ok(())
}

/// Whether a human-lane contact must reach the owner now, whatever the
/// hour: a safety doubt, a hazard, or a call with no words to read.
pub fn owner_now(a: &Assessment) -> bool {
    a.unclear_safety || a.hazard.is_some() || a.no_words
}

/// When a priority request is passed on: at once for an account marked
/// around the clock or while the business is open, else at its next
/// opening. `None` means at once.
pub fn priority_at(business: &Business, a: &Assessment, now: Timestamp) -> Option<Timestamp> {
    let account = a
        .commercial
        .as_ref()
        .and_then(|name| business.commercial.iter().find(|x| &x.name == name));
    if account.is_some_and(|x| x.around_the_clock) || business.hours.is_open(now) {
        return None;
    }
    business.hours.next_open(now).map(|z| z.timestamp())
}

/// The priority lane: the owner gets the summary and the account's
/// contact on file is told the request is in, both at `priority_at`.
fn priority_jobs(
    business: &Business,
    c: &Conversation,
    a: &Assessment,
    d: &Decision,
    now: Timestamp,
    photos: &[String],
) -> Vec<NewJob> {
    let ms = now.as_millisecond();
    let run_at = priority_at(business, a, now).map_or(ms, |t| t.as_millisecond());
    let name = a
        .commercial
        .clone()
        .unwrap_or_else(|| "a commercial account".into());
    let mut owner = alert_job(
        c,
        "priority:owner",
        "owner",
        &business.owner.name,
        &business.owner.phone,
        &format!(
            "PRIORITY {name}. {}",
            alert_text_with(business, c, a, d, photos)
        ),
        true,
        ms,
    );
    owner.run_at = run_at;
    let mut jobs = vec![owner];
    let contact = business
        .commercial
        .iter()
        .find(|x| Some(&x.name) == a.commercial.as_ref())
        .map(|x| x.phone.clone())
        .filter(|p| !p.is_empty() && *p != c.caller);
    if let Some(phone) = contact {
        let text = format!(
            "{}: a service request for {name} came in from {}. {} has it as a priority and will be in touch.",
            business.name,
            c.callback(),
            business.owner.name
        );
        let mut told = alert_job(
            c,
            "priority:account",
            "account",
            &name,
            &phone,
            &text,
            true,
            ms,
        );
        told.payload["handoff"] = serde_json::Value::Bool(false);
        told.run_at = run_at;
        jobs.push(told);
    }
    jobs
}

#[allow(clippy::too_many_arguments)]
fn alert_job(
    c: &Conversation,
    step: &str,
    role: &str,
    name: &str,
    to: &str,
    text: &str,
    texts: bool,
    now: i64,
) -> NewJob {
    NewJob {
        dedupe_key: format!("{step}:{}", c.contact_id),
        kind: "message".into(),
        contact_id: c.contact_id.clone(),
        payload: json!({"role": role, "name": name, "to": to, "text": text, "texts": texts, "step": step}),
        run_at: now,
    }
}

/// Rebuilds the receipt from what is stored and writes it as a new
/// version, queuing it for the sinks.
///
/// # Errors
///
/// When the store fails.
pub async fn write_receipt(
    tx: &mut Tx<'_>,
    business: &Business,
    c: &Conversation,
    a: &Assessment,
    d: &Decision,
    now: Timestamp,
) -> Result<i64, store::Error> {
    tx.lock_contact(&c.contact_id).await?;
    let messages = tx.messages(&c.contact_id).await?;
    let handoff: Vec<HandoffStep> = tx
        .events(&c.contact_id, "handoff")
        .await?
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    let booked = tx.booking(&c.contact_id).await?;
    let booking = super::booking::receipt_part(
        business,
        &tx.events(&c.contact_id, "booking").await?,
        booked.as_ref(),
    );
    let media = tx.events(&c.contact_id, "media").await?;
    let version = tx.next_receipt_version(&c.contact_id).await?;
    let r = receipt::build(&Inputs {
        business,
        conversation: c,
        assessment: a,
        decision: d,
        messages: &messages,
        handoff: &handoff,
        booking,
        media: &media,
        version,
    });
    let body = serde_json::to_string(&r)?;
    let ms = now.as_millisecond();
    tx.put_receipt(
        &c.contact_id,
        version,
        &business.number,
        d.lane.as_deref(),
        &body,
        ms,
    )
    .await?;
    for sink in crate::record::outbox::jobs(business, &c.contact_id, &r.receipt_id, version, ms) {
        tx.enqueue(&sink, ms).await?;
    }
    Ok(version)
}

/// The links a text gives to the caller's photos, in order: nightdesk's
/// own signed, expiring ones when the server knows its public URL (the
/// photos are fetched and kept by then, or soon after), else Twilio's.
pub fn photo_links(app: &App, c: &Conversation, now: i64) -> Vec<String> {
    let Some(base) = app.public_url.as_deref().map(|u| u.trim_end_matches('/')) else {
        return c.photos.clone();
    };
    let key = super::link::media_key_from(app.auth_token.expose());
    let expires = now + super::link::MEDIA_LINK_LIFETIME_MS;
    (0..c.photos.len())
        .map(|n| {
            let query = super::link::query(&key, &c.contact_id, &n.to_string(), expires);
            format!("{base}/team/media?{query}")
        })
        .collect()
}

/// The technician's text: everything needed to decide and drive, with
/// Twilio's links to the photos.
pub fn alert_text(business: &Business, c: &Conversation, a: &Assessment, d: &Decision) -> String {
    alert_text_with(business, c, a, d, &c.photos)
}

/// [`alert_text`] with `photos` as the links to the caller's photos.
pub fn alert_text_with(
    business: &Business,
    c: &Conversation,
    a: &Assessment,
    d: &Decision,
    photos: &[String],
) -> String {
    let name = c
        .words
        .iter()
        .find(|u| u.slot.as_deref() == Some("name"))
        .map(|u| u.text.clone())
        .unwrap_or_else(|| "caller".into());
    let callback = c.callback();
    let address = a
        .address_heard
        .clone()
        .or_else(|| a.address.as_ref().and_then(|x| x.zip.clone()))
        .unwrap_or_else(|| "address not given".into());
    let head = match d.lane.as_deref() {
        Some("emergency") => "EMERGENCY",
        _ => "CALL THE CALLER",
    };
    let why: Vec<String> = a
        .urgency
        .contributions
        .iter()
        .filter(|x| x.points > 0)
        .map(|x| format!("{} (+{})", x.says, x.points))
        .collect();
    let hazard = match (&a.hazard, a.unclear_safety) {
        (Some(h), _) => format!(" HAZARD: {h}, safety script said."),
        (None, true) => " Caller unsure about a safety hazard.".into(),
        _ => String::new(),
    };
    let said: String = c
        .words
        .first()
        .map(|u| u.text.chars().take(140).collect())
        .unwrap_or_default();
    let reply = if d.lane.as_deref() == Some("emergency") {
        " Reply YES to take it or NO to pass."
    } else {
        ""
    };
    let mut media = String::new();
    if let Some(url) = &c.recording {
        media.push_str(&format!(" Voicemail: {url}.mp3"));
    }
    if !photos.is_empty() {
        media.push_str(&format!(" Photos: {}", photos.join(" ")));
    }
    format!(
        "{head} {}: {}. Urgency {} ({}).{hazard} {name}, {}, at {address}. Said: \"{said}\".{media}{reply}",
        business.name,
        a.trade.clone().unwrap_or_else(|| "trade unclear".into()),
        a.urgency.score,
        if why.is_empty() { d.rule_says.clone() } else { why.join("; ") },
        callback,
    )
}
