//! The owner's Google Calendar for bookings: `freeBusy.query` before
//! windows are offered, so that a window the owner already filled is never
//! offered, and `events.insert` once the caller picks one. Both with the
//! service account's token (the same grant as the Sheets sink, with the
//! calendar scope).
//!
//! A calendar Google cannot read comes back with `errors` and an empty busy
//! list: that is an unknown calendar, never a free one. An insert carries a
//! client-chosen id made from the contact id, so a retry after a lost
//! answer gets 409 `duplicate` instead of a second event.

use std::path::PathBuf;
use std::time::Duration;

use jiff::{Timestamp, Zoned};
use serde_json::{json, Value};

use crate::record::sinks::sheets::{access_token, forget, Grant};
use crate::record::sinks::Error;

pub const API_BASE: &str = "https://www.googleapis.com";
/// Covers both free/busy and events.
const SCOPE: &str = "https://www.googleapis.com/auth/calendar";

/// Which calendar, and the service account that may write to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub calendar_id: String,
    pub key_file: PathBuf,
    pub token_url: String,
    pub api_base: String,
    pub timeout: Duration,
}

impl Settings {
    fn grant(&self) -> Grant<'_> {
        Grant {
            key_file: &self.key_file,
            token_url: &self.token_url,
            scope: SCOPE,
        }
    }

    fn client(&self) -> Result<reqwest::Client, Error> {
        reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(|e| Error::GiveUp(format!("http client: {e}")))
    }

    fn url(&self, segments: &[&str]) -> Result<url::Url, Error> {
        let mut u = url::Url::parse(&self.api_base)
            .map_err(|e| Error::GiveUp(format!("calendar api_base: {e}")))?;
        u.path_segments_mut()
            .map_err(|()| Error::GiveUp("calendar api_base cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(u)
    }
}

/// An event to put on the calendar for a booked window.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub contact_id: String,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub start: Zoned,
    pub end: Zoned,
}

/// The event id a contact's booking takes: base32hex (`0-9a-v`), as
/// Google asks of a client-chosen id.
pub fn event_id(contact_id: &str) -> String {
    let hex: String = contact_id.bytes().map(|b| format!("{b:02x}")).collect();
    format!("nd{hex}")
}

/// The busy stretches of the calendar between `from` and `to`.
///
/// # Errors
///
/// [`Error::Retry`] on no answer, 5xx, 429 or an expired token;
/// [`Error::GiveUp`] when Google cannot read the calendar (not shared
/// with the service account, or no such calendar) or refuses the key.
pub async fn busy(
    s: &Settings,
    from: &Zoned,
    to: &Zoned,
    now_ms: i64,
) -> Result<Vec<(Timestamp, Timestamp)>, Error> {
    let http = s.client()?;
    let token = access_token(&http, &s.grant(), now_ms).await?;
    let body = json!({
        "timeMin": rfc3339(from),
        "timeMax": rfc3339(to),
        "timeZone": from.time_zone().iana_name().unwrap_or("UTC"),
        "items": [{"id": s.calendar_id}],
    });
    let r = http
        .post(s.url(&["calendar", "v3", "freeBusy"])?)
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .map_err(|e| Error::from_reqwest("calendar freeBusy", &e))?;
    let r = checked(s, r, "calendar freeBusy")?;
    let answer: Value = r
        .json()
        .await
        .map_err(|e| Error::retry(format!("calendar freeBusy: {e}")))?;
    parse_busy(&answer, &s.calendar_id)
}

/// The busy stretches of one calendar in a `freeBusy` answer.
///
/// # Errors
///
/// [`Error::GiveUp`] when the calendar is missing from the answer or
/// comes back with errors: unknown, not free.
pub fn parse_busy(answer: &Value, calendar_id: &str) -> Result<Vec<(Timestamp, Timestamp)>, Error> {
    let calendar = answer
        .get("calendars")
        .and_then(|c| c.get(calendar_id))
        .ok_or_else(|| {
            Error::GiveUp("calendar freeBusy: the calendar is not in the answer".into())
        })?;
    if let Some(errors) = calendar
        .get("errors")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
    {
        let reasons: Vec<&str> = errors
            .iter()
            .filter_map(|e| e.get("reason").and_then(Value::as_str))
            .collect();
        return Err(Error::GiveUp(format!(
            "calendar freeBusy: Google cannot read the calendar ({}); share it with the service account",
            reasons.join(", ")
        )));
    }
    let instant = |v: &Value, field: &str| -> Result<Timestamp, Error> {
        v.get(field)
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok())
            .ok_or_else(|| {
                Error::GiveUp(format!("calendar freeBusy: a busy {field} is not RFC 3339"))
            })
    };
    calendar
        .get("busy")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|b| Ok((instant(b, "start")?, instant(b, "end")?)))
        .collect()
}

/// Puts the booking on the calendar; the event's id. A retry of an
/// insert that landed finds it there (409 `duplicate`) and is done.
///
/// # Errors
///
/// [`Error::Retry`] on no answer, 5xx, 429 or an expired token;
/// [`Error::GiveUp`] on a calendar not shared with the account or a
/// refused event.
pub async fn insert(s: &Settings, e: &NewEvent, now_ms: i64) -> Result<String, Error> {
    let http = s.client()?;
    let token = access_token(&http, &s.grant(), now_ms).await?;
    let id = event_id(&e.contact_id);
    let zone = e.start.time_zone().iana_name().unwrap_or("UTC").to_string();
    let body = json!({
        "id": id,
        "summary": e.summary,
        "location": e.location,
        "description": e.description,
        "start": {"dateTime": e.start.datetime().strftime("%Y-%m-%dT%H:%M:%S").to_string(), "timeZone": zone},
        "end": {"dateTime": e.end.datetime().strftime("%Y-%m-%dT%H:%M:%S").to_string(), "timeZone": zone},
        "extendedProperties": {"private": {"nightdeskContactId": e.contact_id}},
        "reminders": {"useDefault": true},
    });
    let r = http
        .post(s.url(&["calendar", "v3", "calendars", &s.calendar_id, "events"])?)
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .map_err(|e| Error::from_reqwest("calendar insert", &e))?;
    if r.status() == reqwest::StatusCode::CONFLICT {
        return Ok(id);
    }
    let r = checked(s, r, "calendar insert")?;
    let answer: Value = r
        .json()
        .await
        .map_err(|e| Error::retry(format!("calendar insert: {e}")))?;
    Ok(answer
        .get("id")
        .and_then(Value::as_str)
        .map_or(id, str::to_string))
}

fn rfc3339(z: &Zoned) -> String {
    z.timestamp().display_with_offset(z.offset()).to_string()
}

fn checked(s: &Settings, r: reqwest::Response, what: &str) -> Result<reqwest::Response, Error> {
    let status = r.status();
    if status.is_success() {
        return Ok(r);
    }
    if status == reqwest::StatusCode::UNAUTHORIZED {
        forget(&s.grant());
        return Err(Error::retry(format!("{what}: HTTP 401, token refreshed")));
    }
    Err(Error::from_status(
        what,
        status,
        crate::record::sinks::retry_after(&r).as_deref(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded() -> Value {
        let text = std::fs::read_to_string(format!(
            "{}/../shared/data/google/calendar.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn reads_google_s_recorded_free_busy_answer() {
        let pack = recorded();
        let call = &pack["calls"][0];
        assert_eq!(call["name"], "freebusy-query");
        let answer = &call["response"];
        let calendar = call["request"]["body_json"]["items"][0]["id"]
            .as_str()
            .unwrap();
        let busy = parse_busy(answer, calendar).unwrap();
        let text: Vec<(String, String)> = busy
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(
            text,
            [
                (
                    "2026-01-14T14:00:00Z".to_string(),
                    "2026-01-14T16:30:00Z".to_string()
                ),
                (
                    "2026-01-14T19:00:00Z".to_string(),
                    "2026-01-14T20:00:00Z".to_string()
                ),
            ]
        );
        // The calendar Google could not read is unknown, not free.
        let unreadable = call["request"]["body_json"]["items"][1]["id"]
            .as_str()
            .unwrap();
        let e = parse_busy(answer, unreadable).unwrap_err();
        assert!(matches!(e, Error::GiveUp(_)), "{e}");
        assert!(e.to_string().contains("notFound"), "{e}");
    }

    #[test]
    fn event_ids_are_base32hex_and_one_per_contact() {
        let id = event_id("c_01HZX3K9");
        assert!(id.len() >= 5 && id.len() <= 1024);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='v').contains(&c)),
            "{id}"
        );
        assert_eq!(id, event_id("c_01HZX3K9"));
        assert_ne!(id, event_id("c_01HZX3K8"));
    }
}
