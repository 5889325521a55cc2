//! Decision: the lane, by the owner's route table, and who hears first.
//!
//! The first row whose condition holds wins, and the decision names it.
//! For every row above it the decision keeps why it did not match, so the
//! owner can ask of any contact "why did this go where it went".

use serde::Serialize;

use crate::assessment::{self, Assessment};
use crate::config::Business;
use crate::intake::{Case, Channel};
use crate::rules::Evaluator;

/// Where the contact goes and why.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// `None` for a missed call: it gets the text-back, not a lane.
    pub lane: Option<String>,
    /// The route row that matched.
    pub rule: Option<String>,
    pub rule_says: String,
    /// Rows above the match, each with the reason it did not match.
    pub passed_over: Vec<(String, String)>,
    /// The owner's script to say first, by name, and its words.
    pub safety_script: Option<String>,
    pub safety_words: Option<String>,
    /// Who hears first.
    pub alert: Option<Alert>,
    /// Also told: the owner on a hazard or a job over the threshold.
    pub copy_owner: bool,
    pub referral: Option<String>,
}

/// The first person alerted.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub role: String,
    pub name: String,
    pub phone: String,
    pub takes_texts: bool,
    pub note: Option<String>,
}

/// Decides the lane for an assessed case. Pure.
pub fn decide(case: &Case, business: &Business, a: &Assessment) -> Decision {
    let mut d = Decision {
        lane: None,
        rule: None,
        rule_says: String::new(),
        passed_over: Vec::new(),
        safety_script: a.safety_script.clone(),
        safety_words: a
            .safety_script
            .as_ref()
            .and_then(|s| business.scripts.get(s).cloned()),
        alert: None,
        copy_owner: false,
        referral: None,
    };
    if case.channel == Channel::MissedCall {
        d.rule_says = "A missed call has no words: it gets the text-back".into();
        return d;
    }
    let vars = assessment::variables(business, case, a);
    let evaluator = Evaluator::new(&vars);
    for route in &business.routes {
        match evaluator.eval(&route.when) {
            Ok(true) => {
                d.lane = Some(route.lane.clone());
                d.rule = Some(route.name.clone());
                d.rule_says = route.says.clone();
                break;
            }
            Ok(false) => d.passed_over.push((
                route.name.clone(),
                format!("{} is false", route.when.source()),
            )),
            Err(e) => d
                .passed_over
                .push((route.name.clone(), format!("could not be evaluated: {e}"))),
        }
    }
    d.alert = match d.lane.as_deref() {
        Some("emergency") => Some(on_call(business, a, case)),
        Some("human") => Some(owner(business, None)),
        _ => None,
    };
    d.copy_owner =
        a.hazard.is_some() || (d.lane.as_deref() == Some("emergency") && a.over_threshold);
    if d.lane.as_deref() == Some("decline") {
        let key = if a.facts.said("utility_outage") {
            Some("utility".to_string())
        } else {
            a.trade.clone()
        };
        d.referral = key.and_then(|k| business.referrals.get(&k).cloned());
    }
    d
}

fn owner(business: &Business, note: Option<String>) -> Alert {
    Alert {
        role: "owner".into(),
        name: business.owner.name.clone(),
        phone: business.owner.phone.clone(),
        takes_texts: true,
        note,
    }
}

/// The on-call technician for the job's trade; the owner when nobody is.
fn on_call(business: &Business, a: &Assessment, case: &Case) -> Alert {
    let trade = a
        .trade
        .clone()
        .unwrap_or_else(|| business.hazard_trade.clone());
    let shift = business.schedule.on_call(&trade, case.at);
    let tech = shift
        .as_ref()
        .and_then(|s| business.schedule.technician(&s.technician));
    match tech {
        Some(t) => Alert {
            role: "technician".into(),
            name: t.name.clone(),
            phone: t.phone.clone(),
            takes_texts: t.takes_texts,
            note: None,
        },
        None => owner(
            business,
            Some(format!(
                "nobody is on call for {trade}: the owner is alerted"
            )),
        ),
    }
}

/// The lane the contact would take if `fact` were `value`: the dialog
/// asks a follow-up only when its answer could change where the contact
/// goes.
pub fn lane_if(
    case: &Case,
    business: &Business,
    a: &Assessment,
    fact: &str,
    value: bool,
) -> Option<String> {
    let mut vars = assessment::variables(business, case, a);
    vars.bool(fact.to_string(), value);
    let score = assessment::rescore(business, a, &vars);
    vars.set("urgency", crate::rules::Var::Int(score));
    let evaluator = Evaluator::new(&vars);
    business
        .routes
        .iter()
        .find(|r| evaluator.eval(&r.when).unwrap_or(false))
        .map(|r| r.lane.clone())
}
