//! Delivery statuses from Twilio's status callbacks: each one that moves
//! a text forward is an event of its contact and a new receipt version,
//! so the owner sees that the technician's alert was delivered (or not).

use jiff::Timestamp;
use serde_json::json;

use crate::conversation::Conversation;
use crate::server::App;
use crate::store;

/// Records a text's new status and rewrites the receipt of its contact.
/// A repeated or out-of-order callback changes nothing.
///
/// # Errors
///
/// When the store fails; the callback is then answered with an error and
/// Twilio may send it again.
pub async fn message_status(
    app: &App,
    sid: &str,
    status: &str,
    error_code: Option<i64>,
) -> Result<(), store::Error> {
    let now = app.clock.millis();
    let mut tx = app.store.begin().await?;
    let Some(contact_id) = tx
        .message_status_moved(sid, status, error_code, now)
        .await?
    else {
        return tx.commit().await;
    };
    let event = json!({"provider_id": sid, "status": status, "error_code": error_code});
    tx.event(&contact_id, "message_status", &event, now).await?;

    // A receipt is first written when the dialog ends; a status before
    // then shows up in that first version.
    let first = tx.next_receipt_version(&contact_id).await? == 1;
    let contact = tx.contact(&contact_id).await?;
    let business = contact
        .as_ref()
        .and_then(|c| app.config.business(&c.business));
    if let (false, Some(contact), Some(business)) = (first, &contact, business) {
        let c: Conversation = serde_json::from_str(&contact.state)?;
        let (a, d) = crate::triage::run(&c.case(), business);
        let at = Timestamp::from_millisecond(now).unwrap_or_else(|_| Timestamp::now());
        crate::dispatch::plan::write_receipt(&mut tx, business, &c, &a, &d, at).await?;
    }
    tx.commit().await?;
    app.jobs_ready.notify_one();
    Ok(())
}
