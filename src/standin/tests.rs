//! The stand-in proven against nightdesk's REST client and against a tiny
//! webhook router of its own; the real dialog is tested elsewhere.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

use super::*;
use crate::twilio::{self, parse_form, signature, Gather, MessagingResponse, Record, RestClient};

const ACCOUNT: &str = "ACa7ce61968506bb7e386007266901f2e5";
const TOKEN: &str = "aa46d9a6adc07f566f1b464cc1994a3f";
const BUSINESS: &str = "+15125550142";
const TECH: &str = "+15125550163";
const CALLER: &str = "+17375550117";

/// One webhook request the test router received.
#[derive(Clone, Debug)]
struct Hit {
    path_and_query: String,
    params: Vec<(String, String)>,
}

impl Hit {
    fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
struct Hooks {
    base: String,
    hits: Arc<Mutex<Vec<Hit>>>,
}

/// A stand-in for nightdesk: checks every signature, records every
/// request, and answers with a fixed little dialog.
async fn start_hooks() -> Hooks {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hooks = Hooks {
        base: format!("http://{}", listener.local_addr().unwrap()),
        hits: Arc::default(),
    };
    let router = Router::new()
        .route("/twilio/voice", post(hook))
        .route("/twilio/voice/{step}", post(hook))
        .route("/twilio/sms", post(hook))
        .route("/twilio/sms/status", post(hook))
        .with_state(hooks.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    hooks
}

impl Hooks {
    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        self.hits().into_iter().map(|h| h.path_and_query).collect()
    }
}

async fn hook(
    State(hooks): State<Hooks>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let url = format!("{}{uri}", hooks.base);
    let params = parse_form(&body).unwrap();
    let signature = headers["x-twilio-signature"].to_str().unwrap();
    if !signature::validate(TOKEN, &url, &params, signature) {
        return (StatusCode::FORBIDDEN, String::new());
    }
    let path_and_query = uri.to_string();
    hooks.hits.lock().unwrap().push(Hit {
        path_and_query: path_and_query.clone(),
        params,
    });
    (StatusCode::OK, dialog(&path_and_query))
}

fn gather(action: &str, question: &str) -> Gather {
    let mut gather = Gather::new(action);
    gather.action_on_empty_result = true;
    gather.prompt = vec![question.to_string()];
    gather
}

/// Two questions by slot, then goodbye; a few odd corners besides.
fn dialog(path_and_query: &str) -> String {
    let mut twiml = twilio::VoiceResponse::new();
    match path_and_query {
        "/twilio/voice" => {
            twiml.say("Acme Plumbing, after hours.").gather(gather(
                "/twilio/voice/gather?slot=problem",
                "What is going on?",
            ));
        }
        "/twilio/voice/gather?slot=problem" => {
            twiml.gather(gather("gather?slot=address", "What is the address?"));
        }
        "/twilio/voice/gather?slot=address" => {
            twiml
                .say("Thanks. A technician will call you back.")
                .hangup();
        }
        "/twilio/voice/loop" => {
            twiml.say("Still here.").redirect("/twilio/voice/loop");
        }
        "/twilio/voice/quiet" => {
            let mut silent = Gather::new("/twilio/voice/never?slot=problem");
            silent.prompt = vec!["Anything?".into()];
            twiml
                .gather(silent)
                .say("We did not hear you.")
                .record(Record {
                    action: "/twilio/voice/voicemail?slot=voicemail".into(),
                    transcribe: true,
                    transcribe_callback: Some("/twilio/voice/transcription".into()),
                    recording_status_callback: Some("/twilio/voice/recording".into()),
                    ..Record::default()
                });
        }
        "/twilio/voice/voicemail?slot=voicemail" => {
            twiml.say("Got your message.");
        }
        "/twilio/voice/transfer" => {
            twiml.say("Connecting you now.").dial(twilio::Dial {
                action: Some("dial-done?c=1".into()),
                timeout: Some(20),
                caller_id: Some(BUSINESS.into()),
                number: TECH.into(),
                whisper_url: Some("/twilio/voice/whisper?c=1".into()),
            });
        }
        "/twilio/voice/whisper?c=1" => {
            twiml.say("A caller <for> you.");
        }
        "/twilio/voice/dial-done?c=1" => {
            twiml.say("Goodbye.").hangup();
        }
        "/twilio/sms" => {
            let reply = MessagingResponse::new().message("Got it <3 & paged the tech");
            return reply.to_string();
        }
        _ => return String::new(),
    }
    twiml.to_string()
}

fn speak(text: &str) -> Reply {
    Reply::Speech {
        text: text.to_string(),
        confidence: 0.9,
    }
}

#[tokio::test]
async fn caller_answers_two_slots_then_nightdesk_hangs_up() {
    let hooks = start_hooks().await;
    let caller = Caller::new(&hooks.base, ACCOUNT, TOKEN);
    let mut prompts = Vec::new();
    let mut answer = |prompt: &Prompt| {
        prompts.push(prompt.clone());
        match prompt.slot.as_deref() {
            Some("problem") => speak("Water <everywhere> & \"fast\""),
            _ => Reply::Digits("1417".into()),
        }
    };

    let transcript = caller.call(CALLER, BUSINESS, &mut answer).await.unwrap();

    assert_eq!(transcript.call_sid.len(), 34);
    assert!(!transcript.hung_up_by_caller);
    assert_eq!(transcript.twiml.len(), 3);
    assert_eq!(
        transcript.heard,
        [
            "Acme Plumbing, after hours.",
            "What is going on?",
            "What is the address?",
            "Thanks. A technician will call you back."
        ]
    );
    assert_eq!(
        transcript.turns,
        [
            (
                Some("problem".into()),
                "Water <everywhere> & \"fast\"".into()
            ),
            (Some("address".into()), "1417".into())
        ]
    );
    assert_eq!(
        prompts[0].said_before,
        ["Acme Plumbing, after hours.", "What is going on?"]
    );
    assert_eq!(prompts[1].said_before, ["What is the address?"]);
    assert_eq!(
        prompts[1].action_url,
        format!("{}/twilio/voice/gather?slot=address", hooks.base)
    );
    assert_eq!(prompts[0].input, "speech dtmf");

    let hits = hooks.hits();
    let paths: Vec<_> = hits.iter().map(|h| h.path_and_query.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/twilio/voice",
            "/twilio/voice/gather?slot=problem",
            "/twilio/voice/gather?slot=address",
            "/twilio/voice/status"
        ]
    );
    assert_eq!(hits[0].get("CallStatus"), Some("ringing"));
    assert_eq!(hits[0].get("From"), Some(CALLER));
    assert_eq!(hits[0].get("Called"), Some(BUSINESS));
    assert_eq!(hits[0].get("Direction"), Some("inbound"));
    assert_eq!(
        hits[1].get("SpeechResult"),
        Some("Water <everywhere> & \"fast\"")
    );
    assert_eq!(hits[1].get("Confidence"), Some("0.9"));
    assert_eq!(hits[2].get("Digits"), Some("1417"));
    assert_eq!(hits[3].get("CallStatus"), Some("completed"));
    assert!(hits
        .iter()
        .all(|h| h.get("CallSid") == Some(transcript.call_sid.as_str())));
}

#[tokio::test]
async fn caller_hanging_up_mid_gather_still_reports_completed() {
    let hooks = start_hooks().await;
    let caller = Caller::new(&hooks.base, ACCOUNT, TOKEN);
    let transcript = caller
        .call(CALLER, BUSINESS, &mut |_| Reply::HangUp)
        .await
        .unwrap();

    assert!(transcript.hung_up_by_caller);
    assert!(transcript.turns.is_empty());
    assert_eq!(hooks.paths(), ["/twilio/voice", "/twilio/voice/status"]);
}

#[tokio::test]
async fn silent_gather_falls_through_and_voicemail_is_transcribed() {
    let hooks = start_hooks().await;
    let caller = Caller::new(&hooks.base, ACCOUNT, TOKEN);
    let mut answer = |prompt: &Prompt| match prompt.input.as_str() {
        "record" => speak("Leak under the sink, please call back"),
        _ => Reply::Silence,
    };
    let transcript = caller
        .call_at("/twilio/voice/quiet", CALLER, BUSINESS, &mut answer)
        .await
        .unwrap();

    assert_eq!(
        transcript.heard,
        ["Anything?", "We did not hear you.", "Got your message."]
    );
    assert_eq!(
        transcript.turns,
        [
            (Some("problem".into()), String::new()),
            (
                Some("voicemail".into()),
                "Leak under the sink, please call back".into()
            )
        ]
    );
    let hits = hooks.hits();
    let paths: Vec<_> = hits.iter().map(|h| h.path_and_query.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/twilio/voice/quiet",
            "/twilio/voice/voicemail?slot=voicemail",
            "/twilio/voice/recording",
            "/twilio/voice/transcription",
            "/twilio/voice/status"
        ]
    );
    assert!(hits[1]
        .get("RecordingUrl")
        .unwrap()
        .contains("/Recordings/RE"));
    assert_eq!(hits[2].get("RecordingStatus"), Some("completed"));
    assert_eq!(hits[3].get("TranscriptionStatus"), Some("completed"));
    assert_eq!(
        hits[3].get("TranscriptionText"),
        Some("Leak under the sink, please call back")
    );
}

#[tokio::test]
async fn a_dialed_party_who_answers_hears_the_whisper_then_the_action_runs() {
    let hooks = start_hooks().await;
    let caller = Caller::new(&hooks.base, ACCOUNT, TOKEN);
    let transcript = caller
        .call_at("/twilio/voice/transfer", CALLER, BUSINESS, &mut |_| {
            Reply::HangUp
        })
        .await
        .unwrap();

    assert_eq!(transcript.dialed, [TECH]);
    assert_eq!(transcript.whispered, ["A caller <for> you."]);
    assert_eq!(transcript.heard, ["Connecting you now.", "Goodbye."]);
    assert!(!transcript.hung_up_by_caller);
    let hits = hooks.hits();
    let paths: Vec<_> = hits.iter().map(|h| h.path_and_query.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/twilio/voice/transfer",
            "/twilio/voice/whisper?c=1",
            "/twilio/voice/dial-done?c=1",
            "/twilio/voice/status"
        ]
    );
    let (whisper, action) = (&hits[1], &hits[2]);
    assert_eq!(
        whisper.get("ParentCallSid"),
        Some(transcript.call_sid.as_str())
    );
    assert_eq!(whisper.get("Direction"), Some("outbound-dial"));
    assert_eq!(whisper.get("From"), Some(BUSINESS), "the <Dial callerId>");
    assert_eq!(whisper.get("To"), Some(TECH));
    let leg = whisper.get("CallSid").unwrap();
    assert_ne!(leg, transcript.call_sid);
    assert_eq!(action.get("CallSid"), Some(transcript.call_sid.as_str()));
    assert_eq!(action.get("DialCallSid"), Some(leg));
    assert_eq!(action.get("DialCallStatus"), Some("completed"));
    assert_eq!(action.get("DialCallDuration"), Some("60"));
    assert_eq!(action.get("DialBridged"), Some("true"));
}

#[tokio::test]
async fn a_dialed_party_who_does_not_answer_gets_no_whisper() {
    let hooks = start_hooks().await;
    for (pickup, status) in [(Pickup::NoAnswer, "no-answer"), (Pickup::Busy, "busy")] {
        let before = hooks.hits().len();
        let caller = Caller::new(&hooks.base, ACCOUNT, TOKEN).with_pickup(pickup);
        let transcript = caller
            .call_at("/twilio/voice/transfer", CALLER, BUSINESS, &mut |_| {
                Reply::HangUp
            })
            .await
            .unwrap();

        assert!(transcript.whispered.is_empty());
        let hits = hooks.hits()[before..].to_vec();
        let paths: Vec<_> = hits.iter().map(|h| h.path_and_query.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/twilio/voice/transfer",
                "/twilio/voice/dial-done?c=1",
                "/twilio/voice/status"
            ]
        );
        assert_eq!(hits[1].get("DialCallStatus"), Some(status));
        assert_eq!(hits[1].get("DialCallDuration"), Some("0"));
        assert_eq!(hits[1].get("DialBridged"), Some("false"));
    }
}

#[tokio::test]
async fn looping_dialog_is_cut_at_forty_documents() {
    let hooks = start_hooks().await;
    let caller = Caller::new(&hooks.base, ACCOUNT, TOKEN);
    let transcript = caller
        .call_at("/twilio/voice/loop", CALLER, BUSINESS, &mut |_| {
            Reply::Silence
        })
        .await
        .unwrap();

    assert_eq!(transcript.twiml.len(), 40);
    assert!(transcript.hung_up_by_caller);
    assert_eq!(hooks.paths().last().unwrap(), "/twilio/voice/status");
}

#[tokio::test]
async fn texts_and_missed_calls() {
    let hooks = start_hooks().await;
    let caller = Caller::new(&hooks.base, ACCOUNT, TOKEN);

    let media = vec!["https://example.test/leak.jpg".to_string()];
    let reply = caller
        .text(CALLER, BUSINESS, "Leak & photos", media)
        .await
        .unwrap();
    let reply = twilio::twiml_read::parse(&reply).unwrap();
    assert_eq!(reply.children[0].text, "Got it <3 & paged the tech");

    let sid = caller
        .missed_call(CALLER, BUSINESS, "no-answer")
        .await
        .unwrap();
    let hits = hooks.hits();
    assert_eq!(hits[0].get("Body"), Some("Leak & photos"));
    assert_eq!(hits[0].get("NumMedia"), Some("1"));
    assert_eq!(
        hits[0].get("MediaUrl0"),
        Some("https://example.test/leak.jpg")
    );
    assert_eq!(hits[0].get("MediaContentType0"), Some("image/jpeg"));
    assert!(hits[0].get("MessageSid").unwrap().starts_with("MM"));
    assert_eq!(hits[1].path_and_query, "/twilio/voice/status");
    assert_eq!(hits[1].get("CallStatus"), Some("no-answer"));
    assert_eq!(hits[1].get("CallSid"), Some(sid.as_str()));
    assert_eq!(hits[1].get("CallDuration"), Some("0"));
}

#[tokio::test]
async fn webhook_errors_surface() {
    let hooks = start_hooks().await;
    let caller = Caller::new(&hooks.base, ACCOUNT, "not-the-token");
    let error = caller
        .call(CALLER, BUSINESS, &mut |_| Reply::HangUp)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Status { status: 403, .. }),
        "{error}"
    );
}

async fn client_for(stand_in: &StandIn, token: &str) -> RestClient {
    RestClient::new(&stand_in.base_url(), ACCOUNT, token.into()).unwrap()
}

#[tokio::test]
async fn rest_client_sends_a_text_and_gets_signed_statuses() {
    let stand_in = StandIn::start(ACCOUNT, TOKEN).await.unwrap();
    let hooks = start_hooks().await;
    let client = client_for(&stand_in, TOKEN).await;
    let callback = format!("{}/twilio/sms/status?alert=al_7f3c", hooks.base);

    let body = "NIGHTDESK EMERGENCY: leak at 1417 Elm St";
    let sent = client
        .send_message(BUSINESS, TECH, body, Some(&callback), &[])
        .await
        .unwrap();

    assert!(sent.sid.starts_with("SM") && sent.sid.len() == 34);
    assert_eq!(
        (sent.status.as_str(), sent.to.as_str(), sent.body.as_str()),
        ("queued", TECH, body)
    );
    assert_eq!(sent.from.as_deref(), Some(BUSINESS));
    assert!(sent.date_created.as_deref().unwrap().ends_with(" +0000"));
    assert_eq!(sent.num_segments.as_deref(), Some("1"));

    stand_in.settle().await;
    let statuses: Vec<_> = hooks
        .hits()
        .iter()
        .map(|h| h.get("MessageStatus").unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["sent", "delivered"]);
    assert!(hooks
        .hits()
        .iter()
        .all(|h| h.get("MessageSid") == Some(sent.sid.as_str())));
    assert_eq!(hooks.paths()[0], "/twilio/sms/status?alert=al_7f3c");

    let stored = stand_in.messages();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].body.as_str(), stored[0].status.as_str()),
        (body, "delivered")
    );
    let fetched = client.fetch_message(&sent.sid).await.unwrap();
    assert_eq!(fetched.status, "delivered");
    assert!(fetched.date_sent.is_some());
    let missing = client
        .fetch_message("SM00000000000000000000000000000000")
        .await;
    assert!(matches!(missing, Err(twilio::Error::NotFound)));
}

#[tokio::test]
async fn rest_client_places_a_call() {
    let stand_in = StandIn::start(ACCOUNT, TOKEN).await.unwrap();
    let client = client_for(&stand_in, TOKEN).await;
    let url = "https://nightdesk.example.com/twilio/voice/alert-answer?alert=al_7f3c";
    let status = "https://nightdesk.example.com/twilio/voice/status?alert=al_7f3c";

    let call = client
        .create_call(BUSINESS, TECH, url, Some(status), Some("Enable"))
        .await
        .unwrap();

    assert!(call.sid.starts_with("CA") && call.sid.len() == 34);
    assert_eq!(call.status, "queued");
    let placed = &stand_in.calls()[0];
    assert_eq!(placed.url.as_deref(), Some(url));
    assert_eq!(placed.status_callback.as_deref(), Some(status));
    assert_eq!(placed.machine_detection.as_deref(), Some("Enable"));
    assert_eq!(placed.status_callback_events, ["completed"]);
    assert_eq!(client.fetch_call(&call.sid).await.unwrap().sid, call.sid);
}

#[tokio::test]
async fn rest_errors_say_retry_or_give_up() {
    let stand_in = StandIn::start(ACCOUNT, TOKEN).await.unwrap();
    let good = client_for(&stand_in, TOKEN).await;
    let send = |client: RestClient, to: &'static str| async move {
        client.send_message(BUSINESS, to, "hello", None, &[]).await
    };

    let error = send(client_for(&stand_in, "wrong").await, TECH)
        .await
        .unwrap_err();
    assert!(matches!(error, twilio::Error::Auth) && !error.is_retryable());

    let error = send(good.clone(), "+1512555").await.unwrap_err();
    assert!(matches!(error, twilio::Error::InvalidTo) && !error.is_retryable());

    stand_in.fail_next(2, 429, 20429);
    for _ in 0..2 {
        let error = send(good.clone(), TECH).await.unwrap_err();
        assert!(matches!(error, twilio::Error::RateLimited) && error.is_retryable());
    }
    stand_in.fail_next(1, 503, 20500);
    let error = send(good.clone(), TECH).await.unwrap_err();
    assert!(matches!(
        error,
        twilio::Error::Server {
            status: 503,
            code: Some(20500)
        }
    ));
    assert!(error.is_retryable());
    stand_in.fail_next(1, 400, 21610);
    assert!(matches!(
        send(good.clone(), TECH).await,
        Err(twilio::Error::Unsubscribed)
    ));

    send(good, TECH).await.unwrap();
    assert_eq!(stand_in.messages().len(), 1);
}

#[tokio::test]
async fn unreachable_twilio_is_retryable() {
    // A port that was just free has nobody listening on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = RestClient::new(&base, ACCOUNT, TOKEN.into()).unwrap();
    let error = client
        .send_message(BUSINESS, TECH, "hi", None, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(error, twilio::Error::Network(_)) && error.is_retryable(),
        "{error}"
    );
}
