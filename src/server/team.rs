//! The team's side of an emergency: the signed accept-or-pass page that a
//! technician's text links to, the signed links to the caller's photos,
//! and the voice call that reads the job and takes 1 or 9. The job page
//! and the call act on the escalation chain in `dispatch`; the links
//! need no login because their signature is the credential.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use super::routes::{twiml, verified};
use super::{App, Error};
use crate::dispatch::escalation::{self, Outcome, Via};
use crate::dispatch::link;
use crate::twilio::{Gather, VoiceResponse};

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{}</title></head>\
         <body style=\"font-family:sans-serif;max-width:36em;margin:1em auto;padding:0 1em\">{body}</body></html>",
        escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    // The page carries a credential in its URL: keep it out of caches.
    response
        .headers_mut()
        .insert("cache-control", "no-store".parse().expect("static header"));
    response
}

/// The link's fields, checked: (contact, person).
fn checked(app: &App, q: &HashMap<String, String>) -> Result<(String, String), Response> {
    let field = |name: &str| q.get(name).map(String::as_str).unwrap_or("");
    let expires = field("e").parse::<i64>().unwrap_or(0);
    let key = link::key_from(app.auth_token.expose());
    match link::verify(
        &key,
        field("c"),
        field("p"),
        expires,
        field("s"),
        app.clock.millis(),
    ) {
        Ok(()) => Ok((field("c").to_string(), field("p").to_string())),
        Err(why) => {
            tracing::warn!(target: "security", why = %why, "team link refused");
            Err(page(StatusCode::FORBIDDEN, "Link not valid", "<p>This link is not valid or has expired. Reply YES or NO to the text instead.</p>"))
        }
    }
}

fn store_failed(e: &crate::store::Error) -> Response {
    tracing::error!(error = %e, "store failed on a team link");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Try again",
        "<p>Something went wrong on our side. Please try again, or reply to the text.</p>",
    )
}

/// GET: the job and two buttons. Reading the page changes nothing, so a
/// link preview cannot accept a job.
pub async fn job_page(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (contact, _) = match checked(&app, &q) {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    let (summary, holder, state) = match escalation::status(&app, &contact).await {
        Ok(Some(x)) => x,
        Ok(None) => {
            return page(
                StatusCode::NOT_FOUND,
                "No such job",
                "<p>There is no such job.</p>",
            )
        }
        Err(e) => return store_failed(&e),
    };
    let hidden: String = ["c", "p", "e", "s"]
        .iter()
        .map(|k| {
            format!(
                "<input type=\"hidden\" name=\"{k}\" value=\"{}\">",
                escape(q.get(*k).map_or("", String::as_str))
            )
        })
        .collect();
    let actions = match (holder, state.as_str()) {
        (Some(name), _) => format!("<p><strong>{} has this job.</strong></p>", escape(&name)),
        _ => format!(
            "<form method=\"post\" action=\"/team/job\">{hidden}\
             <button name=\"action\" value=\"accept\" style=\"font-size:1.4em;padding:.5em 1em\">Accept</button> \
             <button name=\"action\" value=\"pass\" style=\"font-size:1.4em;padding:.5em 1em\">Pass</button></form>"
        ),
    };
    page(
        StatusCode::OK,
        "Emergency job",
        &format!("<h1>Emergency job</h1><p>{}</p>{actions}", escape(&summary)),
    )
}

/// POST: accept or pass, then say what happened.
pub async fn job_act(State(app): State<App>, body: Bytes) -> Response {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let (contact, person) = match checked(&app, &form) {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    let accepting = match form.get("action").map(String::as_str) {
        Some("accept") => true,
        Some("pass") => false,
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                "Choose",
                "<p>Choose Accept or Pass.</p>",
            )
        }
    };
    match escalation::act(&app, &contact, &person, accepting, Via::Link).await {
        Ok(outcome) => page(
            StatusCode::OK,
            "Done",
            &format!("<p>{}</p>", escape(&outcome.says())),
        ),
        Err(e) => store_failed(&e),
    }
}

/// GET: a photo the caller sent, by its signed link (`p` is its number).
pub async fn media(State(app): State<App>, Query(q): Query<HashMap<String, String>>) -> Response {
    let field = |name: &str| q.get(name).map(String::as_str).unwrap_or("");
    let key = link::media_key_from(app.auth_token.expose());
    let expires = field("e").parse::<i64>().unwrap_or(0);
    let now = app.clock.millis();
    let (contact, n) = (field("c"), field("p"));
    if let Err(why) = link::verify(&key, contact, n, expires, field("s"), now) {
        tracing::warn!(target: "security", why = %why, "photo link refused");
        return page(
            StatusCode::FORBIDDEN,
            "Link not valid",
            "<p>This link is not valid or has expired.</p>",
        );
    }
    let Ok(n) = n.parse::<usize>() else {
        return page(
            StatusCode::NOT_FOUND,
            "No photo",
            "<p>There is no such photo.</p>",
        );
    };
    match crate::record::media::open(&app, contact, n).await {
        Ok(Some((content_type, bytes))) => super::photo_response(&content_type, bytes),
        Ok(None) => page(
            StatusCode::NOT_FOUND,
            "No photo yet",
            "<p>This photo is not here yet, or could not be fetched. Try again in a minute.</p>",
        ),
        Err(e) => store_failed(&e),
    }
}

fn ids(q: &HashMap<String, String>) -> Result<(String, String), Error> {
    let c = q
        .get("c")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::BadRequest("missing c".into()))?;
    let p = q
        .get("p")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::BadRequest("missing p".into()))?;
    Ok((c.clone(), p.clone()))
}

fn call_query(contact: &str, person: &str) -> String {
    serde_urlencoded::to_string([("c", contact), ("p", person)])
        .expect("string pairs always encode")
}

/// A machine or a fax answered: never an acceptance.
fn machine(answered_by: Option<&str>) -> bool {
    answered_by.is_some_and(|a| a.starts_with("machine") || a == "fax")
}

/// The call's TwiML: the summary and a one-key gather; a machine hears
/// nothing and the call ends.
pub async fn call(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, Error> {
    let p = verified(&app, &headers, &uri, &body)?;
    let (contact, person) = ids(&q)?;
    let mut r = VoiceResponse::new();
    if machine(p.get("AnsweredBy")) {
        r.hangup();
        return Ok(twiml(r.to_string()));
    }
    match escalation::status(&app, &contact).await? {
        Some((_, Some(name), _)) => {
            r.say(format!("Thanks. {name} already has this job. Goodbye."))
                .hangup();
        }
        Some((summary, None, _)) => {
            let spoken = summary
                .trim_end_matches(" Reply YES to take it or NO to pass.")
                .to_string();
            let mut g = Gather::new(format!("/team/call/key?{}", call_query(&contact, &person)));
            g.input = "dtmf".into();
            g.num_digits = Some(1);
            g.timeout = Some(8);
            g.prompt = vec![spoken, "Press 1 to take this job. Press 9 to pass.".into()];
            r.gather(g);
            r.say("No key was pressed. We will try the next person. Goodbye.")
                .hangup();
        }
        None => {
            r.say("This job is no longer open. Goodbye.").hangup();
        }
    }
    Ok(twiml(r.to_string()))
}

/// The owner's call on the human lane: the summary read out (the same
/// words as a warm transfer's whisper), then the call ends; the text
/// they also got has the details. A machine that answers hears nothing.
pub async fn owner_call(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, Error> {
    let p = verified(&app, &headers, &uri, &body)?;
    let (contact, _) = ids(&q)?;
    let mut r = VoiceResponse::new();
    if machine(p.get("AnsweredBy")) {
        r.hangup();
        return Ok(twiml(r.to_string()));
    }
    let mut tx = app.store.begin().await?;
    let (c, business) = super::transfer::stored(&app, &mut tx, &contact).await?;
    drop(tx);
    let (a, d) = crate::triage::run(&c.case(), business);
    r.say(crate::dispatch::transfer::whisper(business, &c, &a, &d))
        .say("The details are in your texts. Goodbye.")
        .hangup();
    Ok(twiml(r.to_string()))
}

/// The key pressed on the call: 1 accepts, 9 passes.
pub async fn call_key(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, Error> {
    let p = verified(&app, &headers, &uri, &body)?;
    let (contact, person) = ids(&q)?;
    let mut r = VoiceResponse::new();
    let accepting = match p.get("Digits") {
        Some("1") => true,
        Some("9") => false,
        _ => {
            r.say("Sorry, press 1 to take this job or 9 to pass.");
            r.redirect(format!("/team/call?{}", call_query(&contact, &person)));
            return Ok(twiml(r.to_string()));
        }
    };
    let outcome = escalation::act(&app, &contact, &person, accepting, Via::Keypress).await?;
    let said = match outcome {
        Outcome::Accepted => format!("The job is yours. The caller has been told you will call within {} minutes. Their details are in your texts.", escalation::CALLBACK_MINUTES),
        other => other.says(),
    };
    r.say(said).hangup();
    Ok(twiml(r.to_string()))
}

/// The call's final status: an unanswered call, or one a machine took,
/// is a handoff step the receipt shows.
pub async fn call_status(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, Error> {
    let p = verified(&app, &headers, &uri, &body)?;
    let (contact, person) = ids(&q)?;
    let status = p.get("CallStatus").unwrap_or("");
    let unanswered = matches!(status, "no-answer" | "busy" | "failed" | "canceled");
    if unanswered || machine(p.get("AnsweredBy")) {
        let note = if unanswered {
            format!("call {status}")
        } else {
            "a machine answered the call".to_string()
        };
        escalation::no_answer(&app, &contact, &person, p.need("CallSid")?, &note).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
