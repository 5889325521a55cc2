//! The stand-in's REST side: `Messages.json` (create, fetch, list) and
//! `Calls.json` with Twilio's JSON shapes, Basic auth and error bodies,
//! every text and call kept in memory for tests to inspect, a hook that
//! fails the next requests on purpose, and signed message status
//! callbacks.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};

use super::resource::{call_json, message_json, message_status_params};
use tokio::task::JoinHandle;

use super::{new_sid, post_signed, rfc2822_now, webhook_client, Error};
use crate::twilio::parse_form;

/// A text the stand-in accepted, as sent.
#[derive(Clone, Debug, PartialEq)]
pub struct SentMessage {
    pub sid: String,
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub to: String,
    pub body: String,
    pub media_urls: Vec<String>,
    pub status_callback: Option<String>,
    /// The latest status: `queued` (or `accepted`), then `sent`, `delivered`.
    pub status: String,
    pub date_created: String,
}

/// A call the stand-in accepted, as requested.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedCall {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub url: Option<String>,
    pub twiml: Option<String>,
    pub status_callback: Option<String>,
    pub status_callback_events: Vec<String>,
    pub machine_detection: Option<String>,
    pub status: String,
    pub date_created: String,
}

/// Failures to return instead of handling the next requests.
#[derive(Clone, Copy, Debug)]
struct PlannedFailure {
    remaining: usize,
    status: u16,
    code: u32,
}

#[derive(Default)]
struct Ledger {
    messages: Vec<SentMessage>,
    calls: Vec<PlacedCall>,
    failure: Option<PlannedFailure>,
    callbacks: Vec<JoinHandle<()>>,
}

struct Shared {
    account_sid: String,
    auth_token: String,
    http: reqwest::Client,
    ledger: Mutex<Ledger>,
}

impl Shared {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        // A panicking test thread must not hide the ledger from the rest.
        self.ledger
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running stand-in for `api.twilio.com` on a loopback port. The server
/// stops when this value is dropped.
pub struct StandIn {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl StandIn {
    /// Starts the server on `127.0.0.1:0` for one account.
    ///
    /// # Errors
    ///
    /// [`Error::Listen`] when no loopback port can be bound.
    pub async fn start(account_sid: &str, auth_token: &str) -> Result<StandIn, Error> {
        let shared = Arc::new(Shared {
            account_sid: account_sid.to_string(),
            auth_token: auth_token.to_string(),
            http: webhook_client(),
            ledger: Mutex::default(),
        });
        let accounts = "/2010-04-01/Accounts/{account}";
        let router = Router::new()
            .route(
                &format!("{accounts}/Messages.json"),
                post(create_message).get(list_messages),
            )
            .route(&format!("{accounts}/Messages/{{file}}"), get(fetch_message))
            .route(&format!("{accounts}/Calls.json"), post(create_call))
            .route(&format!("{accounts}/Calls/{{file}}"), get(fetch_call))
            .with_state(shared.clone());

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(Error::Listen)?;
        let addr = listener.local_addr().map_err(Error::Listen)?;
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "twilio stand-in stopped");
            }
        });
        Ok(StandIn {
            addr,
            shared,
            server,
        })
    }

    /// `http://127.0.0.1:PORT`, to use as the REST client's API base.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every text accepted so far, oldest first.
    pub fn messages(&self) -> Vec<SentMessage> {
        self.shared.ledger().messages.clone()
    }

    /// Every call accepted so far, oldest first.
    pub fn calls(&self) -> Vec<PlacedCall> {
        self.shared.ledger().calls.clone()
    }

    /// Makes the next `count` REST requests fail with `status` and a Twilio
    /// error body carrying `code` (e.g. 429 and 20429, or 503 and 20500),
    /// before authentication or validation, as an overloaded Twilio would.
    pub fn fail_next(&self, count: usize, status: u16, code: u32) {
        self.shared.ledger().failure = Some(PlannedFailure {
            remaining: count,
            status,
            code,
        });
    }

    /// Waits until every status callback started so far has been posted,
    /// so a test can check what nightdesk received without sleeping.
    pub async fn settle(&self) {
        loop {
            let pending = std::mem::take(&mut self.shared.ledger().callbacks);
            if pending.is_empty() {
                return;
            }
            for task in pending {
                let _ = task.await;
            }
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A Twilio REST error: the status and the `{code, message, more_info,
/// status}` body the official libraries parse.
struct RestError {
    status: u16,
    code: u32,
    message: String,
}

impl RestError {
    fn new(status: u16, code: u32, message: impl Into<String>) -> RestError {
        RestError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.code,
            "message": self.message,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.code),
            "status": self.status,
        });
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }
}

/// The checks every request passes first: a planned failure, then auth.
fn admit(shared: &Shared, account: &str, headers: &HeaderMap) -> Result<(), RestError> {
    if let Some(failure) = &mut shared.ledger().failure {
        if failure.remaining > 0 {
            failure.remaining -= 1;
            return Err(RestError::new(
                failure.status,
                failure.code,
                "Planned failure",
            ));
        }
    }

    let expected = format!("{}:{}", shared.account_sid, shared.auth_token);
    let given = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| BASE64.decode(encoded).ok());
    if given.as_deref() != Some(expected.as_bytes()) || account != shared.account_sid {
        return Err(RestError::new(401, 20003, "Authenticate"));
    }
    Ok(())
}

/// Twilio's E.164 check, loosely: `+`, a non-zero digit, 7 to 14 more.
fn check_to(to: Option<&str>) -> Result<String, RestError> {
    let valid = |n: &str| {
        let digits = n.strip_prefix('+').unwrap_or("");
        (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    };
    match to {
        Some(n) if valid(n) => Ok(n.to_string()),
        Some(n) => Err(RestError::new(
            400,
            21211,
            format!("The 'To' number {n} is not a valid phone number."),
        )),
        None => Err(RestError::new(
            400,
            21211,
            "The 'To' number is not a valid phone number.",
        )),
    }
}

fn form(body: &Bytes) -> Result<Vec<(String, String)>, RestError> {
    parse_form(body).map_err(|_| RestError::new(400, 20001, "Malformed request body"))
}

fn first<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn all(form: &[(String, String)], name: &str) -> Vec<String> {
    form.iter()
        .filter(|(key, _)| key == name)
        .map(|(_, v)| v.clone())
        .collect()
}

async fn create_message(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), RestError> {
    admit(&shared, &account, &headers)?;
    let form = form(&body)?;
    let to = check_to(first(&form, "To"))?;
    let from = first(&form, "From").map(str::to_string);
    let service = first(&form, "MessagingServiceSid").map(str::to_string);
    if from.is_none() && service.is_none() {
        return Err(RestError::new(
            400,
            21603,
            "A 'From' phone number is required.",
        ));
    }
    let text = first(&form, "Body").unwrap_or_default().to_string();
    let media_urls = all(&form, "MediaUrl");
    if text.is_empty() && media_urls.is_empty() {
        return Err(RestError::new(400, 21602, "Message body is required."));
    }

    let prefix = if media_urls.is_empty() { "SM" } else { "MM" };
    // With a Messaging Service Twilio first says `accepted` and has no
    // sender yet; with a From number it queues at once.
    let status = if from.is_some() { "queued" } else { "accepted" };
    let message = SentMessage {
        sid: new_sid(prefix),
        from,
        messaging_service_sid: service,
        to,
        body: text,
        media_urls,
        status_callback: first(&form, "StatusCallback").map(str::to_string),
        status: status.to_string(),
        date_created: rfc2822_now(),
    };
    let json = message_json(&shared.account_sid, &message);

    let mut ledger = shared.ledger();
    if message.status_callback.is_some() {
        let task = tokio::spawn(post_message_statuses(shared.clone(), message.clone()));
        ledger.callbacks.push(task);
    }
    ledger.messages.push(message);
    Ok((StatusCode::CREATED, Json(json)))
}

/// Twilio's Messages list, newest first, filtered by `To` and `From`,
/// one page of `PageSize` (default 50).
async fn list_messages(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Json<Value>, RestError> {
    admit(&shared, &account, &headers)?;
    let size: usize = query
        .get("PageSize")
        .and_then(|n| n.parse().ok())
        .unwrap_or(50)
        .clamp(1, 1000);
    let wanted = |field: &str, value: Option<&str>| {
        query.get(field).is_none_or(|q| Some(q.as_str()) == value)
    };
    let ledger = shared.ledger();
    let page: Vec<Value> = ledger
        .messages
        .iter()
        .rev()
        .filter(|m| wanted("To", Some(&m.to)) && wanted("From", m.from.as_deref()))
        .take(size)
        .map(|m| message_json(&shared.account_sid, m))
        .collect();
    let uri = format!(
        "/2010-04-01/Accounts/{}/Messages.json?PageSize={size}&Page=0",
        shared.account_sid
    );
    Ok(Json(json!({
        "messages": page,
        "page": 0,
        "page_size": size,
        "first_page_uri": uri,
        "uri": uri,
        "next_page_uri": null,
        "previous_page_uri": null,
        "end": page.len().saturating_sub(1),
        "start": 0,
    })))
}

async fn fetch_message(
    State(shared): State<Arc<Shared>>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, RestError> {
    admit(&shared, &account, &headers)?;
    let sid = file.strip_suffix(".json").unwrap_or(&file);
    let ledger = shared.ledger();
    let message = ledger.messages.iter().find(|m| m.sid == sid);
    message
        .map(|m| Json(message_json(&shared.account_sid, m)))
        .ok_or_else(|| not_found(&shared.account_sid, "Messages", sid))
}

async fn create_call(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), RestError> {
    admit(&shared, &account, &headers)?;
    let form = form(&body)?;
    let to = check_to(first(&form, "To"))?;
    let Some(from) = first(&form, "From") else {
        return Err(RestError::new(
            400,
            21213,
            "Caller phone number is required",
        ));
    };
    let url = first(&form, "Url").map(str::to_string);
    let twiml = first(&form, "Twiml").map(str::to_string);
    if url.is_none() && twiml.is_none() {
        return Err(RestError::new(400, 21205, "Url parameter is required."));
    }

    let call = PlacedCall {
        sid: new_sid("CA"),
        from: from.to_string(),
        to,
        url,
        twiml,
        status_callback: first(&form, "StatusCallback").map(str::to_string),
        status_callback_events: all(&form, "StatusCallbackEvent"),
        machine_detection: first(&form, "MachineDetection").map(str::to_string),
        status: "queued".to_string(),
        date_created: rfc2822_now(),
    };
    let json = call_json(&shared.account_sid, &call);
    shared.ledger().calls.push(call);
    Ok((StatusCode::CREATED, Json(json)))
}

async fn fetch_call(
    State(shared): State<Arc<Shared>>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, RestError> {
    admit(&shared, &account, &headers)?;
    let sid = file.strip_suffix(".json").unwrap_or(&file);
    let ledger = shared.ledger();
    let call = ledger.calls.iter().find(|c| c.sid == sid);
    call.map(|c| Json(call_json(&shared.account_sid, c)))
        .ok_or_else(|| not_found(&shared.account_sid, "Calls", sid))
}

fn not_found(account: &str, kind: &str, sid: &str) -> RestError {
    let path = format!("/2010-04-01/Accounts/{account}/{kind}/{sid}.json");
    RestError::new(
        404,
        20404,
        format!("The requested resource {path} was not found"),
    )
}

/// Posts the statuses a delivered text goes through. Twilio sends no
/// callback for the status the create call returned (`queued` with a From
/// number), but does for `queued` after `accepted` with a Messaging Service.
async fn post_message_statuses(shared: Arc<Shared>, message: SentMessage) {
    let Some(url) = message.status_callback.clone() else {
        return;
    };
    let mut statuses = vec!["sent", "delivered"];
    if message.from.is_none() {
        statuses.insert(0, "queued");
    }

    for status in statuses {
        let params = message_status_params(&shared.account_sid, &message, status);
        if let Some(stored) = shared
            .ledger()
            .messages
            .iter_mut()
            .find(|m| m.sid == message.sid)
        {
            stored.status = status.to_string();
        }
        // A failing callback is nightdesk's problem to show; Twilio logs
        // it and carries on with the next status.
        if let Err(error) = post_signed(&shared.http, &shared.auth_token, &url, &params).await {
            tracing::warn!(%error, message_sid = %message.sid, "status callback failed");
        }
    }
}
