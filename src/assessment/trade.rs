//! The trade of the job: which kind of technician the caller needs.
//!
//! The urgency group with the most points names it, a tie going to the
//! trade mentioned first; a gas smell or CO alarm takes the trade of the
//! appliance named next to it; otherwise the first trade mentioned.

use super::text::tokenize;
use super::Assessment;
use crate::config::Business;
use crate::intake::Case;

pub fn choose(case: &Case, business: &Business, a: &Assessment) -> Option<String> {
    let hazard_group = |c: &super::Contribution| {
        c.trade.is_none() && c.trade_from == crate::config::TradeFrom::Appliance
    };
    let mut scored: Vec<(i64, usize, String)> = a
        .urgency
        .contributions
        .iter()
        .filter_map(|c| {
            let trade = c
                .trade
                .clone()
                .or_else(|| hazard_group(c).then(|| appliance_trade(case, business)))?;
            Some((c.points, c.first_said, trade))
        })
        .collect();
    scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    if let Some((_, _, trade)) = scored.into_iter().next() {
        return Some(trade);
    }
    let suspected = |f: &str| a.facts.state(f) != super::facts::State::Absent;
    if suspected("gas_smell") || suspected("co_alarm") {
        return Some(appliance_trade(case, business));
    }
    first_mentioned(a)
}

/// The trade of the first fact, in the caller's order, that names one.
fn first_mentioned(a: &Assessment) -> Option<String> {
    a.facts
        .hits
        .iter()
        .filter(|h| h.polarity >= super::facts::Polarity::Unsure)
        .filter_map(|h| {
            super::facts::definition(h.fact)
                .and_then(|d| d.trade)
                .map(|t| (h.order, t))
        })
        .min_by_key(|(order, _)| *order)
        .map(|(_, t)| t.to_string())
}

const APPLIANCES: &[(&[&str], &str)] = &[
    (&["water", "heater"], "plumbing"),
    (&["furnace"], "hvac"),
    (&["boiler"], "hvac"),
    (&["heat"], "hvac"),
    (&["heater"], "hvac"),
    (&["stove"], "appliance"),
    (&["oven"], "appliance"),
    (&["range"], "appliance"),
    (&["dryer"], "appliance"),
    (&["fireplace"], "hvac"),
];

/// The trade of the gas appliance the caller names: one called "gas"
/// first, else the first named, else the business's default. An
/// appliance called "electric" is not the source.
fn appliance_trade(case: &Case, business: &Business) -> String {
    let mut named: Vec<(bool, usize, &str)> = Vec::new();
    for (k, u) in case.words.iter().enumerate() {
        let words: Vec<String> = tokenize(&u.text).into_iter().map(|t| t.word).collect();
        let mut i = 0;
        while i < words.len() {
            let hit = APPLIANCES.iter().find(|(seq, _)| {
                seq.iter()
                    .enumerate()
                    .all(|(j, w)| words.get(i + j).is_some_and(|x| x == w))
            });
            if let Some((seq, trade)) = hit {
                let before = &words[i.saturating_sub(7)..i];
                let electric = words[i.saturating_sub(2)..i]
                    .iter()
                    .any(|w| w == "electric");
                if !electric {
                    named.push((before.iter().any(|w| w == "gas"), k * 10_000 + i, trade));
                }
                i += seq.len();
            } else {
                i += 1;
            }
        }
    }
    named.sort_by_key(|(gas, order, _)| (!gas, *order));
    named
        .first()
        .map_or(business.hazard_trade.clone(), |(_, _, t)| t.to_string())
}
