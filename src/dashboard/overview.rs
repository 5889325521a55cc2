//! The numbers page (the four numbers over a period, with charts, who is
//! on call now and next, and the coverage gaps) and the worth page.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use jiff::Timestamp;
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::Session;
use super::charts::{self, Bar};
use super::contacts::seen;
use super::layout::{self, Nav};
use super::numbers::{self, Numbers, Seen};
use super::{business, days, Error};
use crate::config::Business;
use crate::server::App;
use crate::store::WorthRow;

#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    b: Option<String>,
    days: Option<i64>,
}

pub async fn numbers(
    State(app): State<App>,
    session: Session,
    Query(q): Query<PeriodQuery>,
) -> Result<Markup, Error> {
    let business = business(&app, &session, q.b.as_deref())?;
    let days = days(q.days);
    let contacts = seen(&app, &business.number, days).await?;
    let n = numbers::numbers(&contacts);
    let now = app.clock.now();
    let body = html! {
        h1 { "The numbers, last " (days) " days" }
        (period_form(&business.number, days, "/numbers"))
        div.grid {
            section.card #answered {
                div.muted { "Emergency calls answered before voicemail" }
                div.big { (n.answered_before_voicemail) " / " (n.emergency_calls) }
                div.muted { (n.answered_percent().map_or("—".into(), |p| format!("{p:.0}%"))) }
            }
            section.card #alert-time {
                div.muted { "Call to technician alert" }
                div.big { (layout::duration(n.alert_median_ms)) }
                div.muted { "median · p90 " (layout::duration(n.alert_p90_ms)) " · " (n.alerts_timed) " alerts" }
            }
            section.card #booked {
                div.muted { "Booked emergency jobs from after-hours calls" }
                div.big { (n.booked_after_hours) }
            }
            section.card #false-escalations {
                div.muted { "False escalations (marked)" }
                div.big { (n.false_escalations) }
                div.muted { (n.missed_emergencies) " marked missed emergencies" }
            }
        }
        section.card {
            h2 { "Contacts a day (red: emergency or owner now)" }
            (charts::bars("Contacts a day", &daily(&contacts, business, now.as_millisecond(), days)))
            h2 { "Call to technician alert" }
            (charts::bars("Call to alert", &charts::histogram(&alert_times(&contacts), &[5, 15, 30, 60, 120, 300])))
        }
        (on_call(business, now))
    };
    Ok(layout::page(
        "Numbers",
        &session,
        business,
        Nav::Numbers,
        body,
    ))
}

fn period_form(business: &str, days: i64, action: &str) -> Markup {
    html! {
        form method="get" action=(action) {
            input type="hidden" name="b" value=(business);
            label { "Days " input type="number" name="days" min="1" max="366" value=(days) style="width:6rem"; }
            " " button type="submit" { "Show" }
        }
    }
}

fn alert_times(contacts: &[Seen]) -> Vec<i64> {
    contacts
        .iter()
        .filter(|c| c.lane() == Some("emergency"))
        .filter_map(|c| c.receipt.as_ref()?.timings.call_to_alert_ms)
        .collect()
}

/// Contacts per local day of the period, oldest first.
fn daily(contacts: &[Seen], business: &Business, now_ms: i64, days: i64) -> Vec<Bar> {
    let day_of = |ms: i64| {
        Timestamp::from_millisecond(ms)
            .ok()
            .map(|t| t.to_zoned(business.tz.clone()).date())
    };
    let Some(today) = day_of(now_ms) else {
        return Vec::new();
    };
    let mut bars: Vec<Bar> = (0..days)
        .rev()
        .filter_map(|k| today.checked_sub(jiff::Span::new().days(k)).ok())
        .map(|d| Bar {
            label: d.strftime("%b %-d").to_string(),
            total: 0.0,
            urgent: 0.0,
        })
        .collect();
    for c in contacts {
        let Some(d) = day_of(c.opened_at) else {
            continue;
        };
        let Ok(back) = today.since(d).map(|s| s.get_days() as i64) else {
            continue;
        };
        if (0..days).contains(&back) {
            let i = (days - 1 - back) as usize;
            if let Some(bar) = bars.get_mut(i) {
                bar.total += 1.0;
                bar.urgent += f64::from(u8::from(c.escalated()));
            }
        }
    }
    bars
}

fn on_call(business: &Business, now: Timestamp) -> Markup {
    let name = |id: &str| {
        business
            .schedule
            .technician(id)
            .map_or(id.to_string(), |t| t.name.clone())
    };
    let when = |z: &jiff::Zoned| z.strftime("%a %b %-d %H:%M").to_string();
    html! {
        section.card #on-call {
            h2 { "On call" }
            table {
                thead { tr { th { "Trade" } th { "Now" } th { "Next" } th { "Gaps in the next 14 days" } } }
                @for trade in &business.offered {
                    @let shift = business.schedule.on_call(trade, now);
                    @let next = shift.as_ref().and_then(|s| s.until.as_ref()).and_then(|u| business.schedule.on_call(trade, u.timestamp()).map(|n| (u.clone(), n)));
                    @let gaps = business.schedule.coverage_gaps(trade, now, 14);
                    tr {
                        td { (trade) }
                        td { @match &shift { Some(s) => { (name(&s.technician)) @if let Some(u) = &s.until { br; span.muted { "until " (when(u)) } } }, None => { span.error { "nobody (owner)" } } } }
                        td { @match &next { Some((at, s)) => { (name(&s.technician)) br; span.muted { "from " (when(at)) } }, None => { "—" } } }
                        td { @if gaps.is_empty() { "none" } @for (from, until) in gaps.iter().take(5) { div.error { (when(from)) " → " (when(until)) } }
                             @if gaps.len() > 5 { div.muted { "and " (gaps.len() - 5) " more" } } }
                    }
                }
            }
        }
    }
}

pub async fn worth(
    State(app): State<App>,
    session: Session,
    Query(q): Query<PeriodQuery>,
) -> Result<Markup, Error> {
    let business = business(&app, &session, q.b.as_deref())?;
    let days = days(q.days);
    let stored = app.store.worth(&business.number).await?;
    let entered = stored.unwrap_or(WorthRow {
        average_ticket: 0,
        answering_service: 0,
    });
    let n: Numbers = numbers::numbers(&seen(&app, &business.number, days).await?);
    let w = numbers::worth(&n, entered.average_ticket, entered.answering_service, days);
    let body = html! {
        h1 { "What it is worth, last " (days) " days" }
        (period_form(&business.number, days, "/worth"))
        div.grid {
            section.card { div.muted { "After-hours calls answered" } div.big { (w.after_hours_answered) } }
            section.card { div.muted { "Emergencies booked" } div.big { (w.emergencies_booked) } }
            section.card #revenue { div.muted { "Booked emergencies × your average ticket" } div.big { "$" (w.revenue) } }
            section.card { div.muted { "An answering service for the same period" } div.big { "$" (w.answering_service) } }
        }
        @if stored.is_none() { p.notice { "Enter your average emergency ticket and what an answering service or dispatcher costs you a month." } }
        section.card {
            form.stack method="post" action={ "/worth?b=" (layout::urlenc(&business.number)) } {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="ticket" { "Average emergency ticket ($)" }
                input #ticket type="number" name="average_ticket" min="0" max="1000000" value=(entered.average_ticket);
                label for="service" { "Answering service or dispatcher, per month ($)" }
                input #service type="number" name="answering_service" min="0" max="1000000" value=(entered.answering_service);
                button type="submit" { "Save" }
            }
        }
    };
    Ok(layout::page("Worth", &session, business, Nav::Worth, body))
}

#[derive(Deserialize)]
pub struct WorthForm {
    #[serde(default)]
    csrf: String,
    average_ticket: i64,
    answering_service: i64,
}

pub async fn save_worth(
    State(app): State<App>,
    session: Session,
    Query(q): Query<PeriodQuery>,
    Form(f): Form<WorthForm>,
) -> Result<Response, Error> {
    session.check_csrf(&f.csrf)?;
    let business = business(&app, &session, q.b.as_deref())?;
    let w = WorthRow {
        average_ticket: f.average_ticket.clamp(0, 1_000_000),
        answering_service: f.answering_service.clamp(0, 1_000_000),
    };
    app.store
        .put_worth(&business.number, w, app.clock.millis())
        .await?;
    Ok(Redirect::to(&format!("/worth?b={}", layout::urlenc(&business.number))).into_response())
}
