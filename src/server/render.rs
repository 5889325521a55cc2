//! The dialog's reply as TwiML for a call (a question, a voicemail, a
//! goodbye or the warm transfer's `<Dial>`), or as a text message.

use crate::config::Business;
use crate::conversation::{Conversation, Next, Reply};
use crate::twilio::{Dial, Gather, MessagingResponse, Record, VoiceResponse};

/// Recognition hints: the trade words and the owner's street names.
fn hints(business: &Business) -> Vec<String> {
    let trade = [
        "furnace",
        "boiler",
        "water heater",
        "carbon monoxide",
        "gas smell",
        "breaker",
        "outlet",
        "sewer",
        "roof",
        "ceiling",
        "leak",
        "burst pipe",
    ];
    trade
        .iter()
        .map(|s| s.to_string())
        .chain(business.street_hints.iter().cloned())
        .collect()
}

pub fn voice(business: &Business, c: &Conversation, reply: &Reply) -> String {
    let mut r = VoiceResponse::new();
    for line in &reply.say {
        r.say(line.clone());
    }
    let step = c.step;
    let id = &c.contact_id;
    match &reply.next {
        Next::Ask {
            slot,
            prompt,
            keypad,
        } => {
            let mut g = Gather::new(format!(
                "/twilio/voice/turn?contact={id}&slot={slot}&step={step}"
            ));
            g.action_on_empty_result = true;
            g.timeout = Some(6);
            g.speech_timeout = Some("auto".into());
            g.language = Some("en-US".into());
            g.profanity_filter = false;
            g.prompt = vec![prompt.clone()];
            match keypad {
                Some(n) => {
                    g.input = "dtmf".into();
                    g.num_digits = Some(*n);
                }
                None => g.hints = hints(business),
            }
            r.gather(g);
        }
        Next::Record => {
            r.record(Record {
                action: format!("/twilio/recording?contact={id}&event=action"),
                max_length: Some(120),
                transcribe: true,
                transcribe_callback: Some(format!(
                    "/twilio/recording?contact={id}&event=transcription"
                )),
                play_beep: Some(true),
                timeout: Some(5),
                ..Record::default()
            });
        }
        Next::Close => {
            r.hangup();
        }
        Next::Transfer { to, .. } => {
            r.dial(transfer_dial(business, id, to));
        }
    }
    r.to_string()
}

/// The warm transfer's `<Dial>`: it rings `to` from the business's own
/// number (the number the owner's text came from, so they know the call),
/// runs the whisper on their leg when they answer, and posts the outcome
/// to the dial action, whose answer the caller hears next.
///
/// `answerOnBridge` is left out: it only holds back answering a caller's
/// leg, and this one was answered when the greeting played.
fn transfer_dial(business: &Business, contact_id: &str, to: &str) -> Dial {
    Dial {
        action: Some(format!("/twilio/voice/dial?contact={contact_id}")),
        timeout: Some(crate::dispatch::transfer::RING_SECONDS),
        caller_id: Some(business.number.clone()),
        number: to.to_string(),
        whisper_url: Some(format!("/twilio/voice/whisper?contact={contact_id}")),
    }
}

/// The reply as one text message.
pub fn text(reply: &Reply) -> String {
    let mut parts: Vec<String> = reply.say.clone();
    if let Next::Ask { prompt, .. } = &reply.next {
        parts.push(prompt.clone());
    }
    MessagingResponse::new()
        .message(parts.join(" "))
        .to_string()
}

/// An answer for a number no business owns.
pub fn unknown_number() -> String {
    let mut r = VoiceResponse::new();
    r.say("Sorry, this number is not in service.");
    r.hangup();
    r.to_string()
}

pub fn hangup() -> String {
    let mut r = VoiceResponse::new();
    r.hangup();
    r.to_string()
}
