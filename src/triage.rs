//! Triage: assessment then decision, for one case, as the JSON result
//! `triage` and `replay` print, plus the scoring of a run against the
//! corpus labels.

use serde::Serialize;

use crate::assessment::{self, Assessment};
use crate::config::{Business, Config};
use crate::decision::{self, Decision};
use crate::intake::corpus::Expect;
use crate::intake::Case;

/// One result line of `triage` and `replay`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Outcome {
    pub id: String,
    pub trade: Option<String>,
    pub in_area: Option<bool>,
    pub existing_customer: bool,
    pub hazard: Option<String>,
    pub unclear_safety: bool,
    pub angry: bool,
    pub over_threshold: bool,
    pub spam: bool,
    pub urgency: i64,
    pub lane: Option<String>,
    pub rule: Option<String>,
    pub safety_script: Option<String>,
    pub alert_to: Option<String>,
    pub after_hours: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub questions: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub safety_script_first: Option<bool>,
}

/// Assesses and decides one case.
pub fn run(case: &Case, business: &Business) -> (Assessment, Decision) {
    let a = assessment::assess(case, business);
    let d = decision::decide(case, business, &a);
    (a, d)
}

pub fn outcome(case: &Case, a: &Assessment, d: &Decision) -> Outcome {
    Outcome {
        id: case.id.clone(),
        trade: a.trade.clone(),
        in_area: a.in_area,
        existing_customer: a.existing_customer,
        hazard: a.hazard.clone(),
        unclear_safety: a.unclear_safety,
        angry: a.angry,
        over_threshold: a.over_threshold,
        spam: a.spam,
        urgency: a.urgency.score,
        lane: d.lane.clone(),
        rule: d.rule.clone(),
        safety_script: d.safety_script.clone(),
        alert_to: d.alert.as_ref().map(|x| x.phone.clone()),
        after_hours: a.after_hours,
        questions: None,
        safety_script_first: None,
    }
}

/// Triage a case against the right business in `config`.
pub fn triage(config: &Config, case: &Case) -> Option<Outcome> {
    let business = config.business(&case.business)?;
    let (a, d) = run(case, business);
    Some(outcome(case, &a, &d))
}

/// Counts over a run, against the labels where cases have them.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub cases: usize,
    pub labelled: usize,
    pub lanes_right: usize,
    pub missed_emergencies: Vec<String>,
    pub false_escalations: Vec<String>,
    pub wrong_lane: Vec<String>,
    pub wrong_alert: Vec<String>,
    pub wrong_script: Vec<String>,
    pub wrong_fields: Vec<String>,
}

/// Whether a trade name the service gives matches the corpus label.
fn same_trade(got: Option<&str>, want: Option<&str>) -> bool {
    match (got, want) {
        (Some(g), Some("other")) => {
            !["hvac", "plumbing", "electrical", "roofing", "restoration"].contains(&g)
        }
        (g, w) => g == w,
    }
}

impl Summary {
    pub fn add(&mut self, out: &Outcome, expect: Option<&Expect>) {
        self.cases += 1;
        let Some(e) = expect else { return };
        self.labelled += 1;
        let id = &out.id;
        if out.lane == e.lane {
            self.lanes_right += 1;
        } else {
            self.wrong_lane
                .push(format!("{id}: {:?} expected {:?}", out.lane, e.lane));
        }
        let urgent = |l: Option<&str>| matches!(l, Some("emergency" | "human"));
        if urgent(e.lane.as_deref()) && out.lane != e.lane {
            self.missed_emergencies.push(id.clone());
        }
        if !urgent(e.lane.as_deref()) && e.lane.is_some() && urgent(out.lane.as_deref()) {
            self.false_escalations.push(id.clone());
        }
        if out.alert_to != e.alert_to {
            self.wrong_alert.push(format!(
                "{id}: {:?} expected {:?}",
                out.alert_to, e.alert_to
            ));
        }
        if out.safety_script != e.safety_script {
            self.wrong_script.push(format!(
                "{id}: {:?} expected {:?}",
                out.safety_script, e.safety_script
            ));
        }
        let mut fields = Vec::new();
        if !same_trade(out.trade.as_deref(), e.trade.as_deref()) {
            fields.push(format!("trade {:?}≠{:?}", out.trade, e.trade));
        }
        for (name, got, want) in [
            ("existing", out.existing_customer, e.existing_customer),
            ("unclear", out.unclear_safety, e.unclear_safety),
            ("angry", out.angry, e.angry),
            ("over", out.over_threshold, e.over_threshold),
            ("spam", out.spam, e.spam),
            ("after_hours", out.after_hours, e.after_hours),
        ] {
            if got != want {
                fields.push(format!("{name} {got}≠{want}"));
            }
        }
        if out.in_area != e.in_area {
            fields.push(format!("in_area {:?}≠{:?}", out.in_area, e.in_area));
        }
        if out.hazard != e.hazard {
            fields.push(format!("hazard {:?}≠{:?}", out.hazard, e.hazard));
        }
        if out.urgency < e.urgency_min || out.urgency > e.urgency_max {
            fields.push(format!(
                "urgency {}∉{}..{}",
                out.urgency, e.urgency_min, e.urgency_max
            ));
        }
        if !fields.is_empty() {
            self.wrong_fields
                .push(format!("{id}: {}", fields.join(", ")));
        }
    }

    /// Share of labelled cases whose lane was right.
    pub fn accuracy(&self) -> f64 {
        if self.labelled == 0 {
            1.0
        } else {
            self.lanes_right as f64 / self.labelled as f64
        }
    }

    /// The summary for standard error.
    pub fn report(&self) -> String {
        let mut s = format!(
            "{} cases, {} labelled: lanes right {}/{} ({:.1}%), missed emergencies {}, false escalations {}, wrong first alert {}, wrong script {}",
            self.cases,
            self.labelled,
            self.lanes_right,
            self.labelled,
            100.0 * self.accuracy(),
            self.missed_emergencies.len(),
            self.false_escalations.len(),
            self.wrong_alert.len(),
            self.wrong_script.len(),
        );
        for line in self
            .wrong_lane
            .iter()
            .chain(&self.wrong_alert)
            .chain(&self.wrong_script)
            .chain(&self.wrong_fields)
        {
            s.push_str("\n  ");
            s.push_str(line);
        }
        s
    }
}
