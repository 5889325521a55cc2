//! The other doors in (issue 7): a voicemail with and without its
//! transcription, the web form under hostile input and a flood, and
//! photos texted during and after a contact. Each becomes a contact with
//! the same receipt, over real HTTP with the stand-ins.

use std::net::IpAddr;

use nightdesk::intake::Channel;
use nightdesk::standin::{Prompt, Reply};
use serde_json::{json, Value};

use super::helpers::{corpus, count, Server};

const BIRCHLINE: &str = "+16125550100";
const OWNER: &str = "+16125550101";

async fn receipt_of(s: &Server, contact: &str) -> Value {
    let body = s
        .store()
        .receipt(contact)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{contact} has no receipt"));
    serde_json::from_str(&body).unwrap()
}

/// Waits until the contact's texts and calls have gone out.
async fn settle(s: &Server, contact: &str) {
    for _ in 0..200 {
        if s.store()
            .pending_jobs(contact, s.harness.app.clock.millis())
            .await
            .unwrap()
            == 0
        {
            s.harness.standin.settle().await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{contact}: jobs still pending");
}

/// A caller who says nothing to any question and leaves `voicemail` at
/// the beep; `""` makes the transcription fail.
async fn leave_voicemail(s: &Server, from: &str, voicemail: &str) -> String {
    let mut reply = |p: &Prompt| {
        if p.input == "record" {
            Reply::Speech {
                text: voicemail.to_string(),
                confidence: 0.9,
            }
        } else {
            Reply::Silence
        }
    };
    let t = s
        .harness
        .caller
        .call(from, BIRCHLINE, &mut reply)
        .await
        .expect("the call runs");
    s.store()
        .contact_of_call(&t.call_sid)
        .await
        .unwrap()
        .expect("the call is a contact")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voicemail_without_transcription_goes_to_the_owner_with_its_recording() {
    let s = Server::start().await;
    let contact = leave_voicemail(&s, "+16125550181", "").await;
    settle(&s, &contact).await;

    let r = receipt_of(&s, &contact).await;
    assert_eq!(r["lane"], "human", "{r:#}");
    let recording = r["issue"]["recording"]
        .as_str()
        .expect("the receipt keeps the recording");
    assert!(recording.contains("/Recordings/RE"), "{recording}");
    let to_owner: Vec<_> = s
        .harness
        .standin
        .messages()
        .into_iter()
        .filter(|m| m.to == OWNER)
        .collect();
    assert!(!to_owner.is_empty(), "the owner was not told");
    assert!(
        to_owner.iter().any(|m| m.body.contains(recording)),
        "the owner's text lacks the recording: {to_owner:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_voicemail_alerts_the_technician_with_the_recording() {
    let s = Server::start().await;
    // The corpus's emergency voicemails, by their labels.
    let cases: Vec<_> = corpus()
        .into_iter()
        .filter(|e| {
            e.channel == Channel::Voicemail
                && e.expect
                    .as_ref()
                    .is_some_and(|x| x.lane.as_deref() == Some("emergency"))
        })
        .collect();
    assert!(!cases.is_empty());
    for entry in &cases {
        let out = s.harness.play(entry).await.unwrap().expect("replayed");
        assert_eq!(out.lane.as_deref(), Some("emergency"), "{}", entry.id);
        let tech = out.alert_to.clone().expect("a first alert");
        let contact = s
            .store()
            .latest_contact_of(&entry.from)
            .await
            .unwrap()
            .unwrap();
        settle(&s, &contact).await;
        let r = receipt_of(&s, &contact).await;
        let recording = r["issue"]["recording"]
            .as_str()
            .expect("the recording")
            .to_string();
        let alert = s
            .harness
            .standin
            .messages()
            .into_iter()
            .find(|m| m.to == tech && m.body.starts_with("EMERGENCY"));
        let alert = alert.unwrap_or_else(|| panic!("{}: no alert to {tech}", entry.id));
        assert!(
            alert.body.contains(&recording),
            "{}: the alert lacks the recording: {}",
            entry.id,
            alert.body
        );
    }
}

/// Posts a form to Birchline's endpoint from `from` (a loopback address).
async fn post_form(s: &Server, from: IpAddr, form: &Value) -> (u16, Value) {
    let id = s.harness.app.config.business(BIRCHLINE).unwrap().id.clone();
    let client = reqwest::Client::builder()
        .local_address(from)
        .build()
        .unwrap();
    let response = client
        .post(s.url(&format!("/forms/{id}")))
        .header("Origin", "https://birchline.example")
        .json(form)
        .send()
        .await
        .expect("the form endpoint answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

const SCRIPT: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_with_script_in_every_field_is_refused_or_kept_as_text() {
    let s = Server::start().await;
    let at: IpAddr = "127.0.0.5".parse().unwrap();

    // Script everywhere, the phone too: field errors, nothing stored.
    let every = json!({"name": SCRIPT, "phone": SCRIPT, "email": SCRIPT, "address": SCRIPT, "zip": SCRIPT, "message": SCRIPT});
    let (status, body) = post_form(&s, at, &every).await;
    assert_eq!(status, 422, "{body}");
    for field in ["phone", "zip", "email"] {
        assert!(
            body["errors"][field].is_string(),
            "{field} not named: {body}"
        );
    }
    assert_eq!(count(s.store(), "contacts").await, 0);

    // Script in every free-text field around a number that parses: kept,
    // word for word, as text.
    let form = json!({"name": SCRIPT, "phone": "(612) 555-0183", "email": "", "address": format!("{SCRIPT} 55407"), "zip": "", "message": format!("water everywhere {SCRIPT}")});
    let (status, body) = post_form(&s, at, &form).await;
    assert_eq!(status, 201, "{body}");
    let contact = body["id"].as_str().unwrap().to_string();
    settle(&s, &contact).await;
    let r = receipt_of(&s, &contact).await;
    let words: Vec<String> = r["issue"]["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w[1].as_str().unwrap().to_string())
        .collect();
    assert!(
        words.iter().any(|w| w.contains(SCRIPT)),
        "the words were altered: {words:?}"
    );
    assert_eq!(r["channel"], "web_form");
    let confirm = s
        .harness
        .standin
        .messages()
        .into_iter()
        .find(|m| m.to == "+16125550183")
        .expect("a confirmation text");
    assert!(!confirm.body.contains("<script>"), "{}", confirm.body);

    // The browser's form post gets an HTML answer that echoes nothing.
    let id = s.harness.app.config.business(BIRCHLINE).unwrap().id.clone();
    let client = reqwest::Client::builder()
        .local_address(at)
        .build()
        .unwrap();
    let html = client
        .post(s.url(&format!("/forms/{id}")))
        .form(&[
            ("name", SCRIPT),
            ("phone", "612 555 0184"),
            ("message", SCRIPT),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_flood_from_one_address_is_limited_and_others_still_get_in() {
    let s = Server::start().await;
    let flood: IpAddr = "127.0.0.6".parse().unwrap();
    let neighbour: IpAddr = "127.0.0.7".parse().unwrap();
    let mut statuses = Vec::new();
    for i in 0..12 {
        let form = json!({"name": "bot", "phone": format!("612555{:04}", 100 + i), "message": format!("need a quote {i}")});
        statuses.push(post_form(&s, flood, &form).await.0);
    }
    let stored = statuses.iter().filter(|s| **s == 201).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((stored, limited), (5, 7), "{statuses:?}");

    let real = json!({"name": "Ana", "phone": "612-555-0199", "message": "the furnace quit and it's ten below"});
    let (status, body) = post_form(&s, neighbour, &real).await;
    assert_eq!(
        status, 201,
        "another address is not held up by the flood: {body}"
    );
    assert_eq!(count(s.store(), "contacts").await, 6);

    // The honeypot: answered as if received, stored nowhere.
    let bot =
        json!({"phone": "6125550198", "message": "cheap seo", "website": "http://spam.example"});
    let (status, _) = post_form(&s, neighbour, &bot).await;
    assert_eq!(status, 202);
    assert_eq!(count(s.store(), "contacts").await, 6);
}

const PHOTO_A: &str = "https://api.twilio.com/2010-04-01/Accounts/ACx/Messages/MM1/Media/ME1";
const PHOTO_B: &str = "https://api.twilio.com/2010-04-01/Accounts/ACx/Messages/MM1/Media/ME2";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mms_with_two_photos_is_kept_with_the_receipt() {
    let s = Server::start().await;
    let h = &s.harness;

    // During a text conversation: the photos come with the first message.
    let from = "+16125550185";
    h.caller
        .text(
            from,
            BIRCHLINE,
            "water is pouring through the kitchen ceiling",
            vec![PHOTO_A.into(), PHOTO_B.into()],
        )
        .await
        .unwrap();
    let contact = s.store().latest_contact_of(from).await.unwrap().unwrap();
    let state = s.store().contact(&contact).await.unwrap().unwrap().state;
    let c: Value = serde_json::from_str(&state).unwrap();
    assert_eq!(c["photos"], json!([PHOTO_A, PHOTO_B]));

    // After a call that already closed: the photos join that contact and
    // the person it alerted gets the links.
    let entry = corpus()
        .into_iter()
        .find(|e| {
            e.channel == Channel::Voice
                && e.expect
                    .as_ref()
                    .is_some_and(|x| x.lane.as_deref() == Some("emergency"))
        })
        .unwrap();
    let out = h.play(&entry).await.unwrap().unwrap();
    let tech = out.alert_to.clone().unwrap();
    let contact = s
        .store()
        .latest_contact_of(&entry.from)
        .await
        .unwrap()
        .unwrap();
    settle(&s, &contact).await;
    let reply = h
        .caller
        .text(
            &entry.from,
            BIRCHLINE,
            "",
            vec![PHOTO_A.into(), PHOTO_B.into()],
        )
        .await
        .unwrap();
    assert!(reply.contains("photos"), "{reply}");
    assert_eq!(
        s.store()
            .latest_contact_of(&entry.from)
            .await
            .unwrap()
            .unwrap(),
        contact,
        "the photos made a new contact"
    );
    settle(&s, &contact).await;
    let r = receipt_of(&s, &contact).await;
    assert_eq!(r["issue"]["photos"], json!([PHOTO_A, PHOTO_B]), "{r:#}");
    // The links are nightdesk's own, signed (see `media`); these URLs
    // are not at the stand-in's API, so they are never fetched, and the
    // receipt says so.
    let told = h.standin.messages().into_iter().any(|m| {
        m.to == tech && m.body.contains("photo(s)") && m.body.matches("/team/media?").count() == 2
    });
    assert!(told, "the technician did not get the photo links");
    let notes: Vec<&str> = r["issue"]["media"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["note"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(notes.len(), 2, "{r:#}");
    assert!(notes.iter().all(|n| n.contains("twilio api")), "{notes:?}");
}

/// Twilio promises no order between a recording's status and its
/// transcription. A transcription that arrives first, carrying the
/// recording's URL, closes the contact in one write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transcription_before_the_recording_status_still_closes_the_contact() {
    use super::helpers::{parse_xml, post, shared, with_param};
    let s = Server::start().await;
    let from = "+16125550186";
    let call = with_param(
        &with_param(
            &shared("twilio/webhooks/voice-incoming-call.form"),
            "To",
            BIRCHLINE,
        ),
        "From",
        from,
    );
    let first = post(
        &s.url("/twilio/voice"),
        call.clone(),
        Some(&s.sign("/twilio/voice", &call)),
        &[],
    )
    .await;
    let root = parse_xml(&first.body).unwrap();
    let action = root
        .walk()
        .into_iter()
        .find(|n| n.name == "Gather")
        .and_then(|g| g.attr("action").map(str::to_string))
        .unwrap();
    let contact = url::Url::parse(&s.url(""))
        .unwrap()
        .join(&action)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "contact")
        .unwrap()
        .1
        .into_owned();

    // The call ends (its status comes first), then the transcription
    // arrives before any recording status.
    let sid = nightdesk::twilio::parse_form(call.as_bytes())
        .unwrap()
        .into_iter()
        .find(|(k, _)| k == "CallSid")
        .unwrap()
        .1;
    let mut ended = shared("twilio/webhooks/call-status-inbound-completed.form");
    for (name, value) in [
        ("To", BIRCHLINE),
        ("Called", BIRCHLINE),
        ("From", from),
        ("Caller", from),
        ("CallSid", sid.as_str()),
    ] {
        ended = with_param(&ended, name, value);
    }
    let status = post(
        &s.url("/twilio/voice/status"),
        ended.clone(),
        Some(&s.sign("/twilio/voice/status", &ended)),
        &[],
    )
    .await;
    assert!(status.status < 300, "{status:?}");
    let path = format!("/twilio/recording?contact={contact}&event=transcription");
    let mut body = shared("twilio/webhooks/transcription-completed.form");
    for (name, value) in [
        ("To", BIRCHLINE),
        ("Called", BIRCHLINE),
        ("From", from),
        ("Caller", from),
    ] {
        body = with_param(&body, name, value);
    }
    let body = with_param(&body, "CallSid", &sid);
    let answer = post(
        &s.url(&path),
        body.clone(),
        Some(&s.sign(&path, &body)),
        &[],
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    settle(&s, &contact).await;

    let r = receipt_of(&s, &contact).await;
    assert!(
        r["issue"]["recording"]
            .as_str()
            .is_some_and(|u| u.contains("/Recordings/RE")),
        "{r:#}"
    );
    assert_eq!(r["channel"], "voicemail");
    assert!(r["lane"].is_string(), "the voicemail was routed: {r:#}");
    assert_eq!(
        s.store().contact(&contact).await.unwrap().unwrap().status,
        "closed"
    );
}
