//! The call corpus format (`calls.jsonl`): one labelled contact a line.
//!
//! `triage`, `replay`, `demo` and the tests read it. The labels (`expect`)
//! are kept apart from the case so nothing downstream can peek at them.

use serde::Deserialize;

use super::{Case, Channel, Utterance, Weather};

/// One line of a corpus file.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub id: String,
    pub business: String,
    pub channel: Channel,
    /// Local wall-clock time with its offset, RFC 3339.
    pub at: String,
    pub from: String,
    #[serde(default)]
    pub context: Context,
    #[serde(default)]
    pub opening: String,
    #[serde(default)]
    pub answers: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub web_form: Option<serde_json::Value>,
    #[serde(default)]
    pub expect: Option<Expect>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Context {
    pub outdoor_temp_f: Option<f64>,
    #[serde(default)]
    pub hurricane_warning: bool,
}

/// The labels a case carries: what nightdesk must conclude.
#[derive(Debug, Clone, Deserialize)]
pub struct Expect {
    pub trade: Option<String>,
    pub in_area: Option<bool>,
    pub existing_customer: bool,
    pub hazard: Option<String>,
    pub unclear_safety: bool,
    pub angry: bool,
    pub over_threshold: bool,
    pub spam: bool,
    pub urgency_min: i64,
    pub urgency_max: i64,
    pub lane: Option<String>,
    pub safety_script: Option<String>,
    pub alert_to: Option<String>,
    pub after_hours: bool,
}

/// Why a corpus line could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
}

/// Reads every line of a corpus.
///
/// # Errors
///
/// The first line that is not a corpus entry, with its number.
pub fn parse(text: &str) -> Result<Vec<Entry>, Error> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| Error::Line {
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

impl Entry {
    /// The case as nightdesk would have received it: the opening, then
    /// each answer under its slot, in the order the corpus gives them.
    ///
    /// # Errors
    ///
    /// When `at` is not an RFC 3339 time with an offset.
    pub fn case(&self) -> Result<Case, Error> {
        let at = self
            .at
            .parse::<jiff::Timestamp>()
            .map_err(|e| Error::Line {
                line: 0,
                message: format!("{}: bad time: {e}", self.id),
            })?;
        let mut words = Vec::new();
        if !self.opening.trim().is_empty() {
            words.push(Utterance {
                slot: None,
                text: self.opening.clone(),
            });
        }
        for (slot, value) in &self.answers {
            if let Some(text) = value.as_str() {
                words.push(Utterance {
                    slot: Some(slot.clone()),
                    text: text.to_string(),
                });
            }
        }
        Ok(Case {
            id: self.id.clone(),
            business: self.business.clone(),
            channel: self.channel,
            at,
            from: super::phone::normalize(&self.from).unwrap_or_else(|| self.from.clone()),
            words,
            weather: Weather {
                outdoor_temp_f: self.context.outdoor_temp_f,
                hurricane_warning: self.context.hurricane_warning,
            },
        })
    }

    /// The address the caller gave, for area checks without a dialog.
    pub fn address(&self) -> Option<&str> {
        self.answers.get("address").and_then(|v| v.as_str())
    }
}
