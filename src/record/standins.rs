//! Local stand-ins for the sinks that live elsewhere: a Standard Webhooks
//! receiver, Google's token endpoint, Sheets `values` API and Calendar
//! `freeBusy` and `events.insert`, and HubSpot's CRM v3 objects. They speak the wire shapes recorded in
//! `../shared/data/` and keep what they were sent, so a test can count
//! what arrived; each can be told to fail for a while. Tests and the demo
//! only.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// One of the services a stand-in plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Webhook,
    Google,
    Hubspot,
    Calendar,
}

/// How a failing service answers: every other request a 500, the rest
/// held past the client's timeout. With `lands`, a held request is carried
/// out before it hangs, as when an answer is lost on the way back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    pub hang: Duration,
    pub lands: bool,
}

/// A spreadsheet row as appended.
pub type Row = Vec<Value>;

/// A HubSpot object: its type, id, properties and associated ids.
#[derive(Debug, Clone)]
pub struct CrmObject {
    pub object: String,
    pub id: String,
    pub properties: serde_json::Map<String, Value>,
    pub associations: Vec<(String, i64)>,
}

#[derive(Default)]
struct Ledger {
    outages: HashMap<Service, Outage>,
    requests: HashMap<Service, u64>,
    failed: HashMap<Service, u64>,
    /// Webhook deliveries whose signature verified, by `webhook-id`.
    hooks: Vec<(String, Value)>,
    bad_signatures: u64,
    tokens_issued: u64,
    rows: Vec<Row>,
    objects: Vec<CrmObject>,
    /// Answer the next N HubSpot writes with 429 and `Retry-After`.
    rate_limited: u64,
    /// Busy stretches (RFC 3339) put on a calendar by a test.
    busy: HashMap<String, Vec<(String, String)>>,
    /// Calendars the service account cannot see.
    unreadable: Vec<String>,
    /// Events inserted, with the calendar id they went to.
    events: Vec<(String, Value)>,
}

struct Shared {
    ledger: Mutex<Ledger>,
    webhook_key: Vec<u8>,
    token: String,
}

/// The running stand-ins; dropping it stops them.
pub struct SinkStandIns {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for SinkStandIns {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl SinkStandIns {
    /// Starts on 127.0.0.1:0; webhooks must be signed with `webhook_secret`.
    ///
    /// # Errors
    ///
    /// When the listener cannot bind or the secret is not `whsec_…`.
    pub async fn start(webhook_secret: &str) -> std::io::Result<SinkStandIns> {
        let webhook_key = super::sinks::webhook::key(webhook_secret)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let shared = Arc::new(Shared {
            ledger: Mutex::new(Ledger::default()),
            webhook_key,
            token: "ya29.TEST-ONLY.nightdesk-sink-stand-in".into(),
        });
        let router = Router::new()
            .route("/hook", post(hook))
            .route("/token", post(token))
            .route(
                "/v4/spreadsheets/{id}/values/{range}",
                post(append).get(read_column),
            )
            .route("/calendar/v3/freeBusy", post(free_busy))
            .route(
                "/calendar/v3/calendars/{calendar}/events",
                post(insert_event),
            )
            .route("/crm/v3/objects/{object}", post(create))
            .route("/crm/v3/objects/{object}/search", post(search))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(SinkStandIns {
            addr,
            shared,
            server,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Makes a service fail until [`SinkStandIns::recover`].
    pub fn fail(&self, service: Service, outage: Outage) {
        self.shared
            .ledger
            .lock()
            .unwrap()
            .outages
            .insert(service, outage);
    }

    pub fn recover(&self, service: Service) {
        self.shared.ledger.lock().unwrap().outages.remove(&service);
    }

    /// Answers the next `n` HubSpot writes with 429 and `Retry-After: 1`.
    pub fn rate_limit_hubspot(&self, n: u64) {
        self.shared.ledger.lock().unwrap().rate_limited = n;
    }

    /// Requests answered with a failure, per service.
    pub fn failed(&self, service: Service) -> u64 {
        self.shared
            .ledger
            .lock()
            .unwrap()
            .failed
            .get(&service)
            .copied()
            .unwrap_or(0)
    }

    /// How many times each `webhook-id` arrived with a good signature.
    pub fn webhook_ids(&self) -> HashMap<String, usize> {
        let mut n = HashMap::new();
        for (id, _) in &self.shared.ledger.lock().unwrap().hooks {
            *n.entry(id.clone()).or_insert(0) += 1;
        }
        n
    }

    /// Deliveries whose signature did not verify.
    pub fn bad_signatures(&self) -> u64 {
        self.shared.ledger.lock().unwrap().bad_signatures
    }

    /// The rows appended to the sheet, in order.
    pub fn rows(&self) -> Vec<Row> {
        self.shared.ledger.lock().unwrap().rows.clone()
    }

    /// Marks a stretch of a calendar busy, as the owner's own event.
    pub fn set_busy(&self, calendar: &str, start: &str, end: &str) {
        self.shared
            .ledger
            .lock()
            .unwrap()
            .busy
            .entry(calendar.into())
            .or_default()
            .push((start.into(), end.into()));
    }

    /// Makes a calendar one the service account cannot see.
    pub fn hide_calendar(&self, calendar: &str) {
        self.shared
            .ledger
            .lock()
            .unwrap()
            .unreadable
            .push(calendar.into());
    }

    /// The events inserted, as (calendar id, event body).
    pub fn events(&self) -> Vec<(String, Value)> {
        self.shared.ledger.lock().unwrap().events.clone()
    }

    pub fn tokens_issued(&self) -> u64 {
        self.shared.ledger.lock().unwrap().tokens_issued
    }

    /// The CRM's objects of one type.
    pub fn objects(&self, object: &str) -> Vec<CrmObject> {
        self.shared
            .ledger
            .lock()
            .unwrap()
            .objects
            .iter()
            .filter(|o| o.object == object)
            .cloned()
            .collect()
    }
}

/// What a request meets: a normal answer, a 500, or a hang (after doing
/// the work when the outage says it lands).
enum Gate {
    Open,
    Fail,
    Hang { hang: Duration, lands: bool },
}

fn gate(shared: &Shared, service: Service) -> Gate {
    let mut ledger = shared.ledger.lock().unwrap();
    let n = {
        let n = ledger.requests.entry(service).or_insert(0);
        *n += 1;
        *n
    };
    let Some(outage) = ledger.outages.get(&service).copied() else {
        return Gate::Open;
    };
    *ledger.failed.entry(service).or_insert(0) += 1;
    if n % 2 == 0 {
        Gate::Fail
    } else {
        Gate::Hang {
            hang: outage.hang,
            lands: outage.lands,
        }
    }
}

fn server_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({"error": {"code": 500, "message": "stand-in outage", "status": "INTERNAL"}})),
    )
        .into_response()
}

/// Runs `work` unless the gate says otherwise; a hang answers only after
/// the client has given up.
async fn guarded(shared: &Shared, service: Service, work: impl FnOnce() -> Response) -> Response {
    match gate(shared, service) {
        Gate::Open => work(),
        Gate::Fail => server_error(),
        Gate::Hang { hang, lands } => {
            let answer = if lands { work() } else { server_error() };
            tokio::time::sleep(hang).await;
            answer
        }
    }
}

async fn hook(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let shared2 = shared.clone();
    guarded(&shared, Service::Webhook, move || {
        let (id, ts, sig) = (
            h("webhook-id"),
            h("webhook-timestamp"),
            h("webhook-signature"),
        );
        let mut ledger = shared2.ledger.lock().unwrap();
        if !super::sinks::webhook::verify(&shared2.webhook_key, &id, &ts, &body, &sig) {
            ledger.bad_signatures += 1;
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        ledger.hooks.push((id, event));
        StatusCode::NO_CONTENT.into_response()
    })
    .await
}

async fn token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let shared2 = shared.clone();
    guarded(&shared, Service::Google, move || {
        let grant = form.get("grant_type").map(String::as_str);
        let claims = form
            .get("assertion")
            .and_then(|a| a.split('.').nth(1))
            .and_then(|c| {
                use base64::Engine;
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
            });
        let claims: Value = claims
            .and_then(|c| serde_json::from_slice(&c).ok())
            .unwrap_or(Value::Null);
        let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
        if grant != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
            || claims["iss"].as_str().is_none()
            || !(1..=3600).contains(&lifetime)
        {
            let error =
                json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."});
            return (StatusCode::BAD_REQUEST, Json(error)).into_response();
        }
        shared2.ledger.lock().unwrap().tokens_issued += 1;
        Json(json!({"access_token": shared2.token, "expires_in": 3599, "token_type": "Bearer"}))
            .into_response()
    })
    .await
}

fn calendar_error(status: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({"error": {"errors": [{"domain": "global", "reason": reason, "message": message}],
        "code": status.as_u16(), "message": message}});
    (status, Json(body)).into_response()
}

async fn free_busy(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorised(&shared, &headers) {
        return unauthenticated();
    }
    let shared2 = shared.clone();
    guarded(&shared, Service::Calendar, move || {
        let asked: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (Some(min), Some(max)) = (asked["timeMin"].as_str(), asked["timeMax"].as_str()) else {
            return calendar_error(StatusCode::BAD_REQUEST, "required", "Missing timeMin or timeMax.");
        };
        let instant = |t: &str| t.parse::<jiff::Timestamp>().ok();
        let (Some(from), Some(to)) = (instant(min), instant(max)) else {
            return calendar_error(StatusCode::BAD_REQUEST, "invalid", "Bad Request");
        };
        let ledger = shared2.ledger.lock().unwrap();
        let mut calendars = serde_json::Map::new();
        for item in asked["items"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let Some(id) = item["id"].as_str() else { continue };
            if ledger.unreadable.iter().any(|c| c == id) {
                calendars.insert(id.into(), json!({"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}));
                continue;
            }
            let mut busy: Vec<(jiff::Timestamp, jiff::Timestamp)> = ledger
                .busy
                .get(id)
                .into_iter()
                .flatten()
                .filter_map(|(s, e)| Some((instant(s)?, instant(e)?)))
                .chain(ledger.events.iter().filter(|(c, _)| c == id).filter_map(|(_, e)| {
                    let at = |f: &str| {
                        let local = e[f]["dateTime"].as_str()?.parse::<jiff::civil::DateTime>().ok()?;
                        let zone = jiff::tz::TimeZone::get(e[f]["timeZone"].as_str()?).ok()?;
                        Some(local.to_zoned(zone).ok()?.timestamp())
                    };
                    Some((at("start")?, at("end")?))
                }))
                .filter(|(s, e)| *s < to && from < *e)
                .collect();
            // Google merges overlapping and touching stretches.
            busy.sort();
            let mut merged: Vec<(jiff::Timestamp, jiff::Timestamp)> = Vec::new();
            for (s, e) in busy {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            let busy: Vec<Value> = merged
                .iter()
                .map(|(s, e)| json!({"start": s.to_string(), "end": e.to_string()}))
                .collect();
            calendars.insert(id.into(), json!({"busy": busy}));
        }
        Json(json!({"kind": "calendar#freeBusy", "timeMin": from.to_string(), "timeMax": to.to_string(), "calendars": calendars}))
            .into_response()
    })
    .await
}

async fn insert_event(
    State(shared): State<Arc<Shared>>,
    Path(calendar): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorised(&shared, &headers) {
        return unauthenticated();
    }
    let shared2 = shared.clone();
    guarded(&shared, Service::Calendar, move || {
        let mut event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let mut ledger = shared2.ledger.lock().unwrap();
        if ledger.unreadable.contains(&calendar) {
            return calendar_error(StatusCode::NOT_FOUND, "notFound", "Not Found");
        }
        let (Some(start), Some(end)) = (
            event["start"]["dateTime"].as_str(),
            event["end"]["dateTime"].as_str(),
        ) else {
            return calendar_error(StatusCode::BAD_REQUEST, "required", "Missing end time.");
        };
        if end <= start {
            return calendar_error(
                StatusCode::BAD_REQUEST,
                "timeRangeEmpty",
                "The specified time range is empty.",
            );
        }
        let id = event["id"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("sb{}", ledger.events.len()));
        if ledger
            .events
            .iter()
            .any(|(c, e)| *c == calendar && e["id"] == id.as_str())
        {
            return calendar_error(
                StatusCode::CONFLICT,
                "duplicate",
                "The requested identifier already exists.",
            );
        }
        event["id"] = json!(id);
        event["status"] = json!("confirmed");
        event["kind"] = json!("calendar#event");
        ledger.events.push((calendar.clone(), event.clone()));
        Json(event).into_response()
    })
    .await
}

fn authorised(shared: &Shared, headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {}", shared.token))
}

fn unauthenticated() -> Response {
    let body = json!({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

async fn append(
    State(shared): State<Arc<Shared>>,
    Path((id, range)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorised(&shared, &headers) {
        return unauthenticated();
    }
    let shared2 = shared.clone();
    guarded(&shared, Service::Google, move || {
        let Some(range) = range.strip_suffix(":append") else { return StatusCode::NOT_FOUND.into_response() };
        let sent: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let Some(values) = sent["values"].as_array() else { return StatusCode::BAD_REQUEST.into_response() };
        let mut ledger = shared2.ledger.lock().unwrap();
        let sheet = range.split('!').next().unwrap_or("Sheet1");
        let first = ledger.rows.len() + 1;
        for row in values {
            ledger.rows.push(row.as_array().cloned().unwrap_or_default());
        }
        let last = ledger.rows.len();
        Json(json!({
            "spreadsheetId": id,
            "updates": {"spreadsheetId": id, "updatedRange": format!("{sheet}!A{first}:O{last}"), "updatedRows": values.len()},
        }))
        .into_response()
    })
    .await
}

async fn read_column(
    State(shared): State<Arc<Shared>>,
    Path((_, range)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&shared, &headers) {
        return unauthenticated();
    }
    let shared2 = shared.clone();
    guarded(&shared, Service::Google, move || {
        let ledger = shared2.ledger.lock().unwrap();
        let values: Vec<Value> = ledger
            .rows
            .iter()
            .map(|r| json!([r.first().cloned().unwrap_or(Value::Null)]))
            .collect();
        Json(json!({"range": range, "majorDimension": "ROWS", "values": values})).into_response()
    })
    .await
}

fn rate_headers(remaining: u64) -> [(&'static str, String); 3] {
    [
        ("X-HubSpot-RateLimit-Interval-Milliseconds", "10000".into()),
        ("X-HubSpot-RateLimit-Max", "100".into()),
        ("X-HubSpot-RateLimit-Remaining", remaining.to_string()),
    ]
}

async fn create(
    State(shared): State<Arc<Shared>>,
    Path(object): Path<String>,
    body: Bytes,
) -> Response {
    {
        let mut ledger = shared.ledger.lock().unwrap();
        if ledger.rate_limited > 0 {
            ledger.rate_limited -= 1;
            let body = json!({"status": "error", "message": "You have reached your ten_secondly_rolling limit.", "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"});
            let mut headers = rate_headers(0).to_vec();
            headers.push(("Retry-After", "1".into()));
            let mut r = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
            for (k, v) in headers {
                r.headers_mut().insert(k, v.parse().unwrap());
            }
            return r;
        }
    }
    let shared2 = shared.clone();
    guarded(&shared, Service::Hubspot, move || {
        let sent: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let Some(properties) = sent["properties"].as_object().cloned() else {
            let error = json!({"status": "error", "message": "Invalid input JSON", "category": "VALIDATION_ERROR"});
            return (StatusCode::BAD_REQUEST, Json(error)).into_response();
        };
        let associations = sent["associations"]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|a| (a["to"]["id"].as_str().unwrap_or("").to_string(), a["types"][0]["associationTypeId"].as_i64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        let mut ledger = shared2.ledger.lock().unwrap();
        let id = (52_000 + ledger.objects.len()).to_string();
        ledger.objects.push(CrmObject { object: object.clone(), id: id.clone(), properties: properties.clone(), associations });
        let remaining = 100u64.saturating_sub(ledger.objects.len() as u64 % 100);
        let mut r = (StatusCode::CREATED, Json(json!({"id": id, "properties": properties, "archived": false}))).into_response();
        for (k, v) in rate_headers(remaining) {
            r.headers_mut().insert(k, v.parse().unwrap());
        }
        r
    })
    .await
}

async fn search(
    State(shared): State<Arc<Shared>>,
    Path(object): Path<String>,
    body: Bytes,
) -> Response {
    let shared2 = shared.clone();
    guarded(&shared, Service::Hubspot, move || {
        let sent: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let groups = sent["filterGroups"].as_array().cloned().unwrap_or_default();
        let ledger = shared2.ledger.lock().unwrap();
        // Groups are ORed, filters in a group ANDed; only EQ is served.
        let matches = |o: &CrmObject| {
            groups.iter().any(|g| {
                g["filters"].as_array().is_some_and(|fs| {
                    fs.iter().all(|f| {
                        let name = f["propertyName"].as_str().unwrap_or("");
                        f["operator"] == "EQ" && o.properties.get(name).and_then(Value::as_str) == f["value"].as_str()
                    })
                })
            })
        };
        let found: Vec<Value> = ledger
            .objects
            .iter()
            .filter(|o| o.object == object && matches(o))
            .map(|o| json!({"id": o.id, "properties": o.properties, "archived": false}))
            .collect();
        let limit = sent["limit"].as_u64().unwrap_or(10) as usize;
        Json(json!({"total": found.len(), "results": found.into_iter().take(limit).collect::<Vec<_>>()})).into_response()
    })
    .await
}
