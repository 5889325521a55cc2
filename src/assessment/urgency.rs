//! The urgency score: the owner's groups of tiers, evaluated.
//!
//! Within a group only the highest matching tier counts; the groups add
//! up; the score is capped at 100. Each contribution names its rule, its
//! points and the caller's words that triggered it.

use serde::Serialize;

use super::facts::Facts;
use crate::config::Business;
use crate::rules::{Evaluator, Variables};

#[derive(Debug, Clone, Default, Serialize)]
pub struct Urgency {
    pub score: i64,
    pub contributions: Vec<Contribution>,
    /// Conditions that could not be evaluated; they count as not matching.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contribution {
    pub group: String,
    pub tier: String,
    pub points: i64,
    pub says: String,
    /// The caller's words behind it, fact by fact.
    pub evidence: Vec<(String, String)>,
    /// The trade of the job this contribution is about, if it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade: Option<String>,
    #[serde(skip)]
    pub trade_from: crate::config::TradeFrom,
    /// Where its evidence was first said, for ties between trades.
    #[serde(skip)]
    pub first_said: usize,
}

/// Scores the contact against the business's urgency rules.
pub fn score(business: &Business, facts: &Facts, vars: &Variables) -> Urgency {
    let evaluator = Evaluator::new(vars);
    let mut out = Urgency::default();
    for group in &business.urgency {
        let mut best: Option<&crate::config::Tier> = None;
        for tier in &group.tiers {
            match evaluator.eval(&tier.when) {
                Ok(true) if best.is_none_or(|b| tier.points > b.points) => best = Some(tier),
                Ok(_) => {}
                Err(e) => out
                    .errors
                    .push(format!("{}:{}: {e}", group.name, tier.name)),
            }
        }
        let Some(tier) = best else { continue };
        let read = tier.when.variables();
        let evidence: Vec<(String, String)> = read
            .iter()
            .filter(|name| facts.said(name))
            .filter_map(|name| {
                facts
                    .evidence(name)
                    .map(|h| (name.clone(), h.words.clone()))
            })
            .collect();
        let first_said = read
            .iter()
            .filter_map(|name| facts.first_order(name))
            .min()
            .unwrap_or(usize::MAX);
        out.contributions.push(Contribution {
            group: group.name.clone(),
            tier: tier.name.clone(),
            points: tier.points,
            says: tier.says.clone(),
            evidence,
            trade: match tier.trade_from {
                crate::config::TradeFrom::Nothing => None,
                _ => tier.trade.clone().or_else(|| group.trade.clone()),
            },
            trade_from: tier.trade_from,
            first_said,
        });
    }
    out.score = out
        .contributions
        .iter()
        .map(|c| c.points)
        .sum::<i64>()
        .clamp(0, 100);
    out
}
