//! The human lane's warm transfer: a caller still on the line when the
//! dialog closes is put through to the owner, who first hears a short
//! whisper of the summary. The owner's text goes out as for every human
//! contact, so the summary reaches them whether or not they pick up. This
//! module owns the words of the whisper and of a missed transfer, and the
//! handoff steps that put the transfer on the receipt.

use jiff::Timestamp;
use serde_json::json;

use crate::assessment::Assessment;
use crate::config::Business;
use crate::conversation::Conversation;
use crate::decision::Decision;
use crate::store::{self, Tx};

/// Seconds the owner's phone rings before the transfer counts as missed:
/// under the time most phones take to send a call to voicemail, so that
/// an owner who does not pick up reads as no-answer, not a voicemail
/// bridged to the caller.
pub const RING_SECONDS: u32 = 20;

/// How much of the caller's first words the whisper reads.
const SAID_CHARS: usize = 160;

/// How the owner's leg of a transfer ended, from Twilio's
/// `DialCallStatus` and `DialCallDuration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The owner answered and was connected for `seconds`.
    Talked { seconds: u32 },
    /// The owner's phone did not connect: `busy`, `no-answer`, `failed`
    /// or `canceled` (or a status Twilio adds later).
    Missed { status: String },
}

impl Outcome {
    /// Reads the dial action's parameters. `completed` is a call that was
    /// connected; `answered` is Twilio's word for the same when the dialed
    /// leg is a conference.
    ///
    /// ```
    /// # use nightdesk::dispatch::transfer::Outcome;
    /// assert_eq!(Outcome::from_dial("completed", Some("42")), Outcome::Talked { seconds: 42 });
    /// assert!(matches!(Outcome::from_dial("no-answer", Some("0")), Outcome::Missed { .. }));
    /// ```
    pub fn from_dial(status: &str, duration: Option<&str>) -> Outcome {
        match status {
            "completed" | "answered" => Outcome::Talked {
                seconds: duration.and_then(|d| d.parse().ok()).unwrap_or(0),
            },
            other => Outcome::Missed {
                status: other.to_string(),
            },
        }
    }

    pub fn connected(&self) -> bool {
        matches!(self, Outcome::Talked { .. })
    }

    fn step(&self) -> &'static str {
        match self {
            Outcome::Talked { .. } => "transfer_completed",
            Outcome::Missed { .. } => "transfer_missed",
        }
    }

    fn note(&self) -> String {
        match self {
            Outcome::Talked { seconds } => format!("on the line with the caller for {seconds} s"),
            Outcome::Missed { status } => match status.as_str() {
                "busy" => "the line was busy".into(),
                "no-answer" => format!("no answer in {RING_SECONDS} s"),
                "failed" => "the call could not be placed".into(),
                "canceled" => "the call ended before it was answered".into(),
                other => format!("the call ended as {other}"),
            },
        }
    }
}

/// The whisper: what the owner hears on answering, before the caller is
/// put through. Short, and only what helps them take the call: the trade,
/// how urgent, any hazard, why it came to them, who and the callback
/// number digit by digit, and the caller's first words. Pure.
pub fn whisper(business: &Business, c: &Conversation, a: &Assessment, d: &Decision) -> String {
    let trade = match a.trade.as_deref() {
        // Read as its letters, as people in the trade say it.
        Some("hvac") => "HVAC".to_string(),
        Some(trade) => capitalized(trade),
        None => "Trade unclear".to_string(),
    };
    let hazard = match (&a.hazard, a.unclear_safety) {
        (Some(h), _) => format!(" Hazard: {h}; the safety script was said."),
        (None, true) => " The caller is unsure about a safety hazard.".into(),
        _ => String::new(),
    };
    let name = c
        .words
        .iter()
        .find(|u| u.slot.as_deref() == Some("name"))
        .map_or("The caller", |u| u.text.as_str());
    let said: String = c
        .words
        .first()
        .map(|u| u.text.chars().take(SAID_CHARS).collect())
        .unwrap_or_default();
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(" They said: {said}.")
    };
    format!(
        "{} after-hours line, a caller for you. {trade}, urgency {}.{hazard} {}. \
         {name}, callback number {}.{said} Connecting you now.",
        business.name,
        a.urgency.score,
        d.rule_says.trim_end_matches('.'),
        spoken_digits(&c.callback()),
    )
}

/// What the caller hears when the owner did not pick up: plainly that,
/// and how they will be reached. Pure.
pub fn missed(business: &Business, c: &Conversation, a: &Assessment) -> String {
    let danger = if a.hazard.is_some() || a.unclear_safety {
        " If anyone is in danger, leave the building and call 911."
    } else {
        ""
    };
    format!(
        "I couldn't reach {} right now. They have your details and will call you \
         back{}.{danger} Goodbye.",
        business.owner.name,
        crate::intake::phone::at_number(&c.callback()),
    )
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or(String::new(), |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// A phone number as it is read out, digit by digit, a US number in its
/// three groups: "+16125550177" gives "6 1 2, 5 5 5, 0 1 7 7".
fn spoken_digits(number: &str) -> String {
    let digits: Vec<String> = number
        .chars()
        .filter(char::is_ascii_digit)
        .map(String::from)
        .collect();
    let national = match digits.len() {
        11 if number.starts_with("+1") => &digits[1..],
        _ => &digits[..],
    };
    if national.len() == 10 {
        [&national[..3], &national[3..6], &national[6..]]
            .map(|group| group.join(" "))
            .join(", ")
    } else {
        national.join(" ")
    }
}

/// Who the transfer rings: the person the human lane alerts.
fn owner_name<'a>(business: &'a Business, d: &'a Decision) -> &'a str {
    d.alert.as_ref().map_or(&business.owner.name, |a| &a.name)
}

async fn handoff(
    tx: &mut Tx<'_>,
    contact_id: &str,
    step: &str,
    who: &str,
    note: Option<String>,
    now: i64,
) -> Result<(), store::Error> {
    let at = Timestamp::from_millisecond(now)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let body = json!({"at": at, "step": step, "who": who, "role": "owner", "note": note});
    tx.event(contact_id, "handoff", &body, now).await
}

/// The dialog closed into a transfer to `name`: the first step, written
/// before the contact's first receipt so that it shows there.
///
/// # Errors
///
/// When the store fails.
pub async fn dialed(
    tx: &mut Tx<'_>,
    contact_id: &str,
    name: &str,
    now: i64,
) -> Result<(), store::Error> {
    let note = format!("warm transfer, ringing {RING_SECONDS} s");
    handoff(tx, contact_id, "transfer_dialed", name, Some(note), now).await
}

/// The owner answered the transfer and is hearing the whisper: they have
/// the call. Rewrites the receipt.
///
/// # Errors
///
/// When the store fails.
pub async fn answered(
    tx: &mut Tx<'_>,
    business: &Business,
    c: &Conversation,
    a: &Assessment,
    d: &Decision,
    now: Timestamp,
) -> Result<(), store::Error> {
    let who = owner_name(business, d);
    let note = Some("heard the summary before the caller was put through".to_string());
    let ms = now.as_millisecond();
    handoff(tx, &c.contact_id, "transfer_answered", who, note, ms).await?;
    super::plan::write_receipt(tx, business, c, a, d, now).await?;
    Ok(())
}

/// The owner's leg ended: talked or missed. Rewrites the receipt.
///
/// # Errors
///
/// When the store fails.
pub async fn ended(
    tx: &mut Tx<'_>,
    business: &Business,
    c: &Conversation,
    a: &Assessment,
    d: &Decision,
    outcome: &Outcome,
    now: Timestamp,
) -> Result<(), store::Error> {
    let who = owner_name(business, d);
    let ms = now.as_millisecond();
    handoff(
        tx,
        &c.contact_id,
        outcome.step(),
        who,
        Some(outcome.note()),
        ms,
    )
    .await?;
    super::plan::write_receipt(tx, business, c, a, d, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_digit_by_digit() {
        let cases = [
            ("+16125550177", "6 1 2, 5 5 5, 0 1 7 7"),
            ("6125550177", "6 1 2, 5 5 5, 0 1 7 7"),
            ("+442071838750", "4 4 2 0 7 1 8 3 8 7 5 0"),
            ("", ""),
        ];
        for (number, spoken) in cases {
            assert_eq!(spoken_digits(number), spoken, "{number}");
        }
    }

    #[test]
    fn a_dial_status_is_talked_or_missed() {
        let cases = [
            ("completed", Some("95"), Outcome::Talked { seconds: 95 }),
            ("answered", None, Outcome::Talked { seconds: 0 }),
            (
                "busy",
                Some("0"),
                Outcome::Missed {
                    status: "busy".into(),
                },
            ),
            (
                "no-answer",
                Some("0"),
                Outcome::Missed {
                    status: "no-answer".into(),
                },
            ),
        ];
        for (status, duration, want) in cases {
            assert_eq!(Outcome::from_dial(status, duration), want, "{status}");
        }
        assert_eq!(
            Outcome::from_dial("no-answer", None).note(),
            "no answer in 20 s"
        );
    }
}
