//! Assessment: pure functions from a `Case` and a business profile to
//! the facts, trade, service area, context and urgency score.
//!
//! No I/O happens here. The weather and the clock arrive inside the
//! `Case`; everything else comes from the business profile. Every
//! conclusion keeps its evidence so the receipt can say why.

pub mod address;
pub mod area;
pub mod facts;
mod people;
pub mod phrases;
pub mod text;
mod trade;
mod urgency;

use serde::Serialize;

use crate::config::Business;
use crate::intake::Case;
use crate::rules::{Evaluator, Var, Variables};
use facts::{Facts, Segment, State};

pub use urgency::{Contribution, Urgency};

/// Everything nightdesk concluded about one contact, with its evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub facts: Facts,
    pub no_words: bool,
    pub spam: bool,
    pub trade: Option<String>,
    pub trade_offered: bool,
    pub address_heard: Option<String>,
    pub address: Option<address::Address>,
    pub in_area: Option<bool>,
    pub area_reason: String,
    pub local_time: String,
    pub after_hours: bool,
    pub existing_customer: bool,
    /// The commercial account's name, when the caller is one.
    pub commercial: Option<String>,
    pub estimates: Vec<String>,
    pub over_threshold: bool,
    pub angry: bool,
    pub angry_because: Vec<String>,
    /// The hazard the caller is sure of, by the receipt's name.
    pub hazard: Option<String>,
    pub unclear_safety: bool,
    /// The owner's script to say first, by name.
    pub safety_script: Option<String>,
    pub urgency: Urgency,
    pub outdoor_temp_f: Option<f64>,
    pub hurricane_warning: bool,
}

/// Assesses a case for a business. Pure: same inputs, same answer.
pub fn assess(case: &Case, business: &Business) -> Assessment {
    let segments: Vec<Segment<'_>> = case
        .words
        .iter()
        .map(|u| Segment {
            slot: u.slot.as_deref(),
            text: &u.text,
        })
        .collect();
    let facts = facts::extract(&segments, &business.owner.name);
    let local = case.at.to_zoned(business.tz.clone());
    let after_hours = !business.hours.is_open(case.at);
    let customer = people::recognise(case, business);
    let no_words = !case.has_words();

    let mut a = Assessment {
        facts,
        no_words,
        spam: false,
        trade: None,
        trade_offered: true,
        address_heard: None,
        address: None,
        in_area: None,
        area_reason: String::new(),
        local_time: local.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        after_hours,
        existing_customer: customer.existing,
        commercial: customer.commercial,
        estimates: Vec::new(),
        over_threshold: false,
        angry: false,
        angry_because: Vec::new(),
        hazard: None,
        unclear_safety: false,
        safety_script: None,
        urgency: Urgency::default(),
        outdoor_temp_f: case.weather.outdoor_temp_f,
        hurricane_warning: case.weather.hurricane_warning,
    };
    if no_words {
        return a;
    }
    let marked = a.facts.said("robocall") && a.commercial.is_none() && !a.existing_customer;
    // A robocall marker ("http", "lol", "claim") in words that also state a
    // problem with a home is a caller, not spam: "lol sorry to text so
    // late but i smell gas" must never be dropped.
    if marked && !describes_work(&a.facts) {
        a.spam = true;
        return a;
    }

    locate(case, business, &mut a);
    a.angry_because = people::anger(case, &a.facts);
    a.angry = !a.angry_because.is_empty();
    judge_safety(business, &mut a);
    a.urgency = urgency::score(business, &a.facts, &variables(business, case, &a));
    a.trade = trade::choose(case, business, &a);
    a.trade_offered = a.trade.as_deref().is_none_or(|t| business.offers(t));
    for e in &business.estimates {
        if a.facts.said(&e.fact) {
            a.estimates
                .push(format!("{}: ${}–${}", e.job, e.low, e.high));
            a.over_threshold |= e.high > business.approval_threshold;
        }
    }
    a
}

/// Finds the service address and decides whether it is in the area.
fn locate(case: &Case, business: &Business, a: &mut Assessment) {
    let heard = case.answer("address").map(str::to_string);
    let parsed = heard.as_deref().map(address::parse);
    // The last ZIP said wins: callers correct themselves ("34221, no
    // sorry, 33572 Apollo Beach").
    let last_said = heard.as_deref().and_then(address::find_zip);
    let zip = last_said
        .or_else(|| parsed.as_ref().and_then(|p| p.zip.clone()))
        .or_else(|| {
            // No address slot: look for a ZIP anywhere, last one first, as a
            // voicemail or text packs the address into one message; failing
            // that, an existing customer's ZIP on file.
            case.words
                .iter()
                .rev()
                .find_map(|u| address::find_zip(&u.text))
        })
        .or_else(|| {
            business
                .customers
                .get(&case.from)
                .and_then(|c| c.zip.clone())
        });
    let decision = business.area.decide(zip.as_deref());
    a.in_area = decision.in_area;
    a.area_reason = decision.reason;
    a.address_heard = heard;
    a.address = parsed;
}

/// Decides the hazard, the unclear-safety flag and the script to say.
/// Whether words with a robocall marker are still a caller: a safety
/// hazard said as now or in doubt always is; otherwise a single marker
/// ("http", "lol", "claim") beside a problem one of the trades fixes is.
/// Two markers or more, with no hazard, are a pitch whatever trade it
/// names ("we help HVAC companies get booked jobs").
fn describes_work(facts: &facts::Facts) -> bool {
    let live =
        |h: &&facts::Hit| !matches!(h.polarity, facts::Polarity::Negated | facts::Polarity::Past);
    let hits: Vec<&facts::Hit> = facts.hits.iter().filter(live).collect();
    if hits.iter().any(|h| SAFETY_FACTS.contains(&h.fact)) {
        return true;
    }
    // Words real callers use too: a link to a photo, a laugh, an
    // insurance claim. A pitch says more than these.
    let weak = |h: &&&facts::Hit| {
        let w = h.words.to_lowercase();
        w.starts_with("http")
            || w.starts_with("www")
            || matches!(
                w.as_str(),
                "lol" | "haha" | "ha ha" | "jk" | "claim" | "approved"
            )
    };
    let markers: Vec<&&facts::Hit> = hits.iter().filter(|h| h.fact == "robocall").collect();
    markers.len() == 1
        && markers.iter().all(weak)
        && hits.iter().any(|h| {
            !h.fact.starts_with("mentions_")
                && phrases::FACTS
                    .iter()
                    .find(|f| f.name == h.fact)
                    .is_some_and(|f| f.trade.is_some())
        })
}

/// Facts that are hazards whatever trade they point to.
const SAFETY_FACTS: &[&str] = &[
    "gas_smell",
    "co_alarm",
    "water_near_electrical",
    "water_coming_in",
];

fn judge_safety(business: &Business, a: &mut Assessment) {
    // The facts as variables, and one interpreter context, only where a
    // script has an extra condition to evaluate.
    let vars = business.safety.iter().any(|s| s.when.is_some()).then(|| {
        let mut v = Variables::default();
        for name in facts::names() {
            v.bool(name, a.facts.state(name) == State::Present);
        }
        v
    });
    let evaluator = vars.as_ref().map(Evaluator::new);
    let mut sure: Vec<(usize, &crate::config::Safety)> = Vec::new();
    let mut doubtful: Vec<(usize, &crate::config::Safety)> = Vec::new();
    for s in &business.safety {
        let extra = match (&s.when, &evaluator) {
            (Some(when), Some(evaluator)) => evaluator.eval(when).unwrap_or(false),
            _ => true,
        };
        let order = a.facts.first_order(&s.fact).unwrap_or(usize::MAX);
        match a.facts.state(&s.fact) {
            State::Present if extra => sure.push((order, s)),
            State::Doubtful if s.hazard.is_some() => doubtful.push((order, s)),
            _ => {}
        }
    }
    sure.sort_by_key(|(o, s)| (s.hazard.is_none(), *o));
    doubtful.sort_by_key(|(o, _)| *o);
    if let Some((_, s)) = sure.iter().find(|(_, s)| s.hazard.is_some()) {
        a.hazard = s.hazard.clone();
    }
    if let Some((_, s)) = sure.first() {
        a.safety_script = Some(s.script.clone());
    } else if let Some((_, s)) = doubtful.first() {
        a.unclear_safety = true;
        a.safety_script = Some(s.script.clone());
    }
}

/// The names the owner's rules read, for this contact.
pub fn variables(business: &Business, case: &Case, a: &Assessment) -> Variables {
    let mut v = Variables::default();
    let hazard_facts: Vec<&str> = business
        .safety
        .iter()
        .filter(|s| s.hazard.is_some())
        .map(|s| s.fact.as_str())
        .collect();
    for name in facts::names() {
        let on = if hazard_facts.contains(&name) {
            a.facts.state(name) == State::Present
        } else {
            a.facts.said(name)
        };
        v.bool(name, on);
    }
    // FIXME(#3): with no temperature the weather tiers read 50 °F, mild.
    v.set(
        "outdoor_temp_f",
        Var::Float(a.outdoor_temp_f.unwrap_or(50.0)),
    );
    v.bool("hurricane_warning", a.hurricane_warning);
    v.bool("after_hours", a.after_hours);
    v.set("trade", Var::Text(a.trade.clone().unwrap_or_default()));
    v.bool("trade_offered", a.trade_offered);
    v.bool("in_area", a.in_area != Some(false));
    v.bool("out_of_area", a.in_area == Some(false));
    v.bool("spam", a.spam);
    v.bool("angry", a.angry);
    v.bool("unclear_safety", a.unclear_safety);
    v.bool("no_words", a.no_words);
    v.bool("over_threshold", a.over_threshold);
    v.bool("commercial", a.commercial.is_some());
    v.bool("existing_customer", a.existing_customer);
    v.bool("hazard", a.hazard.is_some());
    v.set("channel", Var::Text(case.channel.as_str().to_string()));
    v.set("urgency", Var::Int(a.urgency.score));
    v.set("emergency_bar", Var::Int(business.emergency_bar));
    v.set("approval_threshold", Var::Int(business.approval_threshold));
    v
}

/// The urgency score these variables give, for "what if" questions: would
/// the caller's answer to a follow-up change the lane?
pub fn rescore(business: &Business, a: &Assessment, vars: &Variables) -> i64 {
    urgency::score(business, &a.facts, vars).score
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::intake::{Channel, Utterance, Weather};

    fn texted(words: &str) -> Case {
        Case {
            id: "t".into(),
            business: "+16125550100".into(),
            channel: Channel::Sms,
            at: "2026-01-14T08:13:00Z".parse().unwrap(),
            from: "+16125550177".into(),
            words: vec![Utterance {
                slot: None,
                text: words.into(),
            }],
            weather: Weather::default(),
        }
    }

    /// A caller's link, laugh or insurance claim is not a robocall's.
    #[test]
    fn a_marker_beside_a_real_problem_is_a_caller_not_spam() {
        let config = Config::embedded();
        let b = config.business("+16125550100").unwrap();
        let callers = [
            "water heater is leaking all over the basement floor, photo here: https://photos.app.goo.gl/abc123",
            "lol sorry to text so late but i smell gas in the kitchen",
            "water is pouring through the kitchen ceiling, i already have an insurance claim open",
        ];
        for words in callers {
            assert!(!assess(&texted(words), b).spam, "{words}");
        }
        let pitches = [
            "Congratulations! Your business has been approved for a $50,000 line of credit. Visit www.fastfunds.biz to claim",
            "Hi Birchline! We help HVAC companies get 40+ booked jobs a month with done-for-you Facebook ads. Reply STOP to opt out",
        ];
        for words in pitches {
            assert!(assess(&texted(words), b).spam, "{words}");
        }
    }
}
