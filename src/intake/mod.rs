//! Intake: whatever arrived, as one `Case`.
//!
//! Each channel (a Twilio voice or SMS webhook, a missed call, a voicemail
//! transcription, a web form, or a line of the call corpus) becomes the
//! same `Case`: who called, which business, on which channel, when, and
//! the words. Everything after intake works on cases only.

pub mod corpus;
pub mod phone;

use serde::{Deserialize, Serialize};

/// How the contact arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Voice,
    Sms,
    Voicemail,
    MissedCall,
    WebForm,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Voice => "voice",
            Channel::Sms => "sms",
            Channel::Voicemail => "voicemail",
            Channel::MissedCall => "missed_call",
            Channel::WebForm => "web_form",
        }
    }

    /// Whether the caller typed the words (capitals then mean shouting).
    pub fn typed(self) -> bool {
        matches!(self, Channel::Sms | Channel::WebForm)
    }
}

/// One thing the caller said: the opening, or an answer to a slot.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct Utterance {
    /// `None` for the opening; else the slot the question asked for.
    pub slot: Option<String>,
    pub text: String,
}

impl std::fmt::Debug for Utterance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Utterance({:?}, {} chars)", self.slot, self.text.len())
    }
}

/// What the weather source said for the shop at the time of the contact.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Weather {
    pub outdoor_temp_f: Option<f64>,
    #[serde(default)]
    pub hurricane_warning: bool,
}

/// A contact, whatever its channel.
#[derive(Clone, Serialize, Deserialize)]
pub struct Case {
    pub id: String,
    /// The called number, which selects the business.
    pub business: String,
    pub channel: Channel,
    pub at: jiff::Timestamp,
    /// The caller ID, E.164 where it could be read.
    pub from: String,
    pub words: Vec<Utterance>,
    pub weather: Weather,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("at", &self.at)
            .field("words", &self.words.len())
            .finish_non_exhaustive()
    }
}

impl Case {
    /// The caller's answer for `slot`, if they gave one.
    pub fn answer(&self, slot: &str) -> Option<&str> {
        self.words
            .iter()
            .find(|u| u.slot.as_deref() == Some(slot))
            .map(|u| u.text.as_str())
    }

    /// Whether there is anything to triage at all.
    pub fn has_words(&self) -> bool {
        self.words.iter().any(|u| !u.text.trim().is_empty())
    }
}

/// The most of a caller's text nightdesk reads: Twilio's own cap on a
/// text message's body. Longer input (a forged or broken request) is cut
/// at a character boundary, so no single contact can hold the store for
/// long.
pub const MAX_TEXT: usize = 1600;

/// `text` cut to at most [`MAX_TEXT`] bytes, on a character boundary.
pub fn clip(text: &str) -> &str {
    if text.len() <= MAX_TEXT {
        return text;
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
