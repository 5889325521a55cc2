//! A simulated caller that phones and texts nightdesk as Twilio would: it
//! posts the standard webhook parameters, signed, runs the TwiML it gets
//! back verb by verb, and asks a test's `answer` function what the caller
//! says at each `<Gather>` and `<Record>`. A `<Dial>`ed party answers or
//! not as the caller's [`Pickup`] says.

use super::dialog::{Call, Next, MAX_DOCUMENTS};
use super::{check_status, new_sid, post_signed, webhook_client, Error};
use crate::twilio::Secret;

/// What the caller is asked at a `<Gather>` or `<Record>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    /// The `<Say>` texts heard since the caller last answered.
    pub said_before: Vec<String>,
    /// The absolute URL the answer will be posted to.
    pub action_url: String,
    /// The `slot` query parameter of the action URL, naming the question.
    pub slot: Option<String>,
    /// `speech`, `dtmf` or `speech dtmf`; `record` for a voicemail.
    pub input: String,
    pub num_digits: Option<u32>,
}

/// What the caller does when prompted.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Speech { text: String, confidence: f32 },
    Digits(String),
    Silence,
    HangUp,
}

/// What happened on one simulated call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallTranscript {
    pub call_sid: String,
    /// Every `<Say>`, in the order the caller heard them.
    pub heard: Vec<String>,
    /// Each answer with the slot it was asked for; `""` for silence.
    pub turns: Vec<(Option<String>, String)>,
    /// The caller hung up (or the document cap did) before nightdesk did.
    pub hung_up_by_caller: bool,
    /// Every TwiML document received, in order.
    pub twiml: Vec<String>,
    /// Numbers nightdesk `<Dial>`ed during the call.
    pub dialed: Vec<String>,
    /// Every `<Say>` the dialed party heard before being put through
    /// (a `<Number url>` whisper), in order.
    pub whispered: Vec<String>,
}

/// What a party nightdesk `<Dial>`s does, for every dial of the calls a
/// [`Caller`] places.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pickup {
    /// Answers, hears any whisper, then talks with the caller for a minute.
    #[default]
    Answers,
    /// Lets it ring until the `<Dial timeout>`.
    NoAnswer,
    /// Is on another call.
    Busy,
}

/// Phones and texts nightdesk's webhooks at `webhook_base`
/// (e.g. `http://127.0.0.1:8080`), signing with `auth_token`.
#[derive(Clone, Debug)]
pub struct Caller {
    pub(super) webhook_base: String,
    pub(super) account_sid: String,
    pub(super) auth_token: Secret,
    pub(super) http: reqwest::Client,
    pub(super) pickup: Pickup,
}

impl Caller {
    /// A caller for the nightdesk server at `webhook_base`, signing as the
    /// Twilio account `account_sid` whose Auth Token is `auth_token`.
    pub fn new(webhook_base: &str, account_sid: &str, auth_token: &str) -> Caller {
        Caller {
            webhook_base: webhook_base.trim_end_matches('/').to_string(),
            account_sid: account_sid.to_string(),
            auth_token: Secret::new(auth_token),
            http: webhook_client(),
            pickup: Pickup::default(),
        }
    }

    /// This caller, with every party it is `<Dial>`ed to doing `pickup`.
    pub fn with_pickup(mut self, pickup: Pickup) -> Caller {
        self.pickup = pickup;
        self
    }

    /// Places an inbound call from `from` to the business number `to`:
    /// posts `/twilio/voice`, follows the TwiML until nightdesk or the caller
    /// hangs up, then posts the `completed` status to `/twilio/voice/status`.
    ///
    /// # Errors
    ///
    /// When nightdesk is unreachable, answers a webhook with a non-2xx
    /// status, or replies with TwiML that does not parse (on a real call the
    /// caller would hear Twilio's "application error" message).
    pub async fn call(
        &self,
        from: &str,
        to: &str,
        answer: &mut dyn FnMut(&Prompt) -> Reply,
    ) -> Result<CallTranscript, Error> {
        self.call_at("/twilio/voice", from, to, answer).await
    }

    /// Like [`Caller::call`], with the first request to `path` (which may
    /// carry a query) instead of `/twilio/voice`.
    ///
    /// # Errors
    ///
    /// As for [`Caller::call`].
    pub async fn call_at(
        &self,
        path: &str,
        from: &str,
        to: &str,
        answer: &mut dyn FnMut(&Prompt) -> Reply,
    ) -> Result<CallTranscript, Error> {
        let mut call = Call::new(self, from, to);
        let mut url = format!("{}{path}", self.webhook_base);
        let mut extra = vec![("CallStatus".to_string(), "ringing".to_string())];

        let by_caller = loop {
            if call.transcript.twiml.len() >= MAX_DOCUMENTS {
                tracing::warn!(call_sid = %call.transcript.call_sid, "document cap reached");
                break true;
            }
            let document = call.fetch(&url, extra).await?;
            match call.run(&url, &document, answer).await? {
                Next::Fetch(next, params) => (url, extra) = (next, params),
                Next::End { by_caller } => break by_caller,
                Next::Continue => break false,
            }
        };

        call.transcript.hung_up_by_caller = by_caller;
        call.status("completed").await?;
        Ok(call.transcript)
    }

    /// A call that never reached the dialog: posts only the status callback
    /// with `status` (`no-answer`, `busy`, `failed` or `canceled`) and
    /// returns the call's SID.
    ///
    /// # Errors
    ///
    /// When nightdesk is unreachable or answers with a non-2xx status.
    pub async fn missed_call(&self, from: &str, to: &str, status: &str) -> Result<String, Error> {
        let mut call = Call::new(self, from, to);
        call.status(status).await?;
        Ok(call.transcript.call_sid)
    }

    /// Texts `body` (and `media` URLs, making it an MMS) to `to` by posting
    /// `/twilio/sms`; returns nightdesk's reply TwiML.
    ///
    /// # Errors
    ///
    /// When nightdesk is unreachable or answers with a non-2xx status.
    pub async fn text(
        &self,
        from: &str,
        to: &str,
        body: &str,
        media: Vec<String>,
    ) -> Result<String, Error> {
        let sid = new_sid(if media.is_empty() { "SM" } else { "MM" });
        // The order of Twilio's own SMS webhook bodies, media fields included.
        let mut params = vec![pair("ToCountry", "US")];
        for (i, url) in media.iter().enumerate() {
            params.push(pair(format!("MediaContentType{i}"), content_type(url)));
        }
        for (name, value) in [
            ("ToState", ""),
            ("SmsMessageSid", &sid),
            ("NumMedia", &media.len().to_string()),
            ("ToCity", ""),
            ("FromZip", ""),
            ("SmsSid", &sid),
            ("FromState", ""),
            ("SmsStatus", "received"),
            ("FromCity", ""),
            ("Body", body),
            ("FromCountry", "US"),
            ("To", to),
            ("ToZip", ""),
            ("NumSegments", "1"),
            ("MessageSid", &sid),
            ("AccountSid", &self.account_sid),
            ("From", from),
        ] {
            params.push(pair(name, value));
        }
        for (i, url) in media.iter().enumerate() {
            params.push(pair(format!("MediaUrl{i}"), url.as_str()));
        }
        params.push(pair("ApiVersion", "2010-04-01"));

        let url = format!("{}/twilio/sms", self.webhook_base);
        let (status, reply) =
            post_signed(&self.http, self.auth_token.expose(), &url, &params).await?;
        check_status(&url, status)?;
        Ok(reply)
    }
}

fn pair(name: impl Into<String>, value: impl Into<String>) -> (String, String) {
    (name.into(), value.into())
}

fn content_type(url: &str) -> &'static str {
    let lower = url.to_ascii_lowercase();
    if lower.ends_with(".png") {
        "image/png"
    } else if lower.ends_with(".gif") {
        "image/gif"
    } else if lower.ends_with(".mp4") {
        "video/mp4"
    } else {
        "image/jpeg"
    }
}
