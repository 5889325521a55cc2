//! Twilio's webhooks over real HTTP, with Twilio's own request bodies
//! from `../shared/data/twilio/webhooks/`: a request is trusted only with
//! a good signature, a bad one changes nothing, a retried one gets the
//! stored answer, and every TwiML document the server writes parses as
//! XML using only documented verbs and attributes, whatever the caller
//! says.

use nightdesk::intake::corpus::Entry;
use nightdesk::standin::{Prompt, Reply};

use super::helpers::{corpus, count, parse_xml, post, shared, with_param, Server};

const BIRCHLINE: &str = "+16125550100";
const CALLER: &str = "+16125550177";

/// A fixture's body, addressed to `to` from `from`.
fn fixture(name: &str, to: &str, from: &str) -> String {
    let body = shared(&format!("twilio/webhooks/{name}"));
    let body = with_param(&body, "To", to);
    with_param(&body, "From", from)
}

/// Rows in the tables a webhook may write.
async fn footprint(s: &Server) -> [i64; 4] {
    let store = s.store();
    [
        count(store, "webhooks").await,
        count(store, "contacts").await,
        count(store, "events").await,
        count(store, "jobs").await,
    ]
}

#[tokio::test]
async fn a_missing_forged_or_altered_signature_is_refused_and_changes_nothing() {
    let s = Server::start().await;
    let body = fixture("voice-incoming-call.form", BIRCHLINE, CALLER);
    let url = s.url("/twilio/voice");
    let good = s.sign("/twilio/voice", &body);
    let before = footprint(&s).await;

    let unsigned = post(&url, body.clone(), None, &[]).await;
    assert_eq!(unsigned.status, 403, "{unsigned:?}");

    // Twilio's own fixture signature was made with another account's
    // token for another URL: it must not pass here.
    let theirs = post(
        &url,
        body.clone(),
        Some("zwUDXzJgYqTF0b33hzsws1jKi2Q="),
        &[],
    )
    .await;
    assert_eq!(theirs.status, 403);

    // One byte of the body changed after signing.
    let altered = body.replacen("CallStatus=ringing", "CallStatus=rinGing", 1);
    assert_ne!(altered, body);
    assert_eq!(post(&url, altered, Some(&good), &[]).await.status, 403);

    // Signed for another path.
    let elsewhere = post(&s.url("/twilio/sms"), body.clone(), Some(&good), &[]).await;
    assert_eq!(elsewhere.status, 403);

    assert_eq!(
        footprint(&s).await,
        before,
        "a refused webhook wrote something"
    );
    assert!(
        !unsigned.body.contains("CA82d00ab906"),
        "the refusal echoes the request"
    );

    let accepted = post(&url, body, Some(&good), &[]).await;
    assert_eq!(accepted.status, 200, "{accepted:?}");
    assert!(
        accepted.content_type.starts_with("text/xml"),
        "{accepted:?}"
    );
}

#[tokio::test]
async fn a_malformed_webhook_gets_400_and_changes_nothing() {
    let s = Server::start().await;
    let before = footprint(&s).await;

    // Signed, but not a call: no CallSid.
    let body = fixture("voice-incoming-call.form", BIRCHLINE, CALLER);
    let pairs: Vec<(String, String)> = nightdesk::twilio::parse_form(body.as_bytes()).unwrap();
    let without: Vec<_> = pairs.into_iter().filter(|(k, _)| k != "CallSid").collect();
    let body = serde_urlencoded::to_string(&without).unwrap();
    let answer = post(
        &s.url("/twilio/voice"),
        body.clone(),
        Some(&s.sign("/twilio/voice", &body)),
        &[],
    )
    .await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.body, "bad request", "no internals in the answer");

    // A turn for a contact the store never had.
    let turn = fixture("voice-gather-speech.form", BIRCHLINE, CALLER);
    let path = "/twilio/voice/turn?contact=c_nobody&step=1&slot=problem";
    let answer = post(&s.url(path), turn.clone(), Some(&s.sign(path, &turn)), &[]).await;
    assert_eq!(answer.status, 400, "{answer:?}");

    // Signed bytes that are not a form at all.
    let junk = "%%%\u{0}=";
    let sig = nightdesk::twilio::signature::compute(s.token(), &s.url("/twilio/sms"), &[]);
    let answer = post(&s.url("/twilio/sms"), junk, Some(&sig), &[]).await;
    assert!(answer.status == 400 || answer.status == 403, "{answer:?}");

    assert_eq!(footprint(&s).await, before);
}

#[tokio::test]
async fn an_unknown_called_number_gets_a_short_answer_and_nothing_is_stored() {
    let s = Server::start().await;
    // The fixtures call an Austin number that no bundled business owns.
    let body = shared("twilio/webhooks/voice-incoming-call.form");
    let answer = post(
        &s.url("/twilio/voice"),
        body.clone(),
        Some(&s.sign("/twilio/voice", &body)),
        &[],
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let root = parse_xml(&answer.body).unwrap();
    let verbs: Vec<&str> = root.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(verbs, ["Say", "Hangup"], "{}", answer.body);

    let sms = shared("twilio/webhooks/sms-incoming.form");
    let answer = post(
        &s.url("/twilio/sms"),
        sms.clone(),
        Some(&s.sign("/twilio/sms", &sms)),
        &[],
    )
    .await;
    assert_eq!(answer.status, 200);
    assert!(
        parse_xml(&answer.body).unwrap().children.is_empty(),
        "no reply to a stranger's text: {}",
        answer.body
    );
    assert_eq!(count(s.store(), "contacts").await, 0);
    assert_eq!(count(s.store(), "jobs").await, 0);
}

#[tokio::test]
async fn a_retried_webhook_gets_the_same_answer_and_counts_once() {
    let s = Server::start().await;
    let call = fixture("voice-incoming-call.form", BIRCHLINE, CALLER);
    let sig = s.sign("/twilio/voice", &call);
    let first = post(&s.url("/twilio/voice"), call.clone(), Some(&sig), &[]).await;
    let again = post(&s.url("/twilio/voice"), call.clone(), Some(&sig), &[]).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body, again.body, "a retry must get the stored answer");
    assert_eq!(count(s.store(), "contacts").await, 1);

    // The first question's action, answered twice, as Twilio retries on a
    // timeout (with its idempotency token).
    let root = parse_xml(&first.body).unwrap();
    let gather = root
        .walk()
        .into_iter()
        .find(|n| n.name == "Gather")
        .expect("the greeting asks")
        .clone();
    let action = gather.attr("action").expect("an action URL");
    let path = action
        .strip_prefix(&s.url(""))
        .unwrap_or(action)
        .to_string();
    let turn = with_param(
        &shared("twilio/webhooks/voice-gather-speech.form"),
        "To",
        BIRCHLINE,
    );
    let turn = with_param(&turn, "From", CALLER);
    let turn = with_param(
        &turn,
        "SpeechResult",
        "the furnace quit and it's fifteen below",
    );
    let sig = s.sign(&path, &turn);
    let token = [(
        "I-Twilio-Idempotency-Token",
        "d5f4a1e0-7c1b-4c2e-9f0a-3b6e2d9c8a71",
    )];
    let a = post(&s.url(&path), turn.clone(), Some(&sig), &token).await;
    let events = count(s.store(), "events").await;
    let b = post(&s.url(&path), turn.clone(), Some(&sig), &token).await;
    assert_eq!((a.status, b.status), (200, 200), "{a:?}");
    assert_eq!(a.body, b.body);
    assert_eq!(
        count(s.store(), "events").await,
        events,
        "the retried turn advanced the dialog again"
    );

    // A text retried with the same MessageSid: one contact, one reply.
    let text = fixture("sms-incoming.form", BIRCHLINE, "+16125550178");
    let sig = s.sign("/twilio/sms", &text);
    let x = post(&s.url("/twilio/sms"), text.clone(), Some(&sig), &[]).await;
    let y = post(&s.url("/twilio/sms"), text.clone(), Some(&sig), &[]).await;
    assert_eq!(x.status, 200, "{x:?}");
    assert_eq!(x.body, y.body);
    assert_eq!(count(s.store(), "contacts").await, 2);
}

/// TwiML verbs and the attributes Twilio documents for each, as far as a
/// dialog uses them (https://www.twilio.com/docs/voice/twiml and
/// /docs/messaging/twiml).
const DOCUMENTED: &[(&str, &[&str])] = &[
    ("Response", &[]),
    ("Say", &["voice", "language", "loop"]),
    ("Play", &["loop", "digits"]),
    ("Pause", &["length"]),
    ("Hangup", &[]),
    ("Redirect", &["method"]),
    (
        "Gather",
        &[
            "action",
            "method",
            "input",
            "timeout",
            "speechTimeout",
            "numDigits",
            "finishOnKey",
            "language",
            "hints",
            "profanityFilter",
            "actionOnEmptyResult",
            "speechModel",
            "enhanced",
            "partialResultCallback",
            "partialResultCallbackMethod",
            "bargeIn",
            "debug",
            "actionOnEmptyResult",
        ],
    ),
    (
        "Record",
        &[
            "action",
            "method",
            "timeout",
            "finishOnKey",
            "maxLength",
            "playBeep",
            "trim",
            "transcribe",
            "transcribeCallback",
            "recordingStatusCallback",
            "recordingStatusCallbackMethod",
            "recordingStatusCallbackEvent",
            "recordingChannels",
        ],
    ),
    (
        "Dial",
        &[
            "action",
            "method",
            "timeout",
            "callerId",
            "record",
            "hangupOnStar",
            "timeLimit",
            "answerOnBridge",
            "ringTone",
            "recordingStatusCallback",
            "recordingStatusCallbackMethod",
            "trim",
        ],
    ),
    (
        "Number",
        &[
            "url",
            "method",
            "sendDigits",
            "statusCallback",
            "statusCallbackEvent",
            "statusCallbackMethod",
        ],
    ),
    (
        "Message",
        &["to", "from", "action", "method", "statusCallback"],
    ),
    ("Body", &[]),
    ("Media", &[]),
];

fn undocumented(xml: &str) -> Vec<String> {
    let root = match parse_xml(xml) {
        Ok(root) => root,
        Err(e) => return vec![format!("not XML ({e}): {xml}")],
    };
    let mut wrong = Vec::new();
    if root.name != "Response" {
        wrong.push(format!("root <{}>", root.name));
    }
    for node in root.walk() {
        match DOCUMENTED.iter().find(|(verb, _)| *verb == node.name) {
            None => wrong.push(format!("<{}> is not a TwiML verb", node.name)),
            Some((verb, attrs)) => {
                for (name, _) in &node.attrs {
                    if !attrs.contains(&name.as_str()) {
                        wrong.push(format!("<{verb} {name}> is not documented"));
                    }
                }
            }
        }
    }
    wrong
}

/// The hostile words a caller might say, or a recogniser might hear.
const HOSTILE: &str = "<Say>hi</Say> & \"quoted\" 'single' ]]> <!-- --> &amp; =HYPERLINK(\"x\")";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_document_is_documented_twiml_and_caller_words_stay_text() {
    let s = Server::start().await;
    let h = &s.harness;
    let mut voice: Vec<Entry> = corpus()
        .into_iter()
        .filter(|e| e.channel == nightdesk::intake::Channel::Voice)
        .take(12)
        .collect();
    // msp-014 (a caller who wants the owner) at 10:20, open hours, when
    // the human lane puts the caller through: its <Dial> is checked too.
    for e in &mut voice {
        if e.id == "msp-014" {
            e.at = "2026-02-10T10:20:00-06:00".into();
        }
    }
    let mut wrong = Vec::new();
    let mut whispers = 0;
    for (i, entry) in voice.iter().enumerate() {
        // Every other call says something hostile at every question.
        let hostile = i % 2 == 1;
        let mut reply = |p: &Prompt| match p.slot.as_deref() {
            Some(_) if hostile => Reply::Speech {
                text: format!(
                    "{} {HOSTILE}",
                    super::helpers::answer(entry, p.slot.as_deref().unwrap())
                ),
                confidence: 0.9,
            },
            Some(slot) => Reply::Speech {
                text: super::helpers::answer(entry, slot),
                confidence: 0.9,
            },
            None => Reply::HangUp,
        };
        h.set_scene(entry).unwrap();
        let t = h
            .caller
            .call(&entry.from, &entry.business, &mut reply)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", entry.id));
        assert!(!t.twiml.is_empty());
        whispers += t.whispered.len();
        for doc in &t.twiml {
            wrong.extend(
                undocumented(doc)
                    .into_iter()
                    .map(|w| format!("{}: {w}", entry.id)),
            );
            // Whatever the caller said is escaped: no element beyond the
            // documented ones, and the raw text never appears unescaped.
            assert!(
                !doc.contains("<Say>hi</Say>"),
                "{}: caller words parsed as TwiML: {doc}",
                entry.id
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // msp-014, hostile words and all, is put through to the owner: the
    // `<Dial>` and the whisper document were checked too.
    assert!(whispers > 0, "no call was transferred");
}

#[tokio::test]
async fn speech_below_the_confidence_floor_is_asked_again() {
    let s = Server::start().await;
    let call = fixture("voice-incoming-call.form", BIRCHLINE, CALLER);
    let first = post(
        &s.url("/twilio/voice"),
        call.clone(),
        Some(&s.sign("/twilio/voice", &call)),
        &[],
    )
    .await;
    let root = parse_xml(&first.body).unwrap();
    let gather = root
        .walk()
        .into_iter()
        .find(|n| n.name == "Gather")
        .unwrap()
        .clone();
    assert!(
        gather.attr("input").unwrap().contains("speech"),
        "{}",
        first.body
    );
    assert_eq!(gather.attr("actionOnEmptyResult"), Some("true"));
    assert_eq!(gather.attr("profanityFilter"), Some("false"));
    let action = gather.attr("action").unwrap();
    let path = action
        .strip_prefix(&s.url(""))
        .unwrap_or(action)
        .to_string();

    let turn = with_param(
        &shared("twilio/webhooks/voice-gather-speech.form"),
        "To",
        BIRCHLINE,
    );
    let turn = with_param(&turn, "Confidence", "0.12");
    let again = post(
        &s.url(&path),
        turn.clone(),
        Some(&s.sign(&path, &turn)),
        &[],
    )
    .await;
    assert_eq!(again.status, 200, "{again:?}");
    let next = parse_xml(&again.body).unwrap();
    let next_gather = next
        .walk()
        .into_iter()
        .find(|n| n.name == "Gather")
        .expect("asked again")
        .clone();
    let slot = |a: &str| {
        url::Url::parse(a).ok().and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "slot")
                .map(|(_, v)| v.into_owned())
        })
    };
    assert_eq!(
        slot(next_gather.attr("action").unwrap()),
        slot(action),
        "a mumble is the same question again"
    );
}
