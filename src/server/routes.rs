//! Routes: Twilio's fixed webhook paths and the dialog's own follow-ups.
//! Every Twilio request is checked against `X-Twilio-Signature` for the
//! URL Twilio signed before anything else reads it.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use super::flow::{self, Params};
use super::team;
use super::{render, App, Error};
use crate::twilio::{parse_form, signature};

pub fn router(app: App) -> Router {
    Router::new()
        .route("/twilio/voice", post(voice))
        .route("/twilio/voice/turn", post(voice_turn))
        .route("/twilio/voice/status", post(voice_status))
        .route("/twilio/voice/whisper", post(super::transfer::whisper))
        .route("/twilio/voice/dial", post(super::transfer::dial))
        .route("/twilio/sms", post(sms))
        .route("/twilio/sms/status", post(sms_status))
        .route("/twilio/recording", post(recording))
        .route("/team/job", get(team::job_page).post(team::job_act))
        .route("/team/media", get(team::media))
        .route("/team/call", post(team::call))
        .route("/team/owner-call", post(team::owner_call))
        .route("/team/call/key", post(team::call_key))
        .route("/team/call/status", post(team::call_status))
        .route(
            "/forms/{business}",
            get(super::forms::page)
                .post(super::forms::submit)
                .options(super::forms::preflight),
        )
        .route("/openapi.json", get(super::forms::openapi))
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::dashboard::router())
        .with_state(app)
}

pub(super) fn twiml(xml: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response()
}

/// The URL Twilio signed: the configured public URL, else this server as
/// the request reached it.
fn signed_url(app: &App, headers: &HeaderMap, uri: &Uri) -> String {
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    match &app.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}{path}")
        }
    }
}

/// Checks the signature and decodes the form.
pub(super) fn verified(
    app: &App,
    headers: &HeaderMap,
    uri: &Uri,
    body: &Bytes,
) -> Result<Params, Error> {
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or(Error::Forbidden)?;
    let params = parse_form(body).map_err(|_| Error::BadRequest("body is not a form".into()))?;
    let url = signed_url(app, headers, uri);
    if !signature::validate(app.auth_token.expose(), &url, &params, signature) {
        return Err(Error::Forbidden);
    }
    Ok(Params(params))
}

/// The key that makes a retried webhook recognisable: Twilio's own
/// idempotency token where it sends one, else the request's identity.
fn key(headers: &HeaderMap, fallback: String) -> String {
    match headers
        .get("i-twilio-idempotency-token")
        .and_then(|v| v.to_str().ok())
    {
        Some(token) if !token.is_empty() => format!("{fallback}:{token}"),
        _ => fallback,
    }
}

pub(super) fn body_text(body: &Bytes) -> String {
    String::from_utf8_lossy(body).into_owned()
}

async fn voice(
    State(app): State<App>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, Error> {
    let p = verified(&app, &headers, &uri, &body)?;
    let to = p.get("To").or(p.get("Called")).unwrap_or("");
    let Some(business) = app.config.business(to) else {
        tracing::warn!("call to a number no business owns");
        return Ok(twiml(render::unknown_number()));
    };
    let key = format!("voice:{}:start", p.need("CallSid")?);
    Ok(twiml(
        flow::call_started(&app, business, &p, &key, &body_text(&body)).await?,
    ))
}

async fn voice_turn(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, Error> {
    let p = verified(&app, &headers, &uri, &body)?;
    let contact = q
        .get("contact")
        .ok_or_else(|| Error::BadRequest("missing contact".into()))?;
    let step = q.get("step").map_or("0", String::as_str);
    let key = format!("voice:{}:{step}", p.need("CallSid")?);
    Ok(twiml(
        flow::call_turn(&app, &p, contact, &key, &body_text(&body)).await?,
    ))
}

async fn voice_status(
    State(app): State<App>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, Error> {
    let p = verified(&app, &headers, &uri, &body)?;
    let to = p.get("To").or(p.get("Called")).unwrap_or("");
    let business = app.config.business(to);
    let key = key(
        &headers,
        format!(
            "status:{}:{}",
            p.need("CallSid")?,
            p.get("CallStatus").unwrap_or("")
        ),
    );
    flow::call_status(&app, business, &p, &key, &body_text(&body)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn sms(
    State(app): State<App>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, Error> {
    let p = verified(&app, &headers, &uri, &body)?;
    let Some(business) = app.config.business(p.get("To").unwrap_or("")) else {
        tracing::warn!("text to a number no business owns");
        return Ok(twiml(crate::twilio::MessagingResponse::new().to_string()));
    };
    // Twilio answers STOP, START and HELP itself; nightdesk stays quiet.
    let word = p.get("Body").unwrap_or("").trim().to_uppercase();
    if matches!(
        word.as_str(),
        "STOP"
            | "STOPALL"
            | "UNSUBSCRIBE"
            | "CANCEL"
            | "END"
            | "QUIT"
            | "START"
            | "UNSTOP"
            | "HELP"
            | "INFO"
    ) {
        return Ok(twiml(crate::twilio::MessagingResponse::new().to_string()));
    }
    let key = key(&headers, format!("sms:{}", p.need("MessageSid")?));
    Ok(twiml(
        flow::text_in(&app, business, &p, &key, &body_text(&body)).await?,
    ))
}

async fn sms_status(
    State(app): State<App>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, Error> {
    let p = verified(&app, &headers, &uri, &body)?;
    let sid = p.need("MessageSid")?;
    let status = p
        .get("MessageStatus")
        .or(p.get("SmsStatus"))
        .unwrap_or("unknown");
    let code = p.get("ErrorCode").and_then(|c| c.parse().ok());
    crate::record::status::message_status(&app, sid, status, code).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn recording(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, Error> {
    let p = verified(&app, &headers, &uri, &body)?;
    let contact = q
        .get("contact")
        .ok_or_else(|| Error::BadRequest("missing contact".into()))?;
    let event = q.get("event").map_or("action", String::as_str);
    let key = key(&headers, format!("recording:{contact}:{event}"));
    Ok(twiml(
        flow::recording(&app, &p, contact, event, &key, &body_text(&body)).await?,
    ))
}
