//! Writing TwiML. Every document goes through quick-xml's writer so that
//! whatever a caller said, `<`, `&` and quotes included, is escaped: words
//! we read back to a caller are spoken, never parsed as markup. Attributes
//! are written in the alphabetical order the official library uses.

use std::fmt;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

type XmlWriter = Writer<Vec<u8>>;

/// A `<Gather>`: prompts, then waits for speech or keys and posts them to
/// `action`. Build it with [`Gather::new`] and adjust the public fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gather {
    /// Where Twilio posts the result; relative URLs resolve against the
    /// URL of the current document.
    pub action: String,
    /// `speech`, `dtmf` or `speech dtmf`.
    pub input: String,
    /// Seconds to wait for input once the prompt ends (Twilio: 5).
    pub timeout: Option<u32>,
    /// Seconds of silence that end speech, or `auto`.
    pub speech_timeout: Option<String>,
    /// Phrases that help recognition, joined with commas.
    pub hints: Vec<String>,
    /// Submit as soon as this many keys were pressed.
    pub num_digits: Option<u32>,
    /// Post to `action` even when nothing was heard or pressed.
    pub action_on_empty_result: bool,
    /// Twilio masks swearing unless this is off; nightdesk keeps it off so
    /// an angry caller's words reach the rules.
    pub profanity_filter: bool,
    /// BCP-47 language for recognition (Twilio: `en-US`).
    pub language: Option<String>,
    /// Texts said inside the gather, so the caller may answer over them.
    pub prompt: Vec<String>,
}

impl Gather {
    /// A speech-and-keypad gather posting to `action`, filter off.
    pub fn new(action: impl Into<String>) -> Gather {
        Gather {
            action: action.into(),
            input: "speech dtmf".to_string(),
            ..Gather::default()
        }
    }
}

/// A `<Record>` for voicemail.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    pub action: String,
    /// Longest recording in seconds (Twilio: 3600; 120 when transcribing).
    pub max_length: Option<u32>,
    pub transcribe: bool,
    /// Where Twilio posts `TranscriptionText` later; needs `transcribe`.
    pub transcribe_callback: Option<String>,
    /// Notified on `completed` and `absent`, so an empty voicemail is known.
    pub recording_status_callback: Option<String>,
    pub play_beep: Option<bool>,
    /// Seconds of silence that end the recording (Twilio: 5).
    pub timeout: Option<u32>,
    /// Keys that end the recording (Twilio: any key).
    pub finish_on_key: Option<String>,
}

/// A `<Dial>` to one number, optionally with a whisper played to the
/// person who answers before the caller is connected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dial {
    /// Posted with `DialCallStatus` when the dialed leg ends.
    pub action: Option<String>,
    /// Seconds to ring before giving up (Twilio: 30).
    pub timeout: Option<u32>,
    pub caller_id: Option<String>,
    pub number: String,
    /// TwiML run on the answering party before bridging.
    pub whisper_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
enum Verb {
    Say(String),
    Gather(Gather),
    Record(Record),
    Redirect(String),
    Hangup,
    Dial(Dial),
    Pause(u32),
}

/// A voice reply. Verbs run in the order they were added.
///
/// ```
/// # use nightdesk::twilio::VoiceResponse;
/// let mut twiml = VoiceResponse::new();
/// twiml.say("You said: <pipe> & \"tap\"").hangup();
/// assert_eq!(
///     twiml.to_string(),
///     "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
///      <Say>You said: &lt;pipe&gt; &amp; &quot;tap&quot;</Say><Hangup/></Response>"
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VoiceResponse {
    voice: Option<String>,
    language: Option<String>,
    verbs: Vec<Verb>,
}

impl VoiceResponse {
    /// An empty response; Twilio hangs up after an empty document.
    pub fn new() -> VoiceResponse {
        VoiceResponse::default()
    }

    /// Sets the `voice` and `language` of every `<Say>`, prompts included.
    pub fn voice(&mut self, voice: &str, language: &str) -> &mut Self {
        self.voice = Some(voice.to_string());
        self.language = Some(language.to_string());
        self
    }

    pub fn say(&mut self, text: impl Into<String>) -> &mut Self {
        self.push(Verb::Say(text.into()))
    }

    pub fn gather(&mut self, gather: Gather) -> &mut Self {
        self.push(Verb::Gather(gather))
    }

    pub fn record(&mut self, record: Record) -> &mut Self {
        self.push(Verb::Record(record))
    }

    pub fn redirect(&mut self, url: impl Into<String>) -> &mut Self {
        self.push(Verb::Redirect(url.into()))
    }

    pub fn hangup(&mut self) -> &mut Self {
        self.push(Verb::Hangup)
    }

    pub fn dial(&mut self, dial: Dial) -> &mut Self {
        self.push(Verb::Dial(dial))
    }

    /// Silence for `seconds`.
    pub fn pause(&mut self, seconds: u32) -> &mut Self {
        self.push(Verb::Pause(seconds))
    }

    fn push(&mut self, verb: Verb) -> &mut Self {
        self.verbs.push(verb);
        self
    }

    fn write_say(&self, w: &mut XmlWriter, text: &str) -> std::io::Result<()> {
        let mut attrs = Vec::new();
        push_opt(&mut attrs, "language", self.language.as_deref());
        push_opt(&mut attrs, "voice", self.voice.as_deref());
        text_element(w, "Say", &attrs, text)
    }

    fn write_verb(&self, w: &mut XmlWriter, verb: &Verb) -> std::io::Result<()> {
        match verb {
            Verb::Say(text) => self.write_say(w, text),
            Verb::Gather(gather) => {
                let attrs = gather_attrs(gather);
                if gather.prompt.is_empty() {
                    return empty_element(w, "Gather", &attrs);
                }
                w.create_element("Gather")
                    .with_attributes(borrowed(&attrs))
                    .write_inner_content(|w| {
                        gather
                            .prompt
                            .iter()
                            .try_for_each(|text| self.write_say(w, text))
                    })?;
                Ok(())
            }
            Verb::Record(record) => empty_element(w, "Record", &record_attrs(record)),
            Verb::Redirect(url) => text_element(w, "Redirect", &[("method", "POST".into())], url),
            Verb::Hangup => empty_element(w, "Hangup", &[]),
            Verb::Dial(dial) => write_dial(w, dial),
            Verb::Pause(seconds) => empty_element(w, "Pause", &[("length", seconds.to_string())]),
        }
    }
}

impl fmt::Display for VoiceResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let xml = document(self.verbs.is_empty(), |w| {
            self.verbs
                .iter()
                .try_for_each(|verb| self.write_verb(w, verb))
        });
        f.write_str(&xml)
    }
}

/// A reply to an incoming text: one `<Message>`, or nothing at all.
///
/// ```
/// # use nightdesk::twilio::MessagingResponse;
/// assert!(MessagingResponse::new().to_string().ends_with("<Response/>"));
/// let reply = MessagingResponse::new().message("Got it & paged the tech");
/// let xml = reply.to_string();
/// assert!(xml.ends_with("<Message>Got it &amp; paged the tech</Message></Response>"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MessagingResponse {
    body: Option<String>,
}

impl MessagingResponse {
    /// An empty reply, which sends no text.
    pub fn new() -> MessagingResponse {
        MessagingResponse::default()
    }

    /// A reply that texts `body` back to the sender.
    pub fn message(mut self, body: impl Into<String>) -> MessagingResponse {
        self.body = Some(body.into());
        self
    }
}

impl fmt::Display for MessagingResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let xml = document(self.body.is_none(), |w| match &self.body {
            Some(body) => text_element(w, "Message", &[], body),
            None => Ok(()),
        });
        f.write_str(&xml)
    }
}

/// Writes the declaration and the `<Response>` root around `inner`.
fn document(empty: bool, inner: impl FnOnce(&mut XmlWriter) -> std::io::Result<()>) -> String {
    let mut w = Writer::new(Vec::new());
    let result = w
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|()| {
            let root = w.create_element("Response");
            if empty {
                root.write_empty().map(drop)
            } else {
                root.write_inner_content(inner).map(drop)
            }
        });
    // Writing into a Vec has no I/O that could fail.
    result.expect("writing TwiML to memory");
    String::from_utf8(w.into_inner()).expect("quick-xml writes UTF-8")
}

fn gather_attrs(g: &Gather) -> Vec<(&'static str, String)> {
    let mut attrs = vec![("action", g.action.clone())];
    if g.action_on_empty_result {
        attrs.push(("actionOnEmptyResult", "true".into()));
    }
    if !g.hints.is_empty() {
        attrs.push(("hints", g.hints.join(", ")));
    }
    if !g.input.is_empty() {
        attrs.push(("input", g.input.clone()));
    }
    push_opt(&mut attrs, "language", g.language.as_deref());
    attrs.push(("method", "POST".into()));
    push_opt(&mut attrs, "numDigits", g.num_digits);
    attrs.push(("profanityFilter", g.profanity_filter.to_string()));
    push_opt(&mut attrs, "speechTimeout", g.speech_timeout.as_deref());
    push_opt(&mut attrs, "timeout", g.timeout);
    attrs
}

fn record_attrs(r: &Record) -> Vec<(&'static str, String)> {
    let mut attrs = vec![("action", r.action.clone())];
    push_opt(&mut attrs, "finishOnKey", r.finish_on_key.as_deref());
    push_opt(&mut attrs, "maxLength", r.max_length);
    attrs.push(("method", "POST".into()));
    push_opt(&mut attrs, "playBeep", r.play_beep);
    if let Some(url) = &r.recording_status_callback {
        attrs.push(("recordingStatusCallback", url.clone()));
        attrs.push(("recordingStatusCallbackEvent", "completed absent".into()));
        attrs.push(("recordingStatusCallbackMethod", "POST".into()));
    }
    push_opt(&mut attrs, "timeout", r.timeout);
    if r.transcribe {
        attrs.push(("transcribe", "true".into()));
    }
    push_opt(
        &mut attrs,
        "transcribeCallback",
        r.transcribe_callback.as_deref(),
    );
    attrs
}

fn write_dial(w: &mut XmlWriter, d: &Dial) -> std::io::Result<()> {
    let mut attrs = Vec::new();
    push_opt(&mut attrs, "action", d.action.as_deref());
    push_opt(&mut attrs, "callerId", d.caller_id.as_deref());
    attrs.push(("method", "POST".into()));
    push_opt(&mut attrs, "timeout", d.timeout);

    let mut number = Vec::new();
    if let Some(url) = &d.whisper_url {
        number.push(("method", "POST".to_string()));
        number.push(("url", url.clone()));
    }
    w.create_element("Dial")
        .with_attributes(borrowed(&attrs))
        .write_inner_content(|w| text_element(w, "Number", &number, &d.number))?;
    Ok(())
}

fn push_opt<T: ToString>(
    attrs: &mut Vec<(&'static str, String)>,
    name: &'static str,
    value: Option<T>,
) {
    if let Some(value) = value {
        attrs.push((name, value.to_string()));
    }
}

fn borrowed<'a>(attrs: &'a [(&'static str, String)]) -> impl Iterator<Item = (&'a str, &'a str)> {
    attrs.iter().map(|(name, value)| (*name, value.as_str()))
}

fn text_element(
    w: &mut XmlWriter,
    name: &str,
    attrs: &[(&'static str, String)],
    text: &str,
) -> std::io::Result<()> {
    let text = xml_chars(text);
    w.create_element(name)
        .with_attributes(borrowed(attrs))
        .write_text_content(BytesText::new(&text))?;
    Ok(())
}

fn empty_element(
    w: &mut XmlWriter,
    name: &str,
    attrs: &[(&'static str, String)],
) -> std::io::Result<()> {
    w.create_element(name)
        .with_attributes(borrowed(attrs))
        .write_empty()?;
    Ok(())
}

/// Drops control characters that XML 1.0 cannot carry even escaped; a
/// stray one in a caller's text would otherwise make Twilio reject the
/// whole document.
fn xml_chars(text: &str) -> String {
    text.chars()
        .filter(|&c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::twiml_read::{parse, Element};

    fn sample(name: &str) -> Element {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/twilio/twiml-samples/"
        );
        let xml = std::fs::read_to_string(format!("{root}{name}")).expect("shared sample");
        parse(&xml).unwrap()
    }

    /// Compares names, attribute sets and texts, ignoring attribute order.
    fn same_structure(ours: &Element, theirs: &Element) {
        assert_eq!(ours.name, theirs.name);
        let mut a = ours.attrs.clone();
        let mut b = theirs.attrs.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "attributes of <{}>", ours.name);
        assert_eq!(ours.text, theirs.text, "text of <{}>", ours.name);
        assert_eq!(
            ours.children.len(),
            theirs.children.len(),
            "children of <{}>",
            ours.name
        );
        for (x, y) in ours.children.iter().zip(&theirs.children) {
            same_structure(x, y);
        }
    }

    #[test]
    fn greeting_gather_matches_sample() {
        let mut gather = Gather::new("/twilio/voice/gather?step=problem");
        gather.action_on_empty_result = true;
        gather.hints = [
            "burst pipe",
            "water heater",
            "no heat",
            "gas smell",
            "sewer backup",
        ]
        .into_iter()
        .chain(["flooding", "furnace", "leak"])
        .map(String::from)
        .collect();
        gather.language = Some("en-US".into());
        gather.num_digits = Some(1);
        gather.speech_timeout = Some("auto".into());
        gather.timeout = Some(6);
        gather.prompt = vec![
            "Thanks for calling Acme Plumbing after hours. If you smell gas, \
            hang up, leave the house and call 9 1 1. Otherwise, tell me in a few words what \
            is going on, or press 1 to leave a voicemail."
                .into(),
        ];
        let mut twiml = VoiceResponse::new();
        twiml.voice("Polly.Joanna", "en-US").gather(gather);

        let mut ours = parse(&twiml.to_string()).unwrap();
        // The sample leaves the profanity filter at Twilio's default (on);
        // nightdesk always turns it off, so that one attribute differs.
        let g = &mut ours.children[0];
        assert_eq!(g.attr("profanityFilter"), Some("false"));
        g.attrs.retain(|(name, _)| name != "profanityFilter");
        same_structure(&ours, &sample("01-greeting-gather.xml"));
    }

    #[test]
    fn voicemail_record_matches_sample() {
        let mut twiml = VoiceResponse::new();
        twiml
            .voice("Polly.Joanna", "en-US")
            .say(
                "Please leave your name, address and a short description after the tone. \
                  Press the pound key when you are done.",
            )
            .record(Record {
                action: "/twilio/voice/record-done".into(),
                max_length: Some(120),
                transcribe: true,
                transcribe_callback: Some("/twilio/voice/transcription".into()),
                recording_status_callback: Some("/twilio/voice/recording-status".into()),
                play_beep: Some(true),
                timeout: Some(5),
                finish_on_key: Some("#".into()),
            })
            .say("We did not receive a recording. Goodbye.")
            .hangup();

        let mut ours = parse(&twiml.to_string()).unwrap();
        // `trim` is left at its default, which is the sample's value.
        ours.children[1]
            .attrs
            .push(("trim".into(), "trim-silence".into()));
        same_structure(&ours, &sample("02-voicemail-record.xml"));
    }

    #[test]
    fn whisper_accept_and_sms_reply_match_samples() {
        let mut gather = Gather::new("/twilio/voice/whisper-accept?case=8812");
        gather.input = "dtmf".into();
        gather.num_digits = Some(1);
        gather.timeout = Some(8);
        gather.prompt = vec![
            "Emergency call from Dana Garcia: active leak at 1417 Elm Street. \
            Press 1 to take the call, or hang up to pass."
                .into(),
        ];
        let mut twiml = VoiceResponse::new();
        twiml
            .voice("Polly.Matthew", "en-US")
            .gather(gather)
            .pause(1)
            .hangup();
        let mut ours = parse(&twiml.to_string()).unwrap();
        ours.children[0]
            .attrs
            .retain(|(name, _)| name != "profanityFilter");
        same_structure(&ours, &sample("04-whisper-accept.xml"));

        let reply = MessagingResponse::new().message(
            "Acme Plumbing: we got your message and have paged the on-call technician. \
             Reply STOP to opt out.",
        );
        let expected = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/twilio/twiml-samples/05-sms-reply.xml"
        ))
        .unwrap();
        assert_eq!(reply.to_string(), expected);
    }

    #[test]
    fn dial_with_whisper() {
        let mut twiml = VoiceResponse::new();
        twiml.dial(Dial {
            action: Some("/twilio/voice/dial-done?case=8812".into()),
            timeout: Some(20),
            caller_id: Some("+15125550142".into()),
            number: "+15125550163".into(),
            whisper_url: Some("/twilio/voice/whisper?case=8812&x=1".into()),
        });
        let root = parse(&twiml.to_string()).unwrap();
        let dial = &root.children[0];
        assert_eq!(dial.attr("callerId"), Some("+15125550142"));
        assert_eq!(dial.attr("timeout"), Some("20"));
        let number = &dial.children[0];
        assert_eq!(number.name, "Number");
        assert_eq!(number.text, "+15125550163");
        assert_eq!(
            number.attr("url"),
            Some("/twilio/voice/whisper?case=8812&x=1")
        );
        assert!(twiml.to_string().contains("case=8812&amp;x=1"));
    }

    #[test]
    fn caller_words_are_spoken_never_parsed() {
        let hostile = [
            "</Say><Dial>+15125550199</Dial><Say>",
            "Tom & Jerry's \"plumbing\" <b>now</b>",
            "]]> <![CDATA[ x ]]> &amp; &#60;",
            "bell\u{7} and nul\u{0} removed, tab\tkept",
        ];
        for text in hostile {
            let mut gather = Gather::new(format!("/g?slot=name&said={text}"));
            gather.hints = vec![text.to_string()];
            gather.prompt = vec![text.to_string()];
            let mut twiml = VoiceResponse::new();
            twiml
                .say(text)
                .gather(gather)
                .redirect(format!("/r?q={text}"));
            let xml = twiml.to_string();

            let root = parse(&xml).unwrap();
            let clean = xml_chars(text);
            assert_eq!(root.children.len(), 3, "{xml}");
            assert_eq!(root.children[0].text, clean.trim());
            let gather = &root.children[1];
            assert_eq!(
                gather.attr("action"),
                Some(format!("/g?slot=name&said={text}").as_str())
            );
            assert_eq!(gather.attr("hints"), Some(text));
            assert_eq!(gather.children[0].text, clean.trim());
            assert_eq!(root.children[2].text, format!("/r?q={clean}").trim());

            let sms = MessagingResponse::new().message(text).to_string();
            assert_eq!(parse(&sms).unwrap().children[0].text, clean.trim());
        }
    }

    #[test]
    fn empty_documents() {
        let head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
        assert_eq!(
            VoiceResponse::new().to_string(),
            format!("{head}<Response/>")
        );
        assert_eq!(
            MessagingResponse::new().to_string(),
            format!("{head}<Response/>")
        );
    }
}
