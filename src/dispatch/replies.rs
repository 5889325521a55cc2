//! Texts from the team: a technician's accept or pass, and Twilio's
//! opt-out words. Anything else from a team member gets a one-line help.

use jiff::Timestamp;

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
        "yes" | "y" | "ok" | "okay" | "1" | "take it" | "accept" | "on it" | "yep" => Answer::Accept,
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
pub async fn handle(tx: &mut Tx<'_>, app: &App, business: &Business, from: &str, text: &str, now: Timestamp) -> Result<Option<String>, store::Error> {
    let on_team = business.schedule.technicians.iter().any(|t| t.phone == from) || business.owner.phone == from;
    if !on_team {
        return Ok(None);
    }
    let _ = (tx, app, now);
    let reply = match read(text) {
        Answer::Accept | Answer::Pass => {
            // FIXME(#4): accept and pass are recognised but the escalation
            // chain that acts on them is not built yet.
            "Thanks, noted."
        }
        Answer::Unclear => "Reply YES to take the job or NO to pass.",
    };
    Ok(Some(crate::twilio::MessagingResponse::new().message(reply).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_accept_and_pass() {
        for (text, want) in [("YES", Answer::Accept), ("y", Answer::Accept), ("1", Answer::Accept), ("Take it", Answer::Accept), ("no", Answer::Pass), ("9", Answer::Pass), ("pass.", Answer::Pass), ("who is this", Answer::Unclear)] {
            assert_eq!(read(text), want, "{text}");
        }
    }
}
