//! The four numbers an owner measures, and the estimate of what the
//! service is worth, computed from contacts as the dashboard reads them.
//! Pure functions over [`Seen`] rows, so the dashboard, `/metrics` and
//! the tests agree by construction.

use serde::Deserialize;

/// The parts of a receipt the numbers read. Deserialising only these
/// keeps a year of receipts quick to read.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Slim {
    #[serde(default)]
    pub lane: Option<String>,
    #[serde(default)]
    pub after_hours: bool,
    #[serde(default)]
    pub urgency: SlimUrgency,
    #[serde(default)]
    pub handoff: Vec<SlimStep>,
    #[serde(default)]
    pub timings: SlimTimings,
    #[serde(default)]
    pub dialog: SlimDialog,
    #[serde(default)]
    pub issue: SlimIssue,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlimUrgency {
    #[serde(default)]
    pub score: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlimStep {
    pub step: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlimTimings {
    #[serde(default)]
    pub call_to_alert_ms: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlimDialog {
    #[serde(default)]
    pub questions: usize,
    #[serde(default)]
    pub ending: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlimIssue {
    #[serde(default)]
    pub summary: String,
}

/// One contact as the numbers see it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub id: String,
    pub opened_at: i64,
    pub channel: String,
    /// `None` while the dialog is going and no receipt is written yet.
    pub receipt: Option<Slim>,
    /// `false_escalation` or `missed_emergency`, from the owner.
    pub mark: Option<String>,
}

pub const FALSE_ESCALATION: &str = "false_escalation";
pub const MISSED_EMERGENCY: &str = "missed_emergency";

impl Seen {
    pub fn lane(&self) -> Option<&str> {
        self.receipt.as_ref().and_then(|r| r.lane.as_deref())
    }

    /// A phone call: it rang the line, whatever became of it.
    pub fn is_call(&self) -> bool {
        matches!(self.channel.as_str(), "voice" | "voicemail" | "missed_call")
    }

    /// Woke someone: the emergency or human-now lane.
    pub fn escalated(&self) -> bool {
        matches!(self.lane(), Some("emergency" | "human"))
    }

    /// An emergency by the route table, or by the owner's later word.
    pub fn emergency(&self) -> bool {
        self.escalated() || self.mark.as_deref() == Some(MISSED_EMERGENCY)
    }

    /// The caller talked to the dialog (rather than a voicemail prompt or
    /// nobody) before anything else happened.
    pub fn answered(&self) -> bool {
        self.channel == "voice"
            && self
                .receipt
                .as_ref()
                .is_some_and(|r| r.dialog.ending.as_deref() != Some("voicemail"))
    }

    pub fn accepted(&self) -> bool {
        self.receipt
            .as_ref()
            .is_some_and(|r| r.handoff.iter().any(|s| s.step == "accepted"))
    }

    pub fn after_hours(&self) -> bool {
        self.receipt.as_ref().is_some_and(|r| r.after_hours)
    }

    /// The handoff's state as the contact list shows it.
    pub fn handoff_status(&self) -> &'static str {
        let Some(r) = &self.receipt else {
            return "in progress";
        };
        // Someone who took it outranks any later step; then the last.
        let any = |steps: &[&str]| r.handoff.iter().any(|s| steps.contains(&s.step.as_str()));
        if any(&["accepted"]) {
            return "accepted";
        }
        if any(&["transfer_answered", "transfer_completed"]) {
            return "put through";
        }
        if any(&["booked"]) {
            return "booked";
        }
        let last = r.handoff.iter().rev().find(|s| {
            matches!(
                s.step.as_str(),
                "passed" | "escalated" | "alerted" | "transfer_missed"
            )
        });
        match last.map(|s| s.step.as_str()) {
            Some("passed") => "passed",
            Some("escalated") => "escalated",
            Some("transfer_missed") => "transfer missed",
            Some(_) => "alerted",
            None if self.escalated() => "not alerted",
            None => "—",
        }
    }
}

/// The four numbers over a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Numbers {
    pub contacts: usize,
    /// Emergency calls, and those the dialog answered before voicemail.
    pub emergency_calls: usize,
    pub answered_before_voicemail: usize,
    /// Call start to first technician alert, milliseconds.
    pub alert_median_ms: Option<i64>,
    pub alert_p90_ms: Option<i64>,
    pub alerts_timed: usize,
    /// Emergency-lane, after-hours contacts a technician accepted.
    pub booked_after_hours: usize,
    /// Contacts that woke someone and the owner marked routine.
    pub false_escalations: usize,
    pub missed_emergencies: usize,
    /// After-hours calls the dialog answered: the worth estimate's base.
    pub after_hours_answered: usize,
}

impl Numbers {
    /// The share of emergency calls answered, 0–100, if there were any.
    pub fn answered_percent(&self) -> Option<f64> {
        (self.emergency_calls > 0)
            .then(|| 100.0 * self.answered_before_voicemail as f64 / self.emergency_calls as f64)
    }
}

/// The value at `q` (0–1) of sorted values, by the nearest-rank method.
pub fn percentile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The four numbers of these contacts.
pub fn numbers(contacts: &[Seen]) -> Numbers {
    let mut n = Numbers {
        contacts: contacts.len(),
        ..Numbers::default()
    };
    let mut alerts = Vec::new();
    for c in contacts {
        if c.is_call() && c.emergency() {
            n.emergency_calls += 1;
            n.answered_before_voicemail += usize::from(c.answered());
        }
        if c.lane() == Some("emergency") {
            if let Some(ms) = c.receipt.as_ref().and_then(|r| r.timings.call_to_alert_ms) {
                alerts.push(ms.max(0));
            }
            n.booked_after_hours += usize::from(c.after_hours() && c.accepted());
        }
        n.false_escalations += usize::from(c.mark.as_deref() == Some(FALSE_ESCALATION));
        n.missed_emergencies += usize::from(c.mark.as_deref() == Some(MISSED_EMERGENCY));
        n.after_hours_answered += usize::from(c.after_hours() && c.answered());
    }
    alerts.sort_unstable();
    n.alerts_timed = alerts.len();
    n.alert_median_ms = percentile(&alerts, 0.5);
    n.alert_p90_ms = percentile(&alerts, 0.9);
    n
}

/// What nightdesk was worth over a period, in dollars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Worth {
    pub after_hours_answered: usize,
    pub emergencies_booked: usize,
    /// Booked emergencies times the owner's average ticket.
    pub revenue: i64,
    /// What the owner said an answering service costs for the period.
    pub answering_service: i64,
}

/// The estimate: booked emergencies × average ticket, beside the cost of
/// an answering service the owner entered (per month, scaled to `days`).
pub fn worth(n: &Numbers, average_ticket: i64, answering_service_monthly: i64, days: i64) -> Worth {
    let revenue = average_ticket.saturating_mul(n.booked_after_hours as i64);
    Worth {
        after_hours_answered: n.after_hours_answered,
        emergencies_booked: n.booked_after_hours,
        revenue,
        answering_service: answering_service_monthly.saturating_mul(days) / 30,
    }
}

/// Reads a stored receipt for the numbers; an unreadable one counts as a
/// contact without a receipt rather than failing the page.
pub fn slim(body: Option<&str>) -> Option<Slim> {
    serde_json::from_str(body?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(
        channel: &str,
        lane: Option<&str>,
        after_hours: bool,
        steps: &[&str],
        alert_ms: Option<i64>,
        mark: Option<&str>,
    ) -> Seen {
        Seen {
            id: "c".into(),
            opened_at: 0,
            channel: channel.into(),
            receipt: Some(Slim {
                lane: lane.map(str::to_string),
                after_hours,
                handoff: steps
                    .iter()
                    .map(|s| SlimStep { step: (*s).into() })
                    .collect(),
                timings: SlimTimings {
                    call_to_alert_ms: alert_ms,
                },
                dialog: SlimDialog {
                    questions: 3,
                    ending: Some(
                        if channel == "voicemail" {
                            "voicemail"
                        } else {
                            "completed"
                        }
                        .into(),
                    ),
                },
                ..Slim::default()
            }),
            mark: mark.map(str::to_string),
        }
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let check = |values: &[i64], q: f64, want: Option<i64>| {
            assert_eq!(percentile(values, q), want, "{values:?} at {q}")
        };
        check(&[], 0.5, None);
        check(&[7], 0.5, Some(7));
        check(&[7], 0.9, Some(7));
        check(&[1, 2], 0.5, Some(1));
        check(&[1, 2, 3], 0.5, Some(2));
        check(&(1..=10).collect::<Vec<_>>(), 0.9, Some(9));
        check(&(1..=10).collect::<Vec<_>>(), 0.5, Some(5));
        check(&(1..=100).collect::<Vec<_>>(), 0.9, Some(90));
        check(&(1..=11).collect::<Vec<_>>(), 0.9, Some(10));
    }

    #[test]
    fn the_four_numbers() {
        let contacts = vec![
            // Answered emergency, after hours, accepted: booked.
            contact(
                "voice",
                Some("emergency"),
                true,
                &["alerted", "accepted"],
                Some(900),
                None,
            ),
            // Answered emergency by day, alerted, passed.
            contact(
                "voice",
                Some("emergency"),
                false,
                &["alerted", "passed"],
                Some(300),
                None,
            ),
            // An emergency that reached voicemail.
            contact(
                "voicemail",
                Some("emergency"),
                true,
                &["alerted"],
                Some(60_000),
                None,
            ),
            // Human lane counts as an emergency call but has no alert time.
            contact(
                "voice",
                Some("human"),
                true,
                &["alerted"],
                Some(1),
                Some(FALSE_ESCALATION),
            ),
            // A booking the owner says was an emergency.
            contact(
                "voice",
                Some("booking"),
                true,
                &[],
                None,
                Some(MISSED_EMERGENCY),
            ),
            // Texts are not calls.
            contact(
                "sms",
                Some("emergency"),
                true,
                &["accepted"],
                Some(500),
                None,
            ),
            // A missed call has no lane and is not an emergency call.
            contact("missed_call", None, true, &[], None, None),
        ];
        let n = numbers(&contacts);
        assert_eq!(n.contacts, 7);
        assert_eq!((n.emergency_calls, n.answered_before_voicemail), (5, 4));
        assert_eq!(n.alerts_timed, 4);
        assert_eq!(
            (n.alert_median_ms, n.alert_p90_ms),
            (Some(500), Some(60_000))
        );
        assert_eq!(
            n.booked_after_hours, 2,
            "the accepted voice call and the accepted text"
        );
        assert_eq!((n.false_escalations, n.missed_emergencies), (1, 1));
        assert_eq!(n.after_hours_answered, 3);
        assert_eq!(n.answered_percent(), Some(80.0));
    }

    #[test]
    fn no_contacts_no_numbers() {
        let n = numbers(&[]);
        assert_eq!(n, Numbers::default());
        assert_eq!(n.answered_percent(), None);
    }

    #[test]
    fn a_mark_changes_the_false_escalations() {
        let mut contacts = vec![contact(
            "voice",
            Some("emergency"),
            true,
            &["alerted"],
            Some(1000),
            None,
        )];
        assert_eq!(numbers(&contacts).false_escalations, 0);
        contacts[0].mark = Some(FALSE_ESCALATION.into());
        assert_eq!(numbers(&contacts).false_escalations, 1);
    }

    #[test]
    fn worth_scales_the_monthly_cost_to_the_period() {
        let n = Numbers {
            booked_after_hours: 3,
            after_hours_answered: 10,
            ..Numbers::default()
        };
        let w = worth(&n, 450, 300, 60);
        assert_eq!(
            w,
            Worth {
                after_hours_answered: 10,
                emergencies_booked: 3,
                revenue: 1350,
                answering_service: 600
            }
        );
    }

    #[test]
    fn handoff_status_shows_a_transfer_and_a_booking() {
        let status = |steps: &[&str]| {
            contact("voice", Some("human"), true, steps, None, None)
                .handoff_status()
                .to_string()
        };
        assert_eq!(
            status(&["transfer_dialed", "alerted", "transfer_answered"]),
            "put through"
        );
        assert_eq!(
            status(&["transfer_dialed", "alerted", "transfer_missed"]),
            "transfer missed"
        );
        assert_eq!(status(&["booked"]), "booked");
    }

    #[test]
    fn handoff_status_reads_the_last_step() {
        assert_eq!(
            contact(
                "voice",
                Some("emergency"),
                true,
                &["alerted", "accepted"],
                None,
                None
            )
            .handoff_status(),
            "accepted"
        );
        assert_eq!(
            contact("voice", Some("emergency"), true, &["alerted"], None, None).handoff_status(),
            "alerted"
        );
        assert_eq!(
            contact("voice", Some("emergency"), true, &[], None, None).handoff_status(),
            "not alerted"
        );
        assert_eq!(
            contact("voice", Some("booking"), true, &[], None, None).handoff_status(),
            "—"
        );
    }

    #[test]
    fn slim_reads_a_whole_receipt_or_nothing() {
        let r = slim(Some(r#"{"lane":"emergency","after_hours":true,"urgency":{"score":80,"level":"x"},"extra":[1,2]}"#)).unwrap();
        assert_eq!(
            (r.lane.as_deref(), r.after_hours, r.urgency.score),
            (Some("emergency"), true, 80)
        );
        assert!(slim(Some("not json")).is_none());
        assert!(slim(None).is_none());
    }
}
