//! `/metrics` in Prometheus's text format: the four numbers of every
//! business over the last 30 days, the same figures the numbers page
//! shows. When `NIGHTDESK_METRICS_TOKEN` is set, a scrape must carry it
//! as a bearer token.

use std::fmt::Write;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

use super::contacts::seen;
use super::numbers::{self, Numbers};
use super::Error;
use crate::server::App;

/// The window the gauges cover.
const DAYS: i64 = 30;

pub async fn metrics(State(app): State<App>, headers: HeaderMap) -> Result<Response, Error> {
    if let Ok(token) = std::env::var("NIGHTDESK_METRICS_TOKEN") {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if token.is_empty() || !super::auth::csrf_ok(&token, given.unwrap_or("")) {
            return Err(Error::Forbidden);
        }
    }
    let mut all = Vec::new();
    for b in &app.config.businesses {
        all.push((
            b.id.clone(),
            numbers::numbers(&seen(&app, &b.number, DAYS).await?),
        ));
    }
    let text = exposition(&all);
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// The text exposition of each business's numbers, labelled by the
/// business's id (never a phone number).
pub fn exposition(all: &[(String, Numbers)]) -> String {
    type Get = fn(&Numbers) -> Option<f64>;
    let families: &[(&str, &str, Get)] = &[
        ("nightdesk_contacts", "Contacts in the last 30 days.", |n| Some(n.contacts as f64)),
        ("nightdesk_emergency_calls", "Emergency calls in the last 30 days.", |n| Some(n.emergency_calls as f64)),
        ("nightdesk_emergency_calls_answered", "Emergency calls the dialog answered before voicemail, last 30 days.", |n| Some(n.answered_before_voicemail as f64)),
        ("nightdesk_call_to_alert_median_seconds", "Median time from call start to the first technician alert, last 30 days.", |n| n.alert_median_ms.map(|v| v as f64 / 1000.0)),
        ("nightdesk_call_to_alert_p90_seconds", "90th percentile of the time from call start to the first technician alert, last 30 days.", |n| n.alert_p90_ms.map(|v| v as f64 / 1000.0)),
        ("nightdesk_booked_emergencies_after_hours", "Emergency-lane after-hours contacts a technician accepted, last 30 days.", |n| Some(n.booked_after_hours as f64)),
        ("nightdesk_false_escalations", "Contacts the owner marked as false escalations, last 30 days.", |n| Some(n.false_escalations as f64)),
        ("nightdesk_missed_emergencies", "Contacts the owner marked as missed emergencies, last 30 days.", |n| Some(n.missed_emergencies as f64)),
    ];
    let mut out = String::new();
    for (name, help, get) in families {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for (business, n) in all {
            if let Some(v) = get(n) {
                let _ = writeln!(out, "{name}{{business=\"{}\"}} {v}", label(business));
            }
        }
    }
    out
}

/// A label value escaped as the exposition format asks.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_one_gauge_per_business_and_skips_unknowns() {
        let n = Numbers {
            contacts: 4,
            false_escalations: 1,
            alert_median_ms: Some(1500),
            ..Numbers::default()
        };
        let text = exposition(&[("birch\"line".into(), n)]);
        assert!(text.contains("# TYPE nightdesk_false_escalations gauge\n"));
        assert!(
            text.contains("nightdesk_false_escalations{business=\"birch\\\"line\"} 1\n"),
            "{text}"
        );
        assert!(text
            .contains("nightdesk_call_to_alert_median_seconds{business=\"birch\\\"line\"} 1.5\n"));
        assert!(
            !text.contains("nightdesk_call_to_alert_p90_seconds{"),
            "no p90 without alerts"
        );
    }
}
