//! The receipt: one per contact, versioned, the same in the store, the
//! sinks and the command line. It answers the owner's two questions about
//! any contact: why did it go where it went, and who picked it up.

use serde::{Deserialize, Serialize};

use crate::assessment::Assessment;
use crate::config::Business;
use crate::conversation::Conversation;
use crate::decision::Decision;
use crate::store::MessageRow;

/// Bumped when the receipt's shape changes in a way readers must know.
pub const SCHEMA: &str = "nightdesk.receipt/1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receipt {
    pub schema: String,
    /// `CONTACT:VERSION`: what sinks use to recognise a write they have.
    pub receipt_id: String,
    pub contact_id: String,
    pub version: i64,
    pub business: BusinessRef,
    pub caller: Caller,
    pub channel: String,
    pub started_at: String,
    pub local_time: String,
    pub after_hours: bool,
    pub address: AddressRef,
    pub trade: Option<String>,
    pub trade_offered: bool,
    pub issue: Issue,
    pub facts: Vec<FactRef>,
    pub hazard: Option<String>,
    pub unclear_safety: bool,
    pub angry: Vec<String>,
    pub spam: bool,
    pub over_threshold: bool,
    pub estimates: Vec<String>,
    pub safety_script: Option<String>,
    pub safety_script_first: Option<bool>,
    pub urgency: UrgencyRef,
    pub lane: Option<String>,
    pub rule: Option<String>,
    pub rule_says: String,
    pub passed_over: Vec<(String, String)>,
    pub first_alert: Option<AlertRef>,
    pub copy_owner: bool,
    pub referral: Option<String>,
    pub messages: Vec<MessageRef>,
    pub handoff: Vec<HandoffStep>,
    /// The booking lane's offer and the window taken, if any.
    #[serde(default)]
    pub booking: Option<BookingRef>,
    pub dialog: Dialog,
    pub timings: Timings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BusinessRef {
    pub number: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Caller {
    pub number: String,
    pub name: Option<String>,
    pub callback_number: String,
    pub existing_customer: bool,
    pub commercial_account: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddressRef {
    pub heard: Option<String>,
    pub normalised: Option<String>,
    pub zip: Option<String>,
    pub in_area: Option<bool>,
    pub why: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Issue {
    /// The caller's words, by slot, in the order said.
    pub words: Vec<(Option<String>, String)>,
    pub summary: String,
    /// The voicemail recording's URL at Twilio.
    #[serde(default)]
    pub recording: Option<String>,
    /// The photos' URLs at Twilio, in the order they came.
    #[serde(default)]
    pub photos: Vec<String>,
    /// What became of each photo: kept under the data dir, not fetched
    /// (and why), or not fetched yet; one per entry of `photos`.
    #[serde(default)]
    pub media: Vec<MediaRef>,
}

/// A photo the caller texted, as nightdesk kept it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MediaRef {
    /// Its place in the contact's `photos`, from 0.
    pub n: usize,
    /// Where Twilio had it.
    pub url: String,
    /// `stored`, `failed` or `pending`.
    pub status: String,
    /// Under the data dir, e.g. `media/CONTACT/0.jpg`, once stored.
    pub file: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Option<u64>,
    /// Hex SHA-256 of the stored file.
    pub sha256: Option<String>,
    /// Why a photo could not be fetched.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FactRef {
    pub fact: String,
    pub said: String,
    pub words: String,
    pub slot: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UrgencyRef {
    pub score: i64,
    pub level: String,
    pub emergency_bar: i64,
    pub contributions: Vec<Contribution>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contribution {
    pub rule: String,
    pub points: i64,
    pub says: String,
    pub evidence: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertRef {
    pub role: String,
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageRef {
    pub to: String,
    pub role: String,
    pub kind: String,
    pub text: String,
    pub provider_id: Option<String>,
    pub status: String,
    pub error_code: Option<i64>,
    pub at: String,
}

/// One step of a handoff: who was alerted, who accepted or passed, when.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HandoffStep {
    pub at: String,
    pub step: String,
    pub who: String,
    pub role: String,
    pub note: Option<String>,
}

/// What the booking lane offered the caller and what they took.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BookingRef {
    pub trade: Option<String>,
    /// The windows last offered, in order.
    pub offered: Vec<Window>,
    pub booked: Option<Window>,
    /// When the owner is texted to set a time by phone, if they are.
    pub queued_for_owner: Option<String>,
    /// The booking's event on the owner's Google Calendar.
    #[serde(default)]
    pub calendar_event: Option<String>,
    /// Why the booking could not be put on the calendar.
    #[serde(default)]
    pub calendar_error: Option<String>,
}

/// A booking window: UTC instants and the words the caller was sent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Window {
    pub start: String,
    pub end: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dialog {
    pub questions: usize,
    pub asked: Vec<String>,
    pub ending: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timings {
    pub call_started: String,
    pub qualified: Option<String>,
    pub first_alert: Option<String>,
    /// Call start to the first alert request leaving, in milliseconds.
    pub call_to_alert_ms: Option<i64>,
    /// Qualifying as an emergency to the first alert request leaving.
    pub qualified_to_alert_ms: Option<i64>,
}

/// What goes into a receipt besides the dialog and its triage.
pub struct Inputs<'a> {
    pub business: &'a Business,
    pub conversation: &'a Conversation,
    pub assessment: &'a Assessment,
    pub decision: &'a Decision,
    pub messages: &'a [MessageRow],
    pub handoff: &'a [HandoffStep],
    pub booking: Option<BookingRef>,
    /// The contact's `media` events, oldest first.
    pub media: &'a [serde_json::Value],
    pub version: i64,
}

fn rfc3339_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Builds a receipt. Pure.
pub fn build(i: &Inputs<'_>) -> Receipt {
    let (c, a, d, b) = (i.conversation, i.assessment, i.decision, i.business);
    let name = c
        .words
        .iter()
        .find(|u| u.slot.as_deref() == Some("name"))
        .map(|u| u.text.clone());
    let first_alert_ms = i
        .messages
        .iter()
        .filter(|m| m.role == "technician" || m.role == "owner")
        .map(|m| m.created_at)
        .min();
    let start_ms = c.started_at.as_millisecond();
    let level = match (d.lane.as_deref(), a.urgency.score) {
        (_, s) if s >= b.emergency_bar => "emergency",
        (_, s) if s >= b.emergency_bar / 2 => "urgent",
        _ => "routine",
    };
    Receipt {
        schema: SCHEMA.into(),
        receipt_id: format!("{}:{}", c.contact_id, i.version),
        contact_id: c.contact_id.clone(),
        version: i.version,
        business: BusinessRef {
            number: b.number.clone(),
            name: b.name.clone(),
        },
        caller: Caller {
            number: c.caller.clone(),
            name,
            callback_number: c.callback(),
            existing_customer: a.existing_customer,
            commercial_account: a.commercial.clone(),
        },
        channel: c.channel.as_str().into(),
        started_at: c.started_at.to_string(),
        local_time: a.local_time.clone(),
        after_hours: a.after_hours,
        address: AddressRef {
            heard: a.address_heard.clone(),
            normalised: a.address.as_ref().map(one_line),
            zip: a.address.as_ref().and_then(|x| x.zip.clone()),
            in_area: a.in_area,
            why: a.area_reason.clone(),
        },
        trade: a.trade.clone(),
        trade_offered: a.trade_offered,
        issue: Issue {
            words: c
                .words
                .iter()
                .map(|u| (u.slot.clone(), u.text.clone()))
                .collect(),
            summary: summary(a, d),
            recording: c.recording.clone(),
            photos: c.photos.clone(),
            media: media_part(&c.photos, i.media),
        },
        facts: a
            .facts
            .hits
            .iter()
            .filter(|h| !h.fact.starts_with("mentions_"))
            .map(|h| FactRef {
                fact: h.fact.into(),
                said: format!("{:?}", h.polarity).to_lowercase(),
                words: h.words.clone(),
                slot: h.slot.clone(),
            })
            .collect(),
        hazard: a.hazard.clone(),
        unclear_safety: a.unclear_safety,
        angry: a.angry_because.clone(),
        spam: a.spam,
        over_threshold: a.over_threshold,
        estimates: a.estimates.clone(),
        safety_script: d.safety_script.clone(),
        safety_script_first: c.script_first,
        urgency: UrgencyRef {
            score: a.urgency.score,
            level: level.into(),
            emergency_bar: b.emergency_bar,
            contributions: a
                .urgency
                .contributions
                .iter()
                .map(|x| Contribution {
                    rule: format!("{}:{}", x.group, x.tier),
                    points: x.points,
                    says: x.says.clone(),
                    evidence: x.evidence.clone(),
                })
                .collect(),
        },
        lane: d.lane.clone(),
        rule: d.rule.clone(),
        rule_says: d.rule_says.clone(),
        passed_over: d.passed_over.clone(),
        first_alert: d.alert.as_ref().map(|x| AlertRef {
            role: x.role.clone(),
            name: x.name.clone(),
            phone: x.phone.clone(),
        }),
        copy_owner: d.copy_owner,
        referral: d.referral.clone(),
        messages: i
            .messages
            .iter()
            .map(|m| MessageRef {
                to: m.recipient.clone(),
                role: m.role.clone(),
                kind: m.kind.clone(),
                text: m.body.clone(),
                provider_id: m.provider_sid.clone(),
                status: m.status.clone(),
                error_code: m.error_code,
                at: rfc3339_ms(m.created_at),
            })
            .collect(),
        handoff: i.handoff.to_vec(),
        booking: i.booking.clone(),
        dialog: Dialog {
            questions: c.questions(),
            asked: c.asked.clone(),
            ending: c.ended.map(|e| format!("{e:?}").to_lowercase()),
        },
        timings: Timings {
            call_started: c.started_at.to_string(),
            qualified: c.qualified_at.map(|t| t.to_string()),
            first_alert: first_alert_ms.map(rfc3339_ms),
            call_to_alert_ms: first_alert_ms.map(|m| m - start_ms),
            qualified_to_alert_ms: first_alert_ms
                .zip(c.qualified_at)
                .map(|(m, q)| m - q.as_millisecond()),
        },
    }
}

/// One entry per photo: its latest `media` event, else pending. Pure.
pub fn media_part(photos: &[String], events: &[serde_json::Value]) -> Vec<MediaRef> {
    photos
        .iter()
        .enumerate()
        .map(|(n, url)| {
            events
                .iter()
                .rev()
                .filter_map(|e| serde_json::from_value::<MediaRef>(e.clone()).ok())
                .find(|m| m.n == n)
                .unwrap_or_else(|| MediaRef {
                    n,
                    url: url.clone(),
                    status: "pending".into(),
                    file: None,
                    content_type: None,
                    bytes: None,
                    sha256: None,
                    note: None,
                })
        })
        .collect()
}

pub fn one_line(x: &crate::assessment::address::Address) -> String {
    let street = [
        &x.number,
        &x.predirectional,
        &x.street,
        &x.suffix,
        &x.postdirectional,
        &x.unit_type,
        &x.unit,
    ];
    let street: Vec<&str> = street.iter().filter_map(|p| p.as_deref()).collect();
    let place: Vec<&str> = [&x.city, &x.state, &x.zip]
        .iter()
        .filter_map(|p| p.as_deref())
        .collect();
    match (street.is_empty(), place.is_empty()) {
        (false, false) => format!("{}, {}", street.join(" "), place.join(" ")),
        (false, true) => street.join(" "),
        _ => place.join(" "),
    }
}

/// One line an owner or technician reads at a glance.
pub fn summary(a: &Assessment, d: &Decision) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &a.trade {
        parts.push(t.clone());
    }
    if let Some(h) = &a.hazard {
        parts.push(format!("HAZARD {h}"));
    } else if a.unclear_safety {
        parts.push("possible hazard, caller unsure".into());
    }
    let top: Vec<String> = a
        .urgency
        .contributions
        .iter()
        .filter(|c| c.points > 0)
        .map(|c| c.says.to_lowercase())
        .collect();
    if !top.is_empty() {
        parts.push(top.join("; "));
    }
    if a.spam {
        parts.push("spam".into());
    }
    if a.angry {
        parts.push("angry caller".into());
    }
    if a.over_threshold {
        parts.push("may exceed the approval threshold".into());
    }
    parts.push(format!("urgency {}", a.urgency.score));
    if let Some(l) = &d.lane {
        parts.push(format!("→ {l}"));
    }
    parts.join(" · ")
}
