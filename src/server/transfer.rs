//! The warm transfer's two webhooks: the whisper, which Twilio fetches on
//! the owner's leg when they answer, and the `<Dial>` action, posted when
//! that leg ends, whose answer the caller hears. Each is signed, claimed
//! under its key and answered in one transaction, so a retry gets the
//! first answer and adds no second handoff step. The words and the steps
//! are `dispatch::transfer`'s.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use tracing::info;

use super::flow::claim;
use super::routes::{body_text, twiml, verified};
use super::{App, Error};
use crate::config::Business;
use crate::conversation::Conversation;
use crate::dispatch::transfer::{self, Outcome};
use crate::store::Tx;
use crate::twilio::VoiceResponse;

fn contact_of(q: &HashMap<String, String>) -> Result<&str, Error> {
    q.get("contact")
        .map(String::as_str)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::BadRequest("missing contact".into()))
}

/// The stored conversation of a contact, and its business.
pub(super) async fn stored<'a>(
    app: &'a App,
    tx: &mut Tx<'_>,
    contact_id: &str,
) -> Result<(Conversation, &'a Business), Error> {
    let row = tx
        .contact(contact_id)
        .await?
        .ok_or_else(|| Error::BadRequest("unknown contact".into()))?;
    let business = app
        .config
        .business(&row.business)
        .ok_or_else(|| Error::BadRequest("unknown business".into()))?;
    Ok((serde_json::from_str(&row.state)?, business))
}

/// `POST /twilio/voice/whisper?contact=ID`: the owner picked up. They
/// hear the summary, then Twilio puts the caller through; the receipt
/// shows that the owner took the call.
pub async fn whisper(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, Error> {
    let p = verified(&app, &headers, &uri, &body)?;
    let contact_id = contact_of(&q)?;
    // The owner's leg has a CallSid of its own, and one whisper.
    let key = format!("whisper:{}", p.need("CallSid")?);
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    let (c, business) = stored(&app, &mut tx, contact_id).await?;
    let ms = now.as_millisecond();
    let text = body_text(&body);
    if let Some(answer) = claim(&mut tx, &key, "voice-whisper", &business.number, &text, ms).await?
    {
        return Ok(twiml(answer));
    }

    let (a, d) = crate::triage::run(&c.case(), business);
    let mut r = VoiceResponse::new();
    r.say(transfer::whisper(business, &c, &a, &d));
    let xml = r.to_string();
    transfer::answered(&mut tx, business, &c, &a, &d, now).await?;

    tx.answer_webhook(&key, &xml).await?;
    tx.commit().await?;
    app.jobs_ready.notify_one();
    info!(contact_id = %c.contact_id, business_id = %business.id, "transfer answered");
    Ok(twiml(xml))
}

/// `POST /twilio/voice/dial?contact=ID`: the owner's leg ended. A call
/// that was connected ends; a missed one tells the caller so, honestly,
/// and how they will be called back.
pub async fn dial(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, Error> {
    let p = verified(&app, &headers, &uri, &body)?;
    let contact_id = contact_of(&q)?;
    let status = p.need("DialCallStatus")?;
    // One action per dialed leg; a leg that never started has no SID.
    let leg = p
        .get("DialCallSid")
        .filter(|s| !s.is_empty())
        .unwrap_or(status);
    let key = format!("dial:{}:{leg}", p.need("CallSid")?);
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    let (c, business) = stored(&app, &mut tx, contact_id).await?;
    let ms = now.as_millisecond();
    let text = body_text(&body);
    if let Some(answer) = claim(&mut tx, &key, "voice-dial", &business.number, &text, ms).await? {
        return Ok(twiml(answer));
    }

    let (a, d) = crate::triage::run(&c.case(), business);
    let outcome = Outcome::from_dial(status, p.get("DialCallDuration"));
    let mut r = VoiceResponse::new();
    if !outcome.connected() {
        r.say(transfer::missed(business, &c, &a));
    }
    r.hangup();
    let xml = r.to_string();
    transfer::ended(&mut tx, business, &c, &a, &d, &outcome, now).await?;

    tx.answer_webhook(&key, &xml).await?;
    tx.commit().await?;
    app.jobs_ready.notify_one();
    info!(
        contact_id = %c.contact_id,
        business_id = %business.id,
        connected = outcome.connected(),
        "transfer ended"
    );
    Ok(twiml(xml))
}
