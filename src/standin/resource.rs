//! The JSON and form shapes the stand-in answers and posts with, modelled
//! on `../shared/data/twilio/rest/*.response.json` and
//! `webhooks/message-status-*.form`, so that clients see what Twilio sends.

use serde_json::{json, Value};

use super::rest::{PlacedCall, SentMessage};

/// GSM-7 texts split at 160 characters (153 per part), others at 70 (67).
fn segments(body: &str) -> usize {
    let (single, part) = if body.is_ascii() {
        (160, 153)
    } else {
        (70, 67)
    };
    match body.chars().count() {
        0 => 0,
        n if n <= single => 1,
        n => n.div_ceil(part),
    }
}

pub(super) fn message_json(account: &str, m: &SentMessage) -> Value {
    let uri = format!("/2010-04-01/Accounts/{account}/Messages/{}", m.sid);
    let sent = matches!(m.status.as_str(), "sent" | "delivered");
    json!({
        "account_sid": account,
        "api_version": "2010-04-01",
        "body": m.body,
        "date_created": m.date_created,
        "date_sent": if sent { Some(&m.date_created) } else { None },
        "date_updated": m.date_created,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": m.from,
        "messaging_service_sid": m.messaging_service_sid,
        "num_media": m.media_urls.len().to_string(),
        "num_segments": if m.from.is_some() { segments(&m.body) } else { 0 }.to_string(),
        "price": null,
        "price_unit": "USD",
        "sid": m.sid,
        "status": m.status,
        "subresource_uris": { "media": format!("{uri}/Media.json") },
        "to": m.to,
        "uri": format!("{uri}.json"),
    })
}

pub(super) fn call_json(account: &str, c: &PlacedCall) -> Value {
    let uri = format!("/2010-04-01/Accounts/{account}/Calls/{}", c.sid);
    let sub = |name: &str| format!("{uri}/{name}.json");
    json!({
        "account_sid": account,
        "answered_by": null,
        "api_version": "2010-04-01",
        "caller_name": null,
        "date_created": c.date_created,
        "date_updated": c.date_created,
        "direction": "outbound-api",
        "duration": null,
        "end_time": null,
        "forwarded_from": null,
        "from": c.from,
        "from_formatted": c.from,
        "group_sid": null,
        "parent_call_sid": null,
        "phone_number_sid": null,
        "price": null,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": c.sid,
        "start_time": null,
        "status": c.status,
        "subresource_uris": {
            "notifications": sub("Notifications"),
            "recordings": sub("Recordings"),
            "events": sub("Events"),
            "transcriptions": sub("Transcriptions"),
        },
        "to": c.to,
        "to_formatted": c.to,
        "trunk_sid": null,
        "uri": format!("{uri}.json"),
    })
}

pub(super) fn message_status_params(
    account: &str,
    m: &SentMessage,
    status: &str,
) -> Vec<(String, String)> {
    let mut params = vec![
        ("SmsSid", m.sid.clone()),
        ("SmsStatus", status.to_string()),
        ("MessageStatus", status.to_string()),
        ("To", m.to.clone()),
    ];
    if let Some(service) = &m.messaging_service_sid {
        params.push(("MessagingServiceSid", service.clone()));
    }
    params.push(("MessageSid", m.sid.clone()));
    params.push(("AccountSid", account.to_string()));
    // A Messaging Service picks the sender; the stand-in has none to pick.
    params.push(("From", m.from.clone().unwrap_or_default()));
    params.push(("ApiVersion", "2010-04-01".to_string()));
    params
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}
