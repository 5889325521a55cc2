//! The human lane's warm transfer through the Twilio stand-in: a caller
//! still on the line is put through to the owner, who hears a whisper of
//! the summary first; an owner who does not pick up is reported to the
//! caller honestly; the owner's text goes out either way; the whisper and
//! dial webhooks refuse forged signatures and count a retry once.

use nightdesk::intake::corpus::Entry;
use nightdesk::standin::{CallTranscript, Caller, Pickup, Prompt, Reply};
use serde_json::Value;
use sqlx::Row;

use super::helpers::{self, count, parse_xml, post, shared, with_param, Server};

const BIRCHLINE: &str = "+16125550100";
const KAREN: &str = "+16125550101";

/// msp-014: a caller who wants Karen about last week's visit, the
/// `angry` row, the human lane; moved from 19:20 to 10:20 that Tuesday,
/// open hours, when the owner's phone rings for it (after hours it gets a
/// text and a call in the morning).
fn wants_the_owner() -> Entry {
    let mut e = helpers::corpus()
        .into_iter()
        .find(|e| e.id == "msp-014")
        .expect("msp-014 is in the corpus");
    e.at = "2026-02-10T10:20:00-06:00".into();
    e
}

/// Calls as the case's caller, answering each question from the case.
async fn call(s: &Server, caller: &Caller, entry: &Entry) -> (CallTranscript, String) {
    s.harness.set_scene(entry).unwrap();
    let mut reply = |p: &Prompt| match p.slot.as_deref() {
        Some(slot) => Reply::Speech {
            text: helpers::answer(entry, slot),
            confidence: 0.92,
        },
        None => Reply::HangUp,
    };
    let t = caller
        .call(&entry.from, &entry.business, &mut reply)
        .await
        .expect("the call runs");
    let contact = s
        .store()
        .contact_of_call(&t.call_sid)
        .await
        .unwrap()
        .expect("the call is a contact");
    settle(s, &contact).await;
    (t, contact)
}

/// Waits until the contact's texts, their status callbacks and the sink
/// writes of every receipt version have all gone through.
async fn settle(s: &Server, contact: &str) {
    for _ in 0..400 {
        s.harness.standin.settle().await;
        nightdesk::record::outbox::settle(&s.harness.app).await;
        let unfinished = sqlx::query(
            "SELECT COUNT(*) FROM jobs WHERE contact_id = $1 AND state IN ('queued', 'running')",
        )
        .bind(contact)
        .fetch_one(s.store().pool())
        .await
        .unwrap()
        .get::<i64, _>(0);
        if unfinished == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{contact}: jobs still pending");
}

async fn receipt_of(s: &Server, contact: &str) -> Value {
    let body = s
        .store()
        .receipt(contact)
        .await
        .unwrap()
        .expect("a receipt");
    serde_json::from_str(&body).unwrap()
}

/// The receipt's handoff steps as "step who (note)".
fn steps(receipt: &Value) -> Vec<String> {
    receipt["handoff"]
        .as_array()
        .expect("handoff steps")
        .iter()
        .map(|h| {
            format!(
                "{} {} ({})",
                h["step"].as_str().unwrap_or(""),
                h["who"].as_str().unwrap_or(""),
                h["note"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn texts_to(s: &Server, phone: &str) -> Vec<String> {
    s.harness
        .standin
        .messages()
        .into_iter()
        .filter(|m| m.to == phone)
        .map(|m| m.body)
        .collect()
}

/// The document that closed the dialog: the one holding the `<Dial>`.
fn dial_document(t: &CallTranscript) -> helpers::Node {
    t.twiml
        .iter()
        .map(|doc| parse_xml(doc).unwrap())
        .find(|root| root.children.iter().any(|c| c.name == "Dial"))
        .unwrap_or_else(|| panic!("no <Dial> in {:#?}", t.twiml))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_answers_hears_the_summary_and_takes_the_caller() {
    let s = Server::start().await;
    let entry = wants_the_owner();
    let (t, contact) = call(&s, &s.harness.caller, &entry).await;

    // The close says what is happening, then dials Karen from the
    // business's own number, with the whisper on her leg.
    let close = dial_document(&t);
    let verbs: Vec<&str> = close.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(verbs, ["Say", "Dial"], "{close:#?}");
    assert!(
        close.children[0]
            .text
            .contains("connecting you to Karen Birch now"),
        "{}",
        close.children[0].text
    );
    let dial = &close.children[1];
    let query = format!("contact={contact}");
    assert_eq!(
        dial.attr("action"),
        Some(format!("/twilio/voice/dial?{query}").as_str())
    );
    assert_eq!(dial.attr("timeout"), Some("20"));
    assert_eq!(dial.attr("callerId"), Some(BIRCHLINE));
    let number = &dial.children[0];
    assert_eq!(
        (number.name.as_str(), number.text.as_str()),
        ("Number", KAREN)
    );
    assert_eq!(
        number.attr("url"),
        Some(format!("/twilio/voice/whisper?{query}").as_str())
    );
    assert_eq!(t.dialed, [KAREN]);

    // Karen heard who, why, the callback number digit by digit and the
    // caller's words; the caller heard nothing more, and the call ended.
    assert_eq!(t.whispered.len(), 1, "{:?}", t.whispered);
    let whisper = &t.whispered[0];
    assert!(
        whisper.starts_with("Birchline Home Services after-hours line"),
        "{whisper}"
    );
    assert!(
        whisper.contains("An angry caller goes to the owner"),
        "{whisper}"
    );
    assert!(
        whisper.contains("callback number 6 1 2, 5 5 5, 0 1 4 5"),
        "{whisper}"
    );
    assert!(whisper.contains(&entry.opening[..40]), "{whisper}");
    assert_eq!(t.heard.last(), Some(&close.children[0].text));
    let last = parse_xml(t.twiml.last().unwrap()).unwrap();
    let last: Vec<&str> = last.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(last, ["Hangup"]);
    assert!(!t.hung_up_by_caller);

    // The owner still got the text, and the receipt shows she took it.
    let texts = texts_to(&s, KAREN);
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].starts_with("CALL THE CALLER"), "{}", texts[0]);
    let r = receipt_of(&s, &contact).await;
    assert_eq!(r["lane"], "human");
    let steps = steps(&r);
    let names: Vec<&str> = steps.iter().map(|s| s.split(' ').next().unwrap()).collect();
    for step in [
        "transfer_dialed",
        "alerted",
        "transfer_answered",
        "transfer_completed",
    ] {
        assert!(names.contains(&step), "{step} missing from {steps:#?}");
    }
    let completed = steps
        .iter()
        .find(|s| s.starts_with("transfer_completed"))
        .unwrap();
    assert_eq!(
        completed,
        "transfer_completed Karen Birch (on the line with the caller for 60 s)"
    );
    let answered = names.iter().position(|n| *n == "transfer_answered");
    let ended = names.iter().position(|n| *n == "transfer_completed");
    assert!(answered < ended, "{steps:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_who_does_not_answer_is_reported_honestly_and_still_texted() {
    let s = Server::start().await;
    let entry = wants_the_owner();
    for (pickup, note) in [
        (Pickup::NoAnswer, "no answer in 20 s"),
        (Pickup::Busy, "the line was busy"),
    ] {
        let caller = s.harness.caller.clone().with_pickup(pickup);
        let before = texts_to(&s, KAREN).len();
        let (t, contact) = call(&s, &caller, &entry).await;

        assert_eq!(t.dialed, [KAREN]);
        assert!(t.whispered.is_empty(), "{:?}", t.whispered);
        let told = t.heard.last().unwrap();
        assert_eq!(
            told,
            "I couldn't reach Karen Birch right now. They have your details and will \
             call you back at the number ending in 0145. Goodbye."
        );
        let last = parse_xml(t.twiml.last().unwrap()).unwrap();
        let last: Vec<&str> = last.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(last, ["Say", "Hangup"]);

        assert_eq!(texts_to(&s, KAREN).len(), before + 1, "the owner's text");
        let steps = steps(&receipt_of(&s, &contact).await);
        assert!(
            steps.contains(&format!("transfer_missed Karen Birch ({note})")),
            "{steps:#?}"
        );
        assert!(
            !steps.iter().any(|s| s.starts_with("transfer_answered")),
            "{steps:#?}"
        );
    }
}

/// Rows in the tables a transfer webhook may write.
async fn footprint(s: &Server) -> [i64; 5] {
    let store = s.store();
    [
        count(store, "webhooks").await,
        count(store, "events").await,
        count(store, "jobs").await,
        count(store, "receipts").await,
        count(store, "contacts").await,
    ]
}

/// Twilio's dial-action fixture, for this call and business.
fn dial_action(call_sid: &str, from: &str) -> String {
    let body = shared("twilio/webhooks/voice-dial-action-no-answer.form");
    let body = with_param(&body, "To", BIRCHLINE);
    let body = with_param(&body, "Called", BIRCHLINE);
    let body = with_param(&body, "From", from);
    with_param(&body, "CallSid", call_sid)
}

/// The whisper request of a child leg, as the stand-in posts it.
fn whisper_request(call_sid: &str) -> String {
    serde_urlencoded::to_string([
        ("AccountSid", "ACa7ce61968506bb7e386007266901f2e5"),
        ("CallSid", "CA00000000000000000000000000000001"),
        ("CallStatus", "in-progress"),
        ("Direction", "outbound-dial"),
        ("From", BIRCHLINE),
        ("ParentCallSid", call_sid),
        ("To", KAREN),
    ])
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_whisper_and_dial_webhooks_are_refused_and_change_nothing() {
    let s = Server::start().await;
    let entry = wants_the_owner();
    let (t, contact) = call(&s, &s.harness.caller, &entry).await;
    let before = footprint(&s).await;

    let whisper = format!("/twilio/voice/whisper?contact={contact}");
    let dial = format!("/twilio/voice/dial?contact={contact}");
    for (path, body) in [
        (whisper.as_str(), whisper_request(&t.call_sid)),
        (dial.as_str(), dial_action(&t.call_sid, &entry.from)),
    ] {
        let url = s.url(path);
        let unsigned = post(&url, body.clone(), None, &[]).await;
        assert_eq!(unsigned.status, 403, "{path}: {unsigned:?}");
        let forged = post(
            &url,
            body.clone(),
            Some("zwUDXzJgYqTF0b33hzsws1jKi2Q="),
            &[],
        )
        .await;
        assert_eq!(forged.status, 403, "{path}");
        // Signed for another contact's URL.
        let elsewhere = s.sign(&path.replace(&contact, "c_other"), &body);
        assert_eq!(
            post(&url, body.clone(), Some(&elsewhere), &[]).await.status,
            403
        );
        // A good signature over other bytes.
        let good = s.sign(path, &body);
        let altered = body.replacen("CallStatus=in-progress", "CallStatus=completed", 1);
        assert_ne!(altered, body);
        assert_eq!(post(&url, altered, Some(&good), &[]).await.status, 403);
    }
    assert_eq!(
        footprint(&s).await,
        before,
        "a refused webhook wrote something"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_whisper_or_dial_callback_counts_once() {
    let s = Server::start().await;
    let entry = wants_the_owner();
    let caller = s.harness.caller.clone().with_pickup(Pickup::NoAnswer);
    let (t, contact) = call(&s, &caller, &entry).await;

    for (path, body, step) in [
        (
            format!("/twilio/voice/whisper?contact={contact}"),
            whisper_request(&t.call_sid),
            "transfer_answered",
        ),
        (
            format!("/twilio/voice/dial?contact={contact}"),
            dial_action(&t.call_sid, &entry.from),
            "transfer_missed",
        ),
    ] {
        let url = s.url(&path);
        let signature = s.sign(&path, &body);
        let had = steps(&receipt_of(&s, &contact).await);
        let had = had.iter().filter(|s| s.starts_with(step)).count();

        let first = post(&url, body.clone(), Some(&signature), &[]).await;
        assert_eq!(first.status, 200, "{path}: {first:?}");
        assert!(first.content_type.starts_with("text/xml"), "{first:?}");
        settle(&s, &contact).await;
        let after_first = footprint(&s).await;

        // Twilio retries with a token of its own; the leg is the same.
        for token in ["retry-1", "retry-2"] {
            let header = [("I-Twilio-Idempotency-Token", token)];
            let again = post(&url, body.clone(), Some(&signature), &header).await;
            assert_eq!(again.status, 200, "{path}: {again:?}");
            assert_eq!(
                again.body, first.body,
                "{path}: a retry gets the first answer"
            );
        }
        settle(&s, &contact).await;
        assert_eq!(
            footprint(&s).await,
            after_first,
            "{path}: the retry wrote again"
        );
        let now = steps(&receipt_of(&s, &contact).await);
        let now = now.iter().filter(|s| s.starts_with(step)).count();
        assert_eq!(now, had + 1, "{path}: one step for two requests");
    }
}
