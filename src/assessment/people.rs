//! Who is calling: an existing customer, a commercial account, an angry
//! caller.

use super::facts::Facts;
use super::text::{shouting, tokenize};
use crate::config::Business;
use crate::intake::Case;

pub struct Recognised {
    pub existing: bool,
    pub commercial: Option<String>,
}

/// Recognises the caller by caller ID, or by naming a commercial account
/// ("this is Riverside Diner"); an account named counts as that customer.
pub fn recognise(case: &Case, business: &Business) -> Recognised {
    let listed = business.customers.get(&case.from);
    let by_number = business.commercial.iter().find(|a| a.phone == case.from);
    let named = || {
        let words: Vec<String> = case
            .words
            .iter()
            .flat_map(|u| tokenize(&u.text))
            .map(|t| t.word)
            .collect();
        let said = format!(" {} ", words.join(" "));
        business.commercial.iter().find(|a| {
            let name = tokenize(&a.name).into_iter().map(|t| t.word).collect::<Vec<_>>().join(" ");
            std::iter::once(name)
                .chain(a.also_called.iter().cloned())
                .any(|n| !n.is_empty() && said.contains(&format!(" {n} ")))
        })
    };
    let account = by_number.or_else(named);
    let commercial = account
        .map(|a| a.name.clone())
        .or_else(|| listed.filter(|c| c.commercial).map(|c| c.name.clone()));
    Recognised { existing: listed.is_some() || account.is_some(), commercial }
}

/// Why the caller counts as angry, one reason a line; empty when not.
pub fn anger(case: &Case, facts: &Facts) -> Vec<String> {
    let mut why = Vec::new();
    for (fact, reason) in [
        ("wants_owner", "asks for the owner or a manager"),
        ("threatens", "threatens a review, a lawsuit or a chargeback"),
        ("repeat_failure", "says earlier visits failed twice or more"),
        ("swearing", "swears"),
    ] {
        if let Some(hit) = facts.evidence(fact).filter(|_| facts.said(fact)) {
            why.push(format!("{reason}: \"{}\"", hit.words));
        }
    }
    if case.channel.typed() && case.words.iter().any(|u| u.slot.is_none() && shouting(&u.text)) {
        why.push("writes in capitals throughout".into());
    }
    why
}
