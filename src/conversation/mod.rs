//! Conversation: the slot-filling dialog, the same for voice and text.
//!
//! The dialog asks for the problem first, says the owner's safety script
//! the moment a hazard is heard, then asks only what is still missing:
//! the safety checks the rules need, the follow-ups whose answer could
//! change the lane, the address, the callback number and the name. Its
//! state is plain data, stored per contact, so any instance can take the
//! next turn. Rendering to TwiML or a text message is the edge's job.

mod questions;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::assessment::{self, facts::State, Assessment};
use crate::config::Business;
use crate::decision;
use crate::intake::{Case, Channel, Utterance, Weather};
use crate::rules::{Condition, Variables};
use questions::{Purpose, QUESTIONS};

/// The slot of the caller's first words.
pub const OPENING: &str = "opening";

/// How a conversation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// Every question answered and the close said.
    Completed,
    /// The caller hung up before the close.
    HungUp,
    /// The caller left a voicemail instead.
    Voicemail,
}

/// One conversation's state.
#[derive(Clone, Serialize, Deserialize)]
pub struct Conversation {
    pub contact_id: String,
    pub business: String,
    pub channel: Channel,
    pub caller: String,
    pub call_sid: Option<String>,
    pub started_at: Timestamp,
    pub weather: Weather,
    pub words: Vec<Utterance>,
    /// Every question asked, by slot, in order (a repeat counts again).
    pub asked: Vec<String>,
    /// The slot the last question asked for.
    pub pending: Option<String>,
    /// Times in a row the pending question was not heard.
    pub misses: u8,
    /// The script said, by name, and whether it came before any question.
    pub script_said: Option<String>,
    pub script_first: Option<bool>,
    /// Turns taken: names each step for idempotency.
    pub step: u32,
    pub ended: Option<Ending>,
    /// When the dialog first knew the lane was emergency.
    pub qualified_at: Option<Timestamp>,
    /// The caller's voicemail recording at Twilio, where one was left.
    #[serde(default)]
    pub recording: Option<String>,
    /// Photos the caller texted (MMS media at Twilio), in order.
    #[serde(default)]
    pub photos: Vec<String>,
}

impl std::fmt::Debug for Conversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversation")
            .field("contact_id", &self.contact_id)
            .field("step", &self.step)
            .field("pending", &self.pending)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

/// What was heard in answer to a question.
#[derive(Debug, Clone)]
pub enum Heard {
    Speech {
        text: String,
        confidence: Option<f64>,
    },
    Digits(String),
    Nothing,
}

/// What the dialog says next, and what it waits for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    pub say: Vec<String>,
    pub next: Next,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Next {
    /// Ask for a slot; `keypad` when speech failed and digits are wanted.
    Ask {
        slot: String,
        prompt: String,
        keypad: Option<u32>,
    },
    /// Take a voicemail.
    Record,
    /// Say goodbye and end.
    Close,
    /// Put the caller through to `to` (the owner), whose name is `name`:
    /// the warm transfer of the human lane. The dialog is over, as with
    /// `Close`; only a caller on the phone is ever transferred.
    Transfer { name: String, to: String },
}

impl Next {
    /// The dialog is over: closed, or handed to a person.
    pub fn ends_dialog(&self) -> bool {
        matches!(self, Next::Close | Next::Transfer { .. })
    }
}

impl Conversation {
    /// A new conversation, with its greeting and first question.
    pub fn start(
        contact_id: String,
        business: &Business,
        channel: Channel,
        caller: String,
        now: Timestamp,
        weather: Weather,
    ) -> (Conversation, Reply) {
        let conversation = Conversation {
            contact_id,
            business: business.number.clone(),
            channel,
            caller,
            call_sid: None,
            started_at: now,
            weather,
            words: Vec::new(),
            asked: Vec::new(),
            pending: Some(OPENING.into()),
            misses: 0,
            script_said: None,
            script_first: None,
            step: 0,
            ended: None,
            qualified_at: None,
            recording: None,
            photos: Vec::new(),
        };
        let greeting = format!(
            "Thanks for calling {}. You've reached our after-hours line, and I'm an automated assistant; I'll get your message to the right person tonight.",
            business.name
        );
        let prompt = "In a few words, what's going on?".to_string();
        let reply = Reply {
            say: vec![greeting],
            next: Next::Ask {
                slot: OPENING.into(),
                prompt,
                keypad: None,
            },
        };
        (conversation, reply)
    }

    /// A text conversation starts with the caller's first message.
    pub fn start_text(
        contact_id: String,
        business: &Business,
        caller: String,
        now: Timestamp,
        weather: Weather,
        first: &str,
    ) -> (Conversation, Reply) {
        let (mut c, _) =
            Conversation::start(contact_id, business, Channel::Sms, caller, now, weather);
        let reply = c.answer(
            business,
            Heard::Speech {
                text: first.to_string(),
                confidence: None,
            },
            now,
        );
        (c, reply)
    }

    /// The case so far, for assessment.
    pub fn case(&self) -> Case {
        Case {
            id: self.contact_id.clone(),
            business: self.business.clone(),
            channel: self.channel,
            at: self.started_at,
            from: self.caller.clone(),
            words: self.words.clone(),
            weather: self.weather,
        }
    }

    /// Takes the caller's answer to the pending question and decides what
    /// comes next.
    pub fn answer(&mut self, business: &Business, heard: Heard, now: Timestamp) -> Reply {
        self.step += 1;
        let slot = self
            .pending
            .clone()
            .unwrap_or_else(|| "anything else".into());
        let text = match heard {
            Heard::Speech { text, confidence }
                if confidence.is_none_or(|c| c >= business.min_confidence)
                    && !text.trim().is_empty() =>
            {
                Some(text)
            }
            Heard::Digits(d) if !d.is_empty() => Some(if slot == "address" {
                format!("zip {d}")
            } else {
                d
            }),
            _ => None,
        };
        let Some(text) = text else {
            return self.not_heard(&slot);
        };
        self.misses = 0;
        self.words.push(Utterance {
            slot: (slot != OPENING).then_some(slot),
            text,
        });
        self.next(business, now)
    }

    /// The caller said nothing usable: ask again, then the keypad for
    /// numbers, then take a voicemail.
    fn not_heard(&mut self, slot: &str) -> Reply {
        self.misses += 1;
        let numeric = matches!(slot, "callback_number" | "address");
        let (prompt, keypad) = match (self.misses, numeric) {
            (1, _) => (
                "Sorry, I didn't catch that. ".to_string() + &retry_prompt(slot),
                None,
            ),
            (2, true) if slot == "address" => (
                "Please enter the ZIP code of the address on your keypad.".to_string(),
                Some(5),
            ),
            (2, true) => (
                "Please enter the best number to reach you on your keypad.".to_string(),
                Some(10),
            ),
            _ => {
                self.pending = Some("voicemail".into());
                return Reply {
                    say: vec!["I'm having trouble hearing you. Please leave a message after the tone with your name, address and what's going on, and we'll call you back.".into()],
                    next: Next::Record,
                };
            }
        };
        Reply {
            say: Vec::new(),
            next: Next::Ask {
                slot: slot.to_string(),
                prompt,
                keypad,
            },
        }
    }

    fn next(&mut self, business: &Business, now: Timestamp) -> Reply {
        let case = self.case();
        let a = assessment::assess(&case, business);
        let d = decision::decide(&case, business, &a);
        let mut say = Vec::new();
        if let (None, Some(script)) = (&self.script_said, &d.safety_words) {
            say.push(script.clone());
            self.script_said = d.safety_script.clone();
            self.script_first = Some(self.asked.is_empty());
        }
        if d.lane.as_deref() == Some("emergency") && self.qualified_at.is_none() {
            self.qualified_at = Some(now);
        }
        let next = if a.spam {
            None
        } else {
            self.choose(business, &case, &a)
        };
        match next {
            Some((slot, prompt)) => {
                self.asked.push(slot.clone());
                self.pending = Some(slot.clone());
                Reply {
                    say,
                    next: Next::Ask {
                        slot,
                        prompt,
                        keypad: None,
                    },
                }
            }
            None => {
                self.pending = None;
                self.ended = Some(Ending::Completed);
                if let Some(owner) = self.transfer_to(&a, &d) {
                    say.push(connecting(&owner.name, &self.callback()));
                    let (name, to) = (owner.name.clone(), owner.phone.clone());
                    return Reply {
                        say,
                        next: Next::Transfer { name, to },
                    };
                }
                say.push(closing(business, &a, &d, self.callback(), now));
                Reply {
                    say,
                    next: Next::Close,
                }
            }
        }
    }

    /// Whom a closing call is put through to: the person the human lane
    /// alerts, when the caller is on the phone with the dialog. A text,
    /// a voicemail or a hang-up never comes here with the caller waiting.
    fn transfer_to<'d>(
        &self,
        a: &Assessment,
        d: &'d decision::Decision,
    ) -> Option<&'d decision::Alert> {
        if self.channel != Channel::Voice || d.lane.as_deref() != Some("human") {
            return None;
        }
        // After hours the owner's phone rings only for what cannot wait
        // (a safety doubt, a hazard, a call with no words); an angry
        // caller or a big quote gets a text and a call in the morning.
        if a.after_hours && !crate::dispatch::plan::owner_now(a) {
            return None;
        }
        d.alert.as_ref().filter(|a| !a.phone.is_empty())
    }

    fn was_asked(&self, slot: &str) -> bool {
        self.asked.iter().any(|s| s == slot)
    }

    /// What the close of the dialog says for this contact's lane, for a
    /// caller who was not on the line to hear it (a voicemail, a hang-up,
    /// a web form).
    pub fn closing_words(&self, business: &Business, now: Timestamp) -> String {
        let case = self.case();
        let a = assessment::assess(&case, business);
        let d = decision::decide(&case, business, &a);
        closing(business, &a, &d, self.callback(), now)
    }

    /// The callback number: the one the caller gave, else the caller ID.
    pub fn callback(&self) -> String {
        self.words
            .iter()
            .filter(|u| u.slot.as_deref() == Some("callback_number"))
            .find_map(|u| {
                crate::intake::phone::normalize(&u.text)
                    .or_else(|| crate::intake::phone::spoken(&u.text))
            })
            .unwrap_or_else(|| self.caller.clone())
    }

    /// The next slot to ask for, or `None` when it is time to close.
    fn choose(&self, business: &Business, case: &Case, a: &Assessment) -> Option<(String, String)> {
        if !self.was_asked("problem")
            && a.trade.is_none()
            && a.hazard.is_none()
            && !a.unclear_safety
        {
            return Some((
                "problem".into(),
                "Can you tell me a little more about the problem?".into(),
            ));
        }
        if let Some(q) = self.follow_up(business, case, a) {
            return Some(q);
        }
        if !self.was_asked("address") && a.in_area.is_none() {
            return Some((
                "address".into(),
                "What's the address where you need the service, with the ZIP code?".into(),
            ));
        }
        if !self.was_asked("callback_number") {
            let last4 = crate::intake::phone::last_four(&self.caller);
            let heard = a
                .address
                .as_ref()
                .map(read_back)
                .map(|s| format!("I have the address as {s}. "))
                .unwrap_or_default();
            // A withheld caller ID has no number to confirm: ask for one.
            let ask = if last4.len() < 4 {
                "What number is the best one to reach you?".to_string()
            } else {
                format!("Is the number ending in {last4} the best one to reach you? If not, tell me the best number.")
            };
            return Some(("callback_number".into(), format!("{heard}{ask}")));
        }
        if !self.was_asked("name") {
            return Some(("name".into(), "And your name, please?".into()));
        }
        let lane = decision::decide(case, business, a).lane;
        let routine = matches!(lane.as_deref(), Some("booking" | "priority"));
        if routine && !a.existing_customer && !self.was_asked("existing_customer") {
            return Some((
                "existing_customer".into(),
                "Have we worked for you before?".into(),
            ));
        }
        None
    }

    /// The first safety check or lane-changing follow-up still open.
    fn follow_up(
        &self,
        business: &Business,
        case: &Case,
        a: &Assessment,
    ) -> Option<(String, String)> {
        let vars = fact_vars(a);
        let read = names_read(business);
        for q in QUESTIONS {
            if self.was_asked(q.slot) || !read.iter().any(|n| n == q.fact) {
                continue;
            }
            let applies = Condition::compile(q.when)
                .and_then(|c| c.eval(&vars))
                .unwrap_or(false);
            if !applies {
                continue;
            }
            let known = a.facts.hits.iter().any(|h| h.fact == q.fact);
            let worth = match q.purpose {
                Purpose::Safety => !known || a.facts.state(q.fact) == State::Doubtful,
                Purpose::Context => !known,
                Purpose::FollowUp => {
                    !known
                        && decision::lane_if(case, business, a, q.fact, true)
                            != decision::lane_if(case, business, a, q.fact, false)
                }
            };
            if worth {
                return Some((q.slot.to_string(), q.ask.to_string()));
            }
        }
        None
    }

    /// The caller hung up: the dialog ends with what was said.
    pub fn hang_up(&mut self) {
        if self.ended.is_none() {
            self.ended = Some(Ending::HungUp);
            self.pending = None;
        }
    }

    /// Questions asked, not counting the greeting's.
    pub fn questions(&self) -> usize {
        self.asked.len()
    }
}

fn fact_vars(a: &Assessment) -> Variables {
    let mut v = Variables::default();
    for name in assessment::facts::names() {
        v.bool(name, a.facts.said(name));
    }
    v
}

/// Every name the business's rules and scripts read.
fn names_read(business: &Business) -> Vec<String> {
    let mut names: Vec<String> = business
        .urgency
        .iter()
        .flat_map(|g| g.tiers.iter().flat_map(|t| t.when.variables()))
        .chain(business.routes.iter().flat_map(|r| r.when.variables()))
        .chain(business.safety.iter().map(|s| s.fact.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The close of a call that is put through to `name`: said before the
/// `<Dial>`, so it also tells the caller what happens if nobody answers.
fn connecting(name: &str, callback: &str) -> String {
    let at = crate::intake::phone::at_number(callback);
    format!(
        "I'm connecting you to {name} now, so please stay on the line. I've also \
         texted them your details, and if the call doesn't go through they'll call \
         you back{at}."
    )
}

fn retry_prompt(slot: &str) -> String {
    match slot {
        OPENING | "problem" => "What's going on?".into(),
        "address" => "What's the address, with the ZIP code?".into(),
        "callback_number" => "What's the best number to reach you?".into(),
        "name" => "What's your name?".into(),
        _ => QUESTIONS
            .iter()
            .find(|q| q.slot == slot)
            .map_or("Could you say that again?".into(), |q| q.ask.to_string()),
    }
}

/// An address as it is read back to the caller.
fn read_back(a: &assessment::address::Address) -> String {
    let parts = [
        &a.number,
        &a.predirectional,
        &a.street,
        &a.suffix,
        &a.postdirectional,
        &a.unit_type,
        &a.unit,
        &a.city,
        &a.zip,
    ];
    parts
        .iter()
        .filter_map(|p| p.as_deref())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The close, in words fit for the lane.
fn closing(
    business: &Business,
    a: &Assessment,
    d: &decision::Decision,
    callback: String,
    now: Timestamp,
) -> String {
    let at = crate::intake::phone::at_number(&callback);
    match d.lane.as_deref() {
        Some("emergency") => format!(
            "I'm alerting our on-call technician right now. They'll call you back{at} within a few minutes. If anyone is in danger, call 911."
        ),
        Some("human") if crate::dispatch::plan::owner_now(a) => format!(
            "I'm getting this to {} now, and they'll call you back shortly{at}.",
            business.owner.name
        ),
        Some("human") if a.after_hours => {
            format!("I've passed this to {}. Expect a call first thing in the morning.", business.owner.name)
        }
        Some("human") => format!("I've passed this to {}, who will call you back today.", business.owner.name),
        Some("priority") => match crate::dispatch::plan::priority_at(business, a, now) {
            None => format!(
                "Thanks. I've passed this to {} as a priority for your account, and they'll be in touch shortly.",
                business.owner.name
            ),
            Some(_) => format!(
                "Thanks. I've put this in our priority queue for your account, and {} will be in touch first thing in the morning.",
                business.owner.name
            ),
        },
        Some("booking") if business.booking.is_some() => {
            "Thanks. I've asked for a visit, and we'll text you the next open times. Reply with the number of the one you want.".into()
        }
        Some("booking") => "Thanks. I've asked for a visit, and the office will call you to set a time.".into(),
        Some("decline") => match (&d.referral, a.in_area) {
            (_, Some(false)) => format!("I'm sorry, that address is outside the area {} serves, so we can't send someone. Please try a local company.", business.name),
            (Some(r), _) => format!("I'm sorry, that's not work we do. {r} may be able to help."),
            (None, _) => "I'm sorry, that's not work we do, so we can't send someone for this.".into(),
        },
        _ => "Thanks for calling. Goodbye.".into(),
    }
}

/// Which slot a question asks for, from its words: how a text replay (or
/// a person reading the transcript) tells one question from another when
/// the channel carries no slot name.
pub fn slot_for_prompt(text: &str) -> Option<&'static str> {
    let fixed: [(&str, &str); 6] = [
        (OPENING, "what's going on?"),
        ("problem", "more about the problem?"),
        ("address", "with the ZIP code?"),
        ("callback_number", "best one to reach you?"),
        ("name", "your name, please?"),
        ("existing_customer", "worked for you before?"),
    ];
    let found = fixed
        .iter()
        .map(|(slot, phrase)| (*slot, text.rfind(phrase)))
        .chain(QUESTIONS.iter().map(|q| (q.slot, text.rfind(q.ask))));
    found
        .filter_map(|(slot, at)| at.map(|a| (a, slot)))
        .max()
        .map(|(_, slot)| slot)
}
