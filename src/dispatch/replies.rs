//! Texts from the team: a technician's accept or pass, and Twilio's
//! opt-out words. Anything else from a team member gets a one-line help.

use jiff::Timestamp;

use super::escalation::{self, Outcome, Via};
use crate::config::Business;
use crate::server::App;
use crate::store::{self, Tx};

/// What a team member's reply means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Pass,
    Unclear,
}

/// Reads a reply: "yes", "y", "ok", "1", "take it" accept; "no", "n",
/// "pass", "9" pass.
pub fn read(text: &str) -> Answer {
    let t = text.trim().trim_end_matches(['.', '!']).to_lowercase();
    match t.as_str() {
        "yes" | "y" | "ok" | "okay" | "1" | "take it" | "accept" | "on it" | "yep" => {
            Answer::Accept
        }
        "no" | "n" | "pass" | "9" | "can't" | "cant" | "decline" => Answer::Pass,
        _ => Answer::Unclear,
    }
}

/// Handles a text from a technician or the owner; `None` when the sender
/// is not on the team, so the text is a caller's.
///
/// # Errors
///
/// When the store fails.
pub async fn handle(
    tx: &mut Tx<'_>,
    app: &App,
    business: &Business,
    from: &str,
    text: &str,
    now: Timestamp,
) -> Result<Option<String>, store::Error> {
    let on_team = business
        .schedule
        .technicians
        .iter()
        .any(|t| t.phone == from)
        || business.owner.phone == from;
    if !on_team {
        return Ok(None);
    }
    let answer = read(text);
    if answer == Answer::Unclear {
        return Ok(Some(reply("Reply YES to take the job or NO to pass.")));
    }
    let ms = now.as_millisecond();
    let Some((contact_id, person)) = escalation::find_by_phone(tx, business, from, ms).await?
    else {
        return Ok(Some(reply(&Outcome::NotAsked.says())));
    };
    // A conflict (another acceptance committed first) fails the webhook;
    // Twilio's retry then reads the chain as it now stands.
    let outcome = match answer {
        Answer::Accept => {
            escalation::accept(tx, business, &contact_id, &person, Via::Text, ms).await?
        }
        _ => escalation::pass(tx, app, business, &contact_id, &person, Via::Text, ms).await?,
    };
    if matches!(outcome, Outcome::Accepted | Outcome::Passed) {
        escalation::rewrite_receipt(tx, business, &contact_id, ms).await?;
    }
    Ok(Some(reply(&outcome.says())))
}

fn reply(text: &str) -> String {
    crate::twilio::MessagingResponse::new()
        .message(text)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_accept_and_pass() {
        for (text, want) in [
            ("YES", Answer::Accept),
            ("y", Answer::Accept),
            ("1", Answer::Accept),
            ("Take it", Answer::Accept),
            ("no", Answer::Pass),
            ("9", Answer::Pass),
            ("pass.", Answer::Pass),
            ("who is this", Answer::Unclear),
        ] {
            assert_eq!(read(text), want, "{text}");
        }
    }
}
