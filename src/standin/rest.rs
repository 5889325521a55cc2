//! The stand-in's REST side: `Messages.json` (create, fetch, list) and
//! `Calls.json` with Twilio's JSON shapes, Basic auth and error bodies,
//! every text and call kept in memory for tests to inspect, a hook that
//! fails the next requests on purpose, and signed message status
//! callbacks. Media of incoming MMS are served as Twilio serves them:
//! the media URL wants Basic auth and redirects to a signed URL on a
//! second loopback port (the storage host), which serves the bytes.

use std::collections::{HashMap, VecDeque};
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

/// A media file of an incoming MMS, as the stand-in keeps it.
struct StoredMedia {
    message_sid: String,
    content_type: String,
    bytes: Vec<u8>,
    /// The storage URL's secret, as in a signed storage link.
    token: String,
    /// Statuses to answer on the media URL before serving it.
    failures: VecDeque<u16>,
}

/// Where a media request landed: Twilio's API or the storage host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaHost {
    Api,
    Storage,
}

/// A request for media the stand-in answered, for tests to inspect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaRequest {
    /// The media's SID (`ME…`), when the request named one.
    pub media_sid: Option<String>,
    pub host: MediaHost,
    /// Whether an `Authorization` header came with it.
    pub authorized: bool,
    pub status: u16,
}

#[derive(Default)]
struct Ledger {
    messages: Vec<SentMessage>,
    calls: Vec<PlacedCall>,
    failure: Option<PlannedFailure>,
    callbacks: Vec<JoinHandle<()>>,
    media: HashMap<String, StoredMedia>,
    media_requests: Vec<MediaRequest>,
}

struct Shared {
    account_sid: String,
    auth_token: String,
    http: reqwest::Client,
    ledger: Mutex<Ledger>,
    /// `http://127.0.0.1:PORT` of the storage host media redirect to.
    storage_base: String,
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
    storage: JoinHandle<()>,
}

impl StandIn {
    /// Starts the server on `127.0.0.1:0` for one account.
    ///
    /// # Errors
    ///
    /// [`Error::Listen`] when no loopback port can be bound.
    pub async fn start(account_sid: &str, auth_token: &str) -> Result<StandIn, Error> {
        let storage_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(Error::Listen)?;
        let storage_addr = storage_listener.local_addr().map_err(Error::Listen)?;
        let shared = Arc::new(Shared {
            account_sid: account_sid.to_string(),
            auth_token: auth_token.to_string(),
            http: webhook_client(),
            ledger: Mutex::default(),
            storage_base: format!("http://{storage_addr}"),
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
            .route(
                &format!("{accounts}/Messages/{{file}}/Media/{{media}}"),
                get(fetch_media),
            )
            .with_state(shared.clone());
        let storage_router = Router::new()
            .route("/storage/{token}", get(storage_media))
            .with_state(shared.clone());
        let storage = tokio::spawn(async move {
            if let Err(error) = axum::serve(storage_listener, storage_router).await {
                tracing::error!(%error, "media storage stand-in stopped");
            }
        });

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
            storage,
        })
    }

    /// The URL Twilio would give, as `MediaUrl{N}`, for media `media_sid`
    /// of message `message_sid`, whether the stand-in has it or not.
    pub fn media_url(&self, message_sid: &str, media_sid: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages/{message_sid}/Media/{media_sid}",
            self.base_url(),
            self.shared.account_sid
        )
    }

    /// Keeps a media file of an incoming MMS and returns its media URL.
    pub fn add_media(&self, message_sid: &str, content_type: &str, bytes: Vec<u8>) -> String {
        let media_sid = new_sid("ME");
        let stored = StoredMedia {
            message_sid: message_sid.to_string(),
            content_type: content_type.to_string(),
            bytes,
            token: new_sid(""),
            failures: VecDeque::new(),
        };
        self.shared.ledger().media.insert(media_sid.clone(), stored);
        self.media_url(message_sid, &media_sid)
    }

    /// Makes the media at `url` answer each of `statuses` in turn (with a
    /// Twilio error body) before it is served.
    pub fn fail_media(&self, url: &str, statuses: &[u16]) {
        let sid = url.rsplit('/').next().unwrap_or("");
        if let Some(media) = self.shared.ledger().media.get_mut(sid) {
            media.failures.extend(statuses);
        }
    }

    /// Every media request answered so far, on either host, oldest first.
    pub fn media_requests(&self) -> Vec<MediaRequest> {
        self.shared.ledger().media_requests.clone()
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
        self.storage.abort();
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

/// A media URL: Basic auth, then a redirect to the storage host, as
/// Twilio answers with a signed link to where it keeps the file.
async fn fetch_media(
    State(shared): State<Arc<Shared>>,
    Path((account, message, media)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let authorized = headers.contains_key("authorization");
    let answer = media_answer(&shared, &account, &message, &media, &headers);
    let status = answer.status().as_u16();
    shared.ledger().media_requests.push(MediaRequest {
        media_sid: Some(media),
        host: MediaHost::Api,
        authorized,
        status,
    });
    answer
}

fn media_answer(
    shared: &Shared,
    account: &str,
    message: &str,
    media: &str,
    headers: &HeaderMap,
) -> Response {
    let planned = shared
        .ledger()
        .media
        .get_mut(media)
        .and_then(|m| m.failures.pop_front());
    if let Some(status) = planned {
        return RestError::new(status, 20500, "Planned failure").into_response();
    }
    if let Err(refused) = admit(shared, account, headers) {
        return refused.into_response();
    }
    let ledger = shared.ledger();
    let Some(stored) = ledger.media.get(media).filter(|m| m.message_sid == message) else {
        let kind = format!("Messages/{message}/Media");
        return not_found(&shared.account_sid, &kind, media).into_response();
    };
    let location = format!("{}/storage/{}", shared.storage_base, stored.token);
    (
        StatusCode::TEMPORARY_REDIRECT,
        [(axum::http::header::LOCATION, location)],
    )
        .into_response()
}

/// The storage host: serves the bytes to whoever has the signed link,
/// and, as S3 does, refuses a request that brings credentials besides.
async fn storage_media(
    State(shared): State<Arc<Shared>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let authorized = headers.contains_key("authorization");
    let mut ledger = shared.ledger();
    let found = ledger
        .media
        .iter()
        .find(|(_, m)| m.token == token)
        .map(|(sid, m)| (sid.clone(), m.content_type.clone(), m.bytes.clone()));
    let (media_sid, answer) = match found {
        Some((sid, _, _)) if authorized => (
            Some(sid),
            (StatusCode::BAD_REQUEST, "only one auth mechanism allowed").into_response(),
        ),
        Some((sid, content_type, bytes)) => (
            Some(sid),
            ([(axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response(),
        ),
        None => (None, StatusCode::NOT_FOUND.into_response()),
    };
    ledger.media_requests.push(MediaRequest {
        media_sid,
        host: MediaHost::Storage,
        authorized,
        status: answer.status().as_u16(),
    });
    answer
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
