//! The web form door: an embeddable HTML form and a JSON endpoint per
//! business, described by an OpenAPI document. Input is validated with
//! field-by-field errors, a honeypot and a per-address rate limit keep
//! spam out, and CORS admits only the business's own site.

use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{LazyLock, Mutex};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maud::{html, DOCTYPE};
use serde::Deserialize;
use serde_json::json;
use sha2::Digest;

use super::{App, Error};
use crate::config::Business;
use crate::conversation::{Conversation, Ending};
use crate::intake::{Channel, Utterance};
use crate::store::{new_id, Claim, ContactRow};

/// Submissions allowed from one address to one business per window.
const LIMIT: usize = 5;
const WINDOW: SignedDuration = SignedDuration::from_secs(600);

/// Recent submissions by (address, business), by the server's clock. Per
/// instance: enough to stop a flood from one machine without a shared
/// counter.
static RECENT: LazyLock<Mutex<HashMap<(String, String), Vec<Timestamp>>>> =
    LazyLock::new(Mutex::default);

/// The fields a form posts.
#[derive(Debug, Default, Deserialize)]
pub struct Submission {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub zip: String,
    #[serde(default)]
    pub message: String,
    /// The honeypot: hidden from people, filled by bots.
    #[serde(default)]
    pub website: String,
}

/// Checks a submission; every problem by field, in plain words.
pub fn validate(s: &Submission) -> Result<String, HashMap<&'static str, String>> {
    let mut errors = HashMap::new();
    let phone = crate::intake::phone::normalize(&s.phone);
    if phone.is_none() {
        errors.insert(
            "phone",
            "Please give a phone number we can call or text, with its area code.".into(),
        );
    }
    if s.message.trim().is_empty() {
        errors.insert("message", "Please tell us what is going on.".into());
    } else if s.message.chars().count() > 2000 {
        errors.insert(
            "message",
            "Please keep the message under 2,000 characters.".into(),
        );
    }
    if s.name.chars().count() > 100 {
        errors.insert("name", "Please keep the name under 100 characters.".into());
    }
    if !s.zip.trim().is_empty()
        && !(s.zip.trim().len() == 5 && s.zip.trim().chars().all(|c| c.is_ascii_digit()))
    {
        errors.insert("zip", "A ZIP code is five digits.".into());
    }
    if !s.email.trim().is_empty() && !s.email.contains('@') {
        errors.insert("email", "That email address looks incomplete.".into());
    }
    match phone {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(errors),
    }
}

fn business_by_id<'a>(app: &'a App, id: &str) -> Result<&'a Business, Error> {
    app.config
        .businesses
        .iter()
        .find(|b| b.id == id)
        .ok_or_else(|| Error::BadRequest("unknown business".into()))
}

/// CORS headers for the business's own site only.
fn cors(business: &Business, headers: &HeaderMap) -> Vec<(header::HeaderName, HeaderValue)> {
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    match (origin, &business.website) {
        (Some(o), Some(site)) if o.trim_end_matches('/') == site.trim_end_matches('/') => vec![
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_str(o).unwrap_or(HeaderValue::from_static("null")),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("POST, OPTIONS"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type"),
            ),
            (header::VARY, HeaderValue::from_static("Origin")),
        ],
        _ => Vec::new(),
    }
}

fn with_headers(mut response: Response, extra: Vec<(header::HeaderName, HeaderValue)>) -> Response {
    for (k, v) in extra {
        response.headers_mut().insert(k, v);
    }
    response
}

pub async fn preflight(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let business = business_by_id(&app, &id)?;
    Ok(with_headers(
        StatusCode::NO_CONTENT.into_response(),
        cors(business, &headers),
    ))
}

/// The embeddable form.
pub async fn page(State(app): State<App>, Path(id): Path<String>) -> Result<Response, Error> {
    let business = business_by_id(&app, &id)?;
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; meta name="viewport" content="width=device-width, initial-scale=1"; title { "Request service – " (business.name) } }
            body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 1rem auto; padding: 0 1rem" {
                h1 { "Request service from " (business.name) }
                p { "If anyone is in danger, or you smell gas, leave and call 911 first." }
                form method="post" action={ "/forms/" (business.id) } {
                    label { "Your name" br; input name="name" autocomplete="name"; } br;
                    label { "Phone (we'll text you)" br; input name="phone" type="tel" required autocomplete="tel"; } br;
                    label { "Email" br; input name="email" type="email" autocomplete="email"; } br;
                    label { "Service address" br; input name="address" autocomplete="street-address"; } br;
                    label { "ZIP" br; input name="zip" inputmode="numeric" maxlength="5"; } br;
                    label { "What's going on?" br; textarea name="message" rows="5" required {} } br;
                    div style="position:absolute;left:-10000px" aria-hidden="true" {
                        label { "Leave this empty" input name="website" tabindex="-1" autocomplete="off"; }
                    }
                    button type="submit" { "Send" }
                }
            }
        }
    };
    Ok(Html(markup.into_string()).into_response())
}

/// A submission, as JSON or as a browser's form post.
pub async fn submit(
    State(app): State<App>,
    Path(id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let business = business_by_id(&app, &id)?;
    let extra = cors(business, &headers);
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let submission: Submission = if is_json {
        serde_json::from_slice(&body)
            .map_err(|_| Error::BadRequest("body is not the form's JSON".into()))?
    } else {
        serde_urlencoded::from_bytes(&body)
            .map_err(|_| Error::BadRequest("body is not a form".into()))?
    };
    let reply = |status: StatusCode, value: serde_json::Value, thanks: &str| {
        let response = if is_json {
            (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                value.to_string(),
            )
                .into_response()
        } else {
            (status, Html(html! { p { (thanks) } }.into_string())).into_response()
        };
        with_headers(response, extra.clone())
    };
    // A bot that filled the honeypot is told nothing useful.
    if !submission.website.trim().is_empty() {
        return Ok(reply(
            StatusCode::ACCEPTED,
            json!({"status": "received"}),
            "Thanks, we got your request.",
        ));
    }
    if !admit(&peer.ip().to_string(), &business.id, app.clock.now()) {
        tracing::warn!(business_id = %business.id, "web form rate limit reached");
        return Ok(reply(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": "too many requests; please call us instead"}),
            "Too many requests from here; please call us instead.",
        ));
    }
    let phone = match validate(&submission) {
        Ok(p) => p,
        Err(errors) => {
            return Ok(reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"errors": errors}),
                "Please go back and fix the form.",
            ))
        }
    };
    let contact = store_submission(&app, business, &submission, &phone, &body).await?;
    app.jobs_ready.notify_one();
    Ok(reply(
        StatusCode::CREATED,
        json!({"status": "received", "id": contact}),
        "Thanks, we got your request and will text you shortly.",
    ))
}

fn admit(ip: &str, business: &str, now: Timestamp) -> bool {
    let mut recent = RECENT.lock().unwrap_or_else(|e| e.into_inner());
    let times = recent
        .entry((ip.to_string(), business.to_string()))
        .or_default();
    times.retain(|t| now.duration_since(*t).abs() < WINDOW);
    if times.len() >= LIMIT {
        return false;
    }
    times.push(now);
    true
}

/// Stores the submission as a contact, triages it and queues its plan and
/// the confirmation text, in one transaction.
async fn store_submission(
    app: &App,
    business: &Business,
    s: &Submission,
    phone: &str,
    body: &[u8],
) -> Result<String, Error> {
    let now = app.clock.now();
    let key = format!("form:{}:{:x}", business.id, sha2::Sha256::digest(body));
    let mut tx = app.store.begin().await?;
    if let Claim::Seen(answer) = tx
        .claim_webhook(
            &key,
            "web-form",
            &business.number,
            &String::from_utf8_lossy(body),
            now.as_millisecond(),
        )
        .await?
    {
        return Ok(answer.unwrap_or_default());
    }
    let weather = app
        .weather
        .current(business.shop, business.weather_station.as_deref(), now)
        .await;
    let (mut c, _) = Conversation::start(
        new_id("c"),
        business,
        Channel::WebForm,
        phone.to_string(),
        now,
        weather,
    );
    c.words.push(Utterance {
        slot: None,
        text: s.message.trim().to_string(),
    });
    let address = [s.address.trim(), s.zip.trim()]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if !address.is_empty() {
        c.words.push(Utterance {
            slot: Some("address".into()),
            text: address,
        });
    }
    if !s.name.trim().is_empty() {
        c.words.push(Utterance {
            slot: Some("name".into()),
            text: s.name.trim().to_string(),
        });
    }
    c.ended = Some(Ending::Completed);
    c.pending = None;
    crate::dispatch::plan::finalize(&mut tx, app, business, &mut c, now).await?;
    let confirm = crate::store::NewJob {
        dedupe_key: format!("confirm:{}", c.contact_id),
        kind: "message".into(),
        contact_id: c.contact_id.clone(),
        payload: json!({"role": "caller", "name": "", "to": phone, "texts": true, "step": "confirm",
            "text": format!("{}: {}", business.name, c.closing_words(business, now))}),
        run_at: now.as_millisecond(),
    };
    tx.enqueue(&confirm, now.as_millisecond()).await?;
    tx.insert_contact(&ContactRow {
        id: c.contact_id.clone(),
        business: business.number.clone(),
        channel: "web_form".into(),
        caller: phone.to_string(),
        call_sid: None,
        opened_at: now.as_millisecond(),
        status: "closed".into(),
        version: 1,
        state: serde_json::to_string(&c)?,
    })
    .await?;
    tx.answer_webhook(&key, &c.contact_id).await?;
    tx.commit().await?;
    Ok(c.contact_id)
}

/// The OpenAPI document of the form endpoint.
pub async fn openapi() -> impl IntoResponse {
    let field = |d: &str| json!({"type": "string", "description": d});
    axum::Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "nightdesk web form", "version": "1"},
        "paths": {"/forms/{business}": {"post": {
            "summary": "Send a service request to a business",
            "parameters": [{"name": "business", "in": "path", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Submission"}},
                "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/Submission"}}
            }},
            "responses": {
                "201": {"description": "Stored; the caller will get a confirmation text"},
                "202": {"description": "Accepted"},
                "400": {"description": "The body is not JSON or a form"},
                "422": {"description": "Field errors", "content": {"application/json": {"schema": {"type": "object", "properties": {"errors": {"type": "object", "additionalProperties": {"type": "string"}}}}}}},
                "429": {"description": "Too many requests from this address"}
            }
        }}},
        "components": {"schemas": {"Submission": {"type": "object", "required": ["phone", "message"], "properties": {
            "name": field("The caller's name"), "phone": field("A phone number, any common format"),
            "email": field("Optional email"), "address": field("Service address"), "zip": field("Five-digit ZIP"),
            "message": field("What is going on, up to 2,000 characters"), "website": field("Leave empty")
        }}}}
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_each_bad_field() {
        let bad = Submission {
            phone: "12".into(),
            zip: "5540".into(),
            email: "x".into(),
            ..Default::default()
        };
        let errors = validate(&bad).unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
        let good = Submission {
            phone: "(612) 555-0197".into(),
            message: "no heat".into(),
            ..Default::default()
        };
        assert_eq!(validate(&good).unwrap(), "+16125550197");
    }

    #[test]
    fn a_flood_from_one_address_is_limited() {
        let ip = format!("10.9.{}.1", rand::random::<u8>());
        let now = Timestamp::now();
        let admitted = (0..8).filter(|_| admit(&ip, "birchline", now)).count();
        assert_eq!(admitted, LIMIT);
        assert!(admit(&format!("{ip}9"), "birchline", now));
        assert!(admit(&ip, "birchline", now + SignedDuration::from_mins(11)));
    }
}
