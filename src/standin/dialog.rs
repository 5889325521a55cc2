//! One simulated inbound call in progress: runs each TwiML document verb
//! by verb as Twilio does, asks the caller's `answer` function at each
//! `<Gather>` and `<Record>`, plays the party a `<Dial>` rings, and posts
//! what follows, all of it signed.

use url::Url;

use super::caller::{CallTranscript, Caller, Pickup, Prompt, Reply};
use super::{check_status, new_sid, post_signed, rfc2822_now, Error};
use crate::twilio::twiml_read::{self, Element};

/// A looping dialog must not hang a test: after this many documents in one
/// call the caller hangs up.
pub(super) const MAX_DOCUMENTS: usize = 40;

/// How long a dialed party who answers talks with the caller, in seconds.
const TALK_SECONDS: u32 = 60;

/// Where the call is and what is left to do in the current document.
pub(super) struct Call<'a> {
    caller: &'a Caller,
    base: Vec<(String, String)>,
    pub(super) transcript: CallTranscript,
    said_since_reply: Vec<String>,
    seconds: u32,
}

/// What running one verb leads to.
pub(super) enum Next {
    Continue,
    Fetch(String, Vec<(String, String)>),
    End { by_caller: bool },
}

impl<'a> Call<'a> {
    pub(super) fn new(caller: &'a Caller, from: &str, to: &str) -> Call<'a> {
        let call_sid = new_sid("CA");
        // Voice webhooks arrive sorted by name; Twilio sends geographic
        // fields empty when it has no data, as it does here.
        let base = [
            ("AccountSid", caller.account_sid.as_str()),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", call_sid.as_str()),
            ("Called", to),
            ("CalledCity", ""),
            ("CalledCountry", "US"),
            ("CalledState", ""),
            ("CalledZip", ""),
            ("Caller", from),
            ("CallerCity", ""),
            ("CallerCountry", "US"),
            ("CallerState", ""),
            ("CallerZip", ""),
            ("Direction", "inbound"),
            ("From", from),
            ("FromCity", ""),
            ("FromCountry", "US"),
            ("FromState", ""),
            ("FromZip", ""),
            ("To", to),
            ("ToCity", ""),
            ("ToCountry", "US"),
            ("ToState", ""),
            ("ToZip", ""),
        ];
        Call {
            caller,
            base: base
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            transcript: CallTranscript {
                call_sid,
                ..CallTranscript::default()
            },
            said_since_reply: Vec::new(),
            seconds: 1,
        }
    }

    /// The standard parameters plus `extra`, sorted by name as Twilio
    /// sends voice webhooks.
    fn params(&self, extra: Vec<(String, String)>) -> Vec<(String, String)> {
        let mut params = self.base.clone();
        params.extend(extra);
        params.sort_by(|a, b| a.0.cmp(&b.0));
        params
    }

    /// Posts one webhook that must answer with TwiML; keeps the document.
    pub(super) async fn fetch(
        &mut self,
        url: &str,
        mut extra: Vec<(String, String)>,
    ) -> Result<Element, Error> {
        if !extra.iter().any(|(k, _)| k == "CallStatus") {
            extra.push(("CallStatus".into(), "in-progress".into()));
        }
        let params = self.params(extra);
        let (status, body) = post_signed(
            &self.caller.http,
            self.caller.auth_token.expose(),
            url,
            &params,
        )
        .await?;
        check_status(url, status)?;
        self.transcript.twiml.push(body.clone());
        twiml_read::parse(&body).map_err(|source| Error::Twiml {
            path: super::path_of(url),
            source,
        })
    }

    /// Posts a callback whose reply Twilio ignores.
    async fn notify(&self, url: &str, params: Vec<(String, String)>) -> Result<(), Error> {
        let (status, _) = post_signed(
            &self.caller.http,
            self.caller.auth_token.expose(),
            url,
            &params,
        )
        .await?;
        check_status(url, status)
    }

    /// Runs the verbs of one document in order.
    pub(super) async fn run(
        &mut self,
        url: &str,
        document: &Element,
        answer: &mut dyn FnMut(&Prompt) -> Reply,
    ) -> Result<Next, Error> {
        for verb in &document.children {
            let next = match verb.name.as_str() {
                "Say" => {
                    self.hear(&verb.text);
                    Next::Continue
                }
                "Gather" => self.gather(url, verb, answer)?,
                "Record" => self.record(url, verb, answer).await?,
                "Redirect" => Next::Fetch(resolve(url, &verb.text)?, Vec::new()),
                "Dial" => self.dial(url, verb).await?,
                "Hangup" | "Reject" => Next::End { by_caller: false },
                _ => Next::Continue,
            };
            if !matches!(next, Next::Continue) {
                return Ok(next);
            }
        }
        // Twilio ends the call when a document runs out of verbs.
        Ok(Next::End { by_caller: false })
    }

    fn hear(&mut self, text: &str) {
        self.transcript.heard.push(text.to_string());
        self.said_since_reply.push(text.to_string());
        self.seconds += 1 + text.split_whitespace().count() as u32 / 3;
    }

    fn prompt(&mut self, action: String, input: &str, num_digits: Option<u32>) -> Prompt {
        let slot = Url::parse(&action).ok().and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "slot")
                .map(|(_, v)| v.into_owned())
        });
        Prompt {
            said_before: std::mem::take(&mut self.said_since_reply),
            action_url: action,
            slot,
            input: input.to_string(),
            num_digits,
        }
    }

    fn gather(
        &mut self,
        url: &str,
        verb: &Element,
        answer: &mut dyn FnMut(&Prompt) -> Reply,
    ) -> Result<Next, Error> {
        for say in verb.children.iter().filter(|c| c.name == "Say") {
            self.hear(&say.text);
        }
        let action = resolve(url, verb.attr("action").unwrap_or(url))?;
        let num_digits = verb.attr("numDigits").and_then(|n| n.parse().ok());
        let prompt = self.prompt(
            action.clone(),
            verb.attr("input").unwrap_or("dtmf"),
            num_digits,
        );
        let slot = prompt.slot.clone();

        let (said, params) = match answer(&prompt) {
            Reply::HangUp => return Ok(Next::End { by_caller: true }),
            Reply::Speech { text, confidence } if !text.trim().is_empty() => {
                let params = vec![
                    ("Confidence".to_string(), confidence.to_string()),
                    ("SpeechResult".to_string(), text.clone()),
                ];
                (text, params)
            }
            Reply::Digits(digits) if !digits.is_empty() => {
                let params = vec![
                    ("Digits".to_string(), digits.clone()),
                    ("FinishedOnKey".to_string(), String::new()),
                    ("msg".to_string(), "Gather End".to_string()),
                ];
                (digits, params)
            }
            _ => (String::new(), Vec::new()),
        };
        self.seconds += 5;
        self.transcript.turns.push((slot, said));

        // Without actionOnEmptyResult a silent gather falls through to the
        // next verb instead of posting.
        if params.is_empty() && verb.attr("actionOnEmptyResult") != Some("true") {
            return Ok(Next::Continue);
        }
        Ok(Next::Fetch(action, params))
    }

    async fn record(
        &mut self,
        url: &str,
        verb: &Element,
        answer: &mut dyn FnMut(&Prompt) -> Reply,
    ) -> Result<Next, Error> {
        let action = resolve(url, verb.attr("action").unwrap_or(url))?;
        let prompt = self.prompt(action.clone(), "record", None);
        let slot = prompt.slot.clone();
        let text = match answer(&prompt) {
            Reply::HangUp => return Ok(Next::End { by_caller: true }),
            Reply::Speech { text, .. } => text,
            // No audio: Twilio moves on to the next verb without a request.
            Reply::Silence | Reply::Digits(_) => {
                self.transcript.turns.push((slot, String::new()));
                return Ok(Next::Continue);
            }
        };
        self.transcript.turns.push((slot, text.clone()));
        if self.transcript.twiml.len() >= MAX_DOCUMENTS {
            return Ok(Next::End { by_caller: true });
        }

        let recording_sid = new_sid("RE");
        let recording_url = format!(
            "https://api.twilio.com/2010-04-01/Accounts/{}/Recordings/{recording_sid}",
            self.caller.account_sid
        );
        let duration = (text.split_whitespace().count() as u32 * 2 / 5).max(1);
        self.seconds += duration;
        let recording = vec![
            ("RecordingDuration".to_string(), duration.to_string()),
            ("RecordingSid".to_string(), recording_sid.clone()),
            ("RecordingUrl".to_string(), recording_url.clone()),
        ];
        let mut action_params = recording.clone();
        action_params.push(("Digits".to_string(), "#".to_string()));
        let document = self.fetch(&action, action_params).await?;

        // Twilio posts these later and on their own; sending them before
        // running the action's reply keeps tests deterministic.
        self.recording_callbacks(url, verb, &recording, &text)
            .await?;
        self.run_boxed(&action, document, answer).await
    }

    /// The recording-status and transcription callbacks of one `<Record>`.
    async fn recording_callbacks(
        &self,
        url: &str,
        verb: &Element,
        recording: &[(String, String)],
        text: &str,
    ) -> Result<(), Error> {
        let call_sid = self.transcript.call_sid.clone();
        let account = self.caller.account_sid.clone();
        if let Some(callback) = verb.attr("recordingStatusCallback") {
            let mut params = recording.to_vec();
            params.extend([
                ("AccountSid".to_string(), account.clone()),
                ("CallSid".to_string(), call_sid.clone()),
                ("ErrorCode".to_string(), "0".to_string()),
                ("RecordingChannels".to_string(), "1".to_string()),
                ("RecordingSource".to_string(), "RecordVerb".to_string()),
                ("RecordingStartTime".to_string(), rfc2822_now()),
                ("RecordingStatus".to_string(), "completed".to_string()),
            ]);
            self.notify(&resolve(url, callback)?, params).await?;
        }

        let transcribe = verb.attr("transcribe") == Some("true");
        if let (true, Some(callback)) = (transcribe, verb.attr("transcribeCallback")) {
            let status = if text.trim().is_empty() {
                "failed"
            } else {
                "completed"
            };
            let mut params = self.params(recording.to_vec());
            params.retain(|(k, _)| k != "RecordingDuration");
            params.extend([
                ("CallStatus".to_string(), "completed".to_string()),
                ("TranscriptionSid".to_string(), new_sid("TR")),
                ("TranscriptionStatus".to_string(), status.to_string()),
                ("TranscriptionText".to_string(), text.to_string()),
                ("TranscriptionType".to_string(), "fast".to_string()),
                ("url".to_string(), resolve(url, callback)?),
            ]);
            self.notify(&resolve(url, callback)?, params).await?;
        }
        Ok(())
    }

    /// Runs the document a `<Record>` action returned. Boxed because a
    /// document may record again, which makes the future recursive.
    fn run_boxed<'b>(
        &'b mut self,
        url: &'b str,
        document: Element,
        answer: &'b mut dyn FnMut(&Prompt) -> Reply,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Next, Error>> + 'b>> {
        Box::pin(async move { self.run(url, &document, answer).await })
    }

    /// Dials: the party rings, then answers (hearing the `<Number url>`
    /// whisper first, if there is one) or not, as the caller's `Pickup`
    /// says; then Twilio posts the `<Dial action>` with the leg's outcome
    /// and the call follows its answer.
    async fn dial(&mut self, url: &str, verb: &Element) -> Result<Next, Error> {
        let numbers: Vec<&Element> = verb
            .children
            .iter()
            .filter(|c| c.name == "Number")
            .collect();
        for number in &numbers {
            self.transcript.dialed.push(number.text.clone());
        }
        if verb.children.is_empty() && !verb.text.is_empty() {
            self.transcript.dialed.push(verb.text.clone());
        }
        let leg = new_sid("CA");
        let ring: u32 = verb
            .attr("timeout")
            .and_then(|t| t.parse().ok())
            .unwrap_or(30);
        let (status, talked, bridged) = match self.caller.pickup {
            Pickup::Answers => {
                self.seconds += 4;
                let whisper = numbers.first().and_then(|n| n.attr("url").map(|u| (*n, u)));
                let bridged = match whisper {
                    Some((number, target)) => {
                        let from = verb.attr("callerId");
                        self.whisper(url, number, target, from, &leg).await?
                    }
                    None => true,
                };
                ("completed", if bridged { TALK_SECONDS } else { 0 }, bridged)
            }
            Pickup::NoAnswer => {
                self.seconds += ring;
                ("no-answer", 0, false)
            }
            Pickup::Busy => {
                self.seconds += 2;
                ("busy", 0, false)
            }
        };
        self.seconds += talked;
        let Some(action) = verb.attr("action") else {
            return Ok(Next::Continue);
        };
        let params = vec![
            ("DialBridged".to_string(), bridged.to_string()),
            ("DialCallDuration".to_string(), talked.to_string()),
            ("DialCallSid".to_string(), leg),
            ("DialCallStatus".to_string(), status.to_string()),
        ];
        Ok(Next::Fetch(resolve(url, action)?, params))
    }

    /// The dialed party's leg fetches the whisper at `target` and hears
    /// it; the parameters are those of a child leg (`ParentCallSid`,
    /// `Direction=outbound-dial`), from the `<Dial callerId>` or else the
    /// caller's number. False when the whisper hung up on them, so the
    /// caller was never put through (modelled, not captured).
    async fn whisper(
        &mut self,
        url: &str,
        number: &Element,
        target: &str,
        caller_id: Option<&str>,
        leg: &str,
    ) -> Result<bool, Error> {
        let target = resolve(url, target)?;
        let from = caller_id
            .map(str::to_string)
            .or_else(|| {
                self.base
                    .iter()
                    .find(|(k, _)| k == "From")
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_default();
        let to = number.text.as_str();
        let mut params: Vec<(String, String)> = [
            ("AccountSid", self.caller.account_sid.as_str()),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", leg),
            ("CallStatus", "in-progress"),
            ("Called", to),
            ("Caller", from.as_str()),
            ("Direction", "outbound-dial"),
            ("From", from.as_str()),
            ("ParentCallSid", self.transcript.call_sid.as_str()),
            ("To", to),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        params.sort_by(|a, b| a.0.cmp(&b.0));
        let (status, body) = post_signed(
            &self.caller.http,
            self.caller.auth_token.expose(),
            &target,
            &params,
        )
        .await?;
        check_status(&target, status)?;
        self.transcript.twiml.push(body.clone());
        let document = twiml_read::parse(&body).map_err(|source| Error::Twiml {
            path: super::path_of(&target),
            source,
        })?;

        // Only <Say>, <Play>, <Pause>, <Gather> and <Hangup> run on a
        // whisper; the party presses nothing at a <Gather>.
        for verb in &document.children {
            match verb.name.as_str() {
                "Say" => self.overhear(&verb.text),
                "Gather" => {
                    for say in verb.children.iter().filter(|c| c.name == "Say") {
                        self.overhear(&say.text);
                    }
                }
                "Hangup" => return Ok(false),
                _ => {}
            }
        }
        Ok(true)
    }

    /// What the dialed party hears, kept apart from what the caller hears.
    fn overhear(&mut self, text: &str) {
        self.transcript.whispered.push(text.to_string());
        self.seconds += 1 + text.split_whitespace().count() as u32 / 3;
    }

    /// Posts the call's final status to `/twilio/voice/status`.
    pub(super) async fn status(&mut self, status: &str) -> Result<(), Error> {
        let answered = status == "completed";
        let seconds = if answered { self.seconds } else { 0 };
        let mut extra = vec![
            ("CallDuration".to_string(), seconds.to_string()),
            ("CallStatus".to_string(), status.to_string()),
            (
                "CallbackSource".to_string(),
                "call-progress-events".to_string(),
            ),
            ("SequenceNumber".to_string(), "0".to_string()),
            ("Timestamp".to_string(), rfc2822_now()),
        ];
        if answered {
            extra.push(("Duration".to_string(), seconds.div_ceil(60).to_string()));
        }
        let url = format!("{}/twilio/voice/status", self.caller.webhook_base);
        self.notify(&url, self.params(extra)).await
    }
}

/// Resolves a TwiML URL against the URL of the document that holds it.
fn resolve(document_url: &str, target: &str) -> Result<String, Error> {
    let bad = || Error::Url(target.to_string());
    let base = Url::parse(document_url).map_err(|_| bad())?;
    base.join(target.trim())
        .map(String::from)
        .map_err(|_| bad())
}
