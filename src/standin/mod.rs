//! A local stand-in for Twilio, for tests and the demo: a REST server that
//! keeps every text and call in memory, serves the media of incoming MMS
//! behind auth and a redirect, and posts signed status callbacks
//! (`rest`), and a caller that phones and texts nightdesk's webhooks the
//! way Twilio would (`caller`). Nothing here runs in production.

mod caller;
mod dialog;
mod resource;
mod rest;

use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;

use crate::twilio::signature;

pub use caller::{CallTranscript, Caller, Pickup, Prompt, Reply};
pub use rest::{MediaHost, MediaRequest, PlacedCall, SentMessage, StandIn};

/// What went wrong while the stand-in talked to nightdesk.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// nightdesk could not be reached or did not answer in time.
    #[error("request to {path} failed")]
    Http {
        path: String,
        #[source]
        source: reqwest::Error,
    },
    /// nightdesk answered with a status Twilio treats as a failure.
    #[error("{path} answered {status}")]
    Status { path: String, status: u16 },
    /// nightdesk's reply is not TwiML Twilio could run.
    #[error("{path} replied with invalid twiml")]
    Twiml {
        path: String,
        #[source]
        source: crate::twilio::Error,
    },
    /// A URL in nightdesk's TwiML does not resolve.
    #[error("bad url {0:?} in twiml")]
    Url(String),
    /// The stand-in's listener could not start.
    #[error("stand-in could not listen")]
    Listen(#[source] std::io::Error),
}

/// A fresh Twilio-style SID: two letters and 32 lower-case hex digits.
pub(crate) fn new_sid(prefix: &str) -> String {
    let mut rng = rand::rng();
    let hex: String = (0..32)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap())
        .collect();
    format!("{prefix}{hex}")
}

/// Now as Twilio writes dates: RFC 2822 in GMT,
/// e.g. `Sat, 17 Jan 2026 08:14:05 +0000`.
pub(crate) fn rfc2822_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc2822(secs)
}

fn rfc2822(unix_secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_secs / 86_400;
    let secs = unix_secs % 86_400;

    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);

    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Posts a form to `url` signed as Twilio signs it, with the headers
/// Twilio's webhook client sends. Returns the status and the body.
pub(crate) async fn post_signed(
    http: &reqwest::Client,
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
) -> Result<(u16, String), Error> {
    let path = path_of(url);
    let signature = signature::compute(auth_token, url, params);
    let body = serde_urlencoded::to_string(params).expect("string pairs always encode");
    let send = http
        .post(url)
        .header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .header("X-Twilio-Signature", signature)
        .header("I-Twilio-Idempotency-Token", new_sid(""))
        .header("User-Agent", "TwilioProxy/1.1")
        .body(body)
        .send()
        .await;
    let http_error = |source| Error::Http {
        path: path.clone(),
        source,
    };
    let response = send.map_err(http_error)?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(http_error)?;
    tracing::debug!(path = %path, status, "stand-in posted a webhook");
    Ok((status, text))
}

pub(crate) fn check_status(url: &str, status: u16) -> Result<(), Error> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    Err(Error::Status {
        path: path_of(url),
        status,
    })
}

/// The path of `url`, which is what errors and logs may show: a query can
/// carry ids, never numbers or words, but the path is enough.
fn path_of(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| String::from("?"), |u| u.path().to_string())
}

/// A client with Twilio's webhook limits: 10 s to connect, 15 s in all.
pub(crate) fn webhook_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .expect("a plain http client builds")
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn dates_as_twilio_writes_them() {
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc2822(1_768_637_645), "Sat, 17 Jan 2026 08:14:05 +0000");
        assert_eq!(rfc2822(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn sids_look_like_twilio_sids() {
        let sid = new_sid("SM");
        assert_eq!(sid.len(), 34);
        assert!(sid[2..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
