//! The contact list and the contact page: the whole receipt, as the owner
//! reads it, the caller's photos, and the owner's mark (a false
//! escalation or a missed emergency, with a note).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::Session;
use super::layout::{self, Nav};
use super::numbers::{self, Seen, FALSE_ESCALATION, MISSED_EMERGENCY};
use super::{business, days, Error, DAY_MS};
use crate::config::Business;
use crate::record::Receipt;
use crate::server::App;

const PAGE: i64 = 50;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    b: Option<String>,
    days: Option<i64>,
    page: Option<i64>,
}

pub async fn list(
    State(app): State<App>,
    session: Session,
    Query(q): Query<ListQuery>,
) -> Result<Markup, Error> {
    let business = business(&app, &session, q.b.as_deref())?;
    let days = days(q.days.or(Some(366)));
    let page = q.page.unwrap_or(0).max(0);
    let now = app.clock.millis();
    let rows = app
        .store
        .listed_contacts(
            &business.number,
            now - days * DAY_MS,
            now + DAY_MS,
            PAGE + 1,
            page * PAGE,
        )
        .await?;
    let more = rows.len() as i64 > PAGE;
    let seen: Vec<Seen> = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|r| Seen {
            receipt: numbers::slim(r.receipt.as_deref()),
            id: r.id,
            opened_at: r.opened_at,
            channel: r.channel,
            mark: r.mark,
        })
        .collect();
    let b = layout::urlenc(&business.number);
    let body = html! {
        h1 { "Contacts" }
        @if seen.is_empty() { p.notice { "No contacts yet." } }
        @else {
            table.list {
                thead { tr { th { "When" } th { "Lane" } th { "Urgency" } th { "Handoff" } th { "Channel" } th { "Summary" } } }
                tbody {
                    @for c in &seen {
                        tr {
                            td { a href={ "/contacts/" (layout::urlenc(&c.id)) } { (layout::local(c.opened_at, &business.tz)) } }
                            td { (layout::lane(c.lane())) @if let Some(m) = &c.mark { " " span.muted { (mark_name(m)) } } }
                            td { (c.receipt.as_ref().map_or(0, |r| r.urgency.score)) }
                            td { (c.handoff_status()) }
                            td { (c.channel.replace('_', " ")) }
                            td.summary { (c.receipt.as_ref().map_or("", |r| r.issue.summary.as_str())) }
                        }
                    }
                }
            }
            p {
                @if page > 0 { a href={ "/contacts?b=" (b) "&page=" (page - 1) } { "← Newer" } " " }
                @if more { a href={ "/contacts?b=" (b) "&page=" (page + 1) } { "Older →" } }
            }
        }
    };
    Ok(layout::page(
        "Contacts",
        &session,
        business,
        Nav::Contacts,
        html! {
            // The list is live: it reloads itself every minute.
            meta http-equiv="refresh" content="60";
            (body)
        },
    ))
}

fn mark_name(kind: &str) -> &'static str {
    match kind {
        FALSE_ESCALATION => "marked: false escalation",
        MISSED_EMERGENCY => "marked: missed emergency",
        _ => "marked",
    }
}

/// The receipt of a contact the user may see.
async fn visible(app: &App, session: &Session, id: &str) -> Result<(Receipt, i64), Error> {
    let contact = app.store.contact(id).await?.ok_or(Error::NotFound)?;
    if !session.may_see(&contact.business) {
        return Err(Error::NotFound);
    }
    let body = app.store.receipt(id).await?.ok_or(Error::NotFound)?;
    let receipt = serde_json::from_str(&body).map_err(|e| Error::Store(e.into()))?;
    Ok((receipt, contact.opened_at))
}

pub async fn show(
    State(app): State<App>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Markup, Error> {
    let (r, opened_at) = visible(&app, &session, &id).await?;
    let business = business(&app, &session, Some(&r.business.number))?;
    let mark = app.store.mark(&id).await?;
    let media = media(&app, &r, opened_at).await?;
    let body = html! {
        p { a href={ "/contacts?b=" (layout::urlenc(&business.number)) } { "← All contacts" } }
        h1 { (r.caller.name.as_deref().unwrap_or("Unknown caller")) " · " (layout::lane(r.lane.as_deref())) }
        (overview(&r, business))
        (words(&r))
        (facts(&r))
        (route(&r))
        (handoff(&r, business))
        (media)
        (mark_form(&session, &r, mark.as_ref()))
    };
    Ok(layout::page(
        "Contact",
        &session,
        business,
        Nav::Contacts,
        body,
    ))
}

fn overview(r: &Receipt, business: &Business) -> Markup {
    html! {
        section.card {
            p { (r.issue.summary) }
            table {
                tr { th { "When" } td { (layout::local_text(&r.started_at, &business.tz)) @if r.after_hours { " (after hours)" } } }
                tr { th { "Caller" } td { (r.caller.number) " · call back on " (r.caller.callback_number)
                    @if r.caller.existing_customer { " · existing customer" }
                    @if let Some(a) = &r.caller.commercial_account { " · account " (a) } } }
                tr { th { "Channel" } td { (r.channel.replace('_', " ")) " · " (r.dialog.questions) " questions" } }
                tr { th { "Address" } td {
                    (r.address.heard.as_deref().unwrap_or("—"))
                    @if let Some(n) = &r.address.normalised { br; span.muted { (n) } }
                    br; span.muted { (r.address.why) } } }
                tr { th { "Trade" } td { (r.trade.as_deref().unwrap_or("—")) @if !r.trade_offered { " (not offered)" } } }
                @if let Some(h) = &r.hazard { tr { th { "Hazard" } td.error { (h) } } }
                @if let Some(s) = &r.safety_script { tr { th { "Safety script" } td { (s) } } }
                tr { th { "Call to alert" } td { (layout::duration(r.timings.call_to_alert_ms)) } }
            }
        }
    }
}

fn words(r: &Receipt) -> Markup {
    html! {
        section.card #words {
            h2 { "What the caller said" }
            @for (slot, text) in &r.issue.words {
                div { span.muted { (slot.as_deref().unwrap_or("")) } div.words { (text) } }
            }
            @if r.issue.words.is_empty() { p.muted { "No words: a missed call or a silent line." } }
        }
    }
}

fn facts(r: &Receipt) -> Markup {
    html! {
        section.card {
            h2 { "Facts" }
            table {
                thead { tr { th { "Fact" } th { "Said" } th { "Words" } } }
                @for f in &r.facts { tr { td { (f.fact) } td { (f.said) } td { q { (f.words) } } } }
            }
            h2 { "Urgency " (r.urgency.score) " (" (r.urgency.level) ", emergency at " (r.urgency.emergency_bar) ")" }
            table {
                thead { tr { th { "Rule" } th { "Points" } th { "Why" } } }
                @for c in &r.urgency.contributions {
                    tr { td { (c.rule) } td { (c.points) } td { (c.says)
                        @for (fact, w) in &c.evidence { br; span.muted { (fact) ": " q { (w) } } } } }
                }
            }
        }
    }
}

fn route(r: &Receipt) -> Markup {
    html! {
        section.card {
            h2 { "Route" }
            p { "Rule " strong { (r.rule.as_deref().unwrap_or("none")) } " → " (layout::lane(r.lane.as_deref())) }
            @if !r.rule_says.is_empty() { p { (r.rule_says) } }
            @if !r.passed_over.is_empty() {
                p.muted { "Rows above it that did not match:" }
                table { @for (name, why) in &r.passed_over { tr { td { (name) } td { code { (why) } } } } }
            }
            @if let Some(x) = &r.referral { p { "Referral: " (x) } }
        }
    }
}

fn handoff(r: &Receipt, business: &Business) -> Markup {
    html! {
        section.card {
            h2 { "Messages" }
            table {
                thead { tr { th { "When" } th { "To" } th { "Kind" } th { "Status" } th { "Text" } } }
                @for m in &r.messages {
                    tr {
                        td { (layout::local_text(&m.at, &business.tz)) }
                        td { (m.role) br; span.muted { (m.to) } }
                        td { (m.kind) }
                        td { (m.status) @if let Some(c) = m.error_code { " (" (c) ")" } }
                        td { div.words { (m.text) } }
                    }
                }
            }
            h2 { "Handoff" }
            @if r.handoff.is_empty() { p.muted { "Nobody was alerted." } }
            ol {
                @for s in &r.handoff {
                    li { (layout::local_text(&s.at, &business.tz)) " — " strong { (s.step) } " " (s.who) " (" (s.role) ")"
                        @if let Some(n) = &s.note { " · " (n) } }
                }
            }
        }
    }
}

/// The recording of a contact, from the raw webhooks, and its photos,
/// from the receipt: thumbnails of those kept, a note for the rest.
async fn media(app: &App, r: &Receipt, opened_at: i64) -> Result<Markup, Error> {
    let bodies = app
        .store
        .media_webhooks(
            &r.contact_id,
            &r.business.number,
            opened_at,
            opened_at + DAY_MS,
        )
        .await?;
    let mut recordings = Vec::new();
    for body in &bodies {
        let form: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap_or_default();
        if let Some((_, url)) = form.iter().find(|(k, _)| k == "RecordingUrl") {
            recordings.push(url.clone());
        }
    }
    // Only web links: a stored value is never allowed to become a script URL.
    let web = |u: &&String| u.starts_with("https://") || u.starts_with("http://");
    recordings.dedup();
    let photos = &r.issue.media;
    let base = format!("/contacts/{}/media/", layout::urlenc(&r.contact_id));
    Ok(html! {
        @if !recordings.is_empty() || !photos.is_empty() {
            section.card #media {
                h2 { "Recording and photos" }
                @for u in recordings.iter().filter(web) { p { a href=(u) rel="noreferrer" { "Recording" } } }
                @for m in photos {
                    @let href = format!("{base}{}", m.n);
                    @match (m.status.as_str(), m.content_type.as_deref()) {
                        ("stored", Some("application/pdf")) => {
                            p { a href=(href) { "Document " (m.n + 1) " (PDF)" } }
                        }
                        ("stored", _) => {
                            a.photo href=(href) {
                                img src=(href) alt={ "Photo " (m.n + 1) } loading="lazy"
                                    style="max-width:12em;max-height:12em;margin:.25em";
                            }
                        }
                        ("failed", _) => {
                            p.muted { "Photo " (m.n + 1) " could not be fetched: "
                                (m.note.as_deref().unwrap_or("unknown reason")) }
                        }
                        _ => { p.muted { "Photo " (m.n + 1) " is being fetched." } }
                    }
                }
            }
        }
    })
}

/// A kept photo of a contact the user may see, by contact and number.
pub async fn photo(
    State(app): State<App>,
    session: Session,
    Path((id, n)): Path<(String, usize)>,
) -> Result<Response, Error> {
    visible(&app, &session, &id).await?;
    let (content_type, bytes) = crate::record::media::open(&app, &id, n)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(crate::server::photo_response(&content_type, bytes))
}

fn mark_form(session: &Session, r: &Receipt, mark: Option<&crate::store::MarkRow>) -> Markup {
    html! {
        section.card #mark {
            h2 { "Your verdict" }
            @if let Some(m) = mark { p { strong { (mark_name(&m.kind)) } @if !m.note.is_empty() { ": " (m.note) } } }
            form.stack method="post" action={ "/contacts/" (layout::urlenc(&r.contact_id)) "/mark" } {
                input type="hidden" name="csrf" value=(session.csrf);
                label { input type="radio" name="kind" value=(FALSE_ESCALATION) required; " False escalation (should have been routine)" }
                label { input type="radio" name="kind" value=(MISSED_EMERGENCY); " Missed emergency" }
                label for="note" { "Note" }
                input #note type="text" name="note" maxlength="500";
                button #save-mark type="submit" { "Save" }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct MarkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    note: String,
}

pub async fn mark(
    State(app): State<App>,
    session: Session,
    Path(id): Path<String>,
    Form(f): Form<MarkForm>,
) -> Result<Response, Error> {
    session.check_csrf(&f.csrf)?;
    if f.kind != FALSE_ESCALATION && f.kind != MISSED_EMERGENCY {
        return Err(Error::BadRequest("unknown mark".into()));
    }
    let (r, _) = visible(&app, &session, &id).await?;
    let note: String = f.note.trim().chars().take(500).collect();
    app.store
        .mark_contact(
            &id,
            &r.business.number,
            &f.kind,
            &note,
            &session.user.id,
            app.clock.millis(),
        )
        .await?;
    tracing::info!(contact_id = %id, mark = %f.kind, "contact marked");
    Ok(Redirect::to(&format!("/contacts/{}", layout::urlenc(&id))).into_response())
}

/// Every contact of a business in the last `days`, for the numbers.
pub async fn seen(app: &App, business: &str, days: i64) -> Result<Vec<Seen>, Error> {
    let now = app.clock.millis();
    let rows = app
        .store
        .listed_contacts(business, now - days * DAY_MS, now + DAY_MS, i64::MAX, 0)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Seen {
            receipt: numbers::slim(r.receipt.as_deref()),
            id: r.id,
            opened_at: r.opened_at,
            channel: r.channel,
            mark: r.mark,
        })
        .collect())
}
