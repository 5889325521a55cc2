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
    // A caller names an account ("this is Riverside Diner", "it's Rick at
    // Northgate"), but not in an address: "2250 Riverside Avenue" is a
    // street. So the address answer is skipped, and a name followed by a
    // street word or led by a house number does not count.
    let named = || {
        // Most calls name no account: look for each name's first word in
        // the plain text before tokenising anything.
        let text = case
            .words
            .iter()
            .filter(|u| u.slot.as_deref() != Some("address"))
            .map(|u| u.text.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        let first_words = business.commercial.iter().flat_map(|a| {
            std::iter::once(a.name.as_str()).chain(a.also_called.iter().map(String::as_str))
        });
        // The leading letters of the first word only: "St." is "st" in
        // the tokens, and a caller may not type the full stop.
        let stem = |n: &str| -> String {
            n.chars()
                .take_while(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        };
        let mentioned = first_words.map(stem).any(|w| text.contains(&w));
        if !mentioned {
            return None;
        }
        let said: Vec<String> = case
            .words
            .iter()
            .filter(|u| u.slot.as_deref() != Some("address"))
            .flat_map(|u| tokenize(&u.text))
            .map(|t| t.word)
            .collect();
        business.commercial.iter().find(|a| {
            let name: Vec<String> = tokenize(&a.name).into_iter().map(|t| t.word).collect();
            std::iter::once(name)
                .chain(
                    a.also_called
                        .iter()
                        .map(|n| n.split_whitespace().map(str::to_string).collect()),
                )
                .any(|n| names_account(&said, &n))
        })
    };
    let account = by_number.or_else(named);
    let commercial = account
        .map(|a| a.name.clone())
        .or_else(|| listed.filter(|c| c.commercial).map(|c| c.name.clone()));
    Recognised {
        existing: listed.is_some() || account.is_some(),
        commercial,
    }
}

const STREET_WORDS: &[&str] = &[
    "avenue",
    "ave",
    "street",
    "st",
    "boulevard",
    "blvd",
    "road",
    "rd",
    "drive",
    "dr",
    "lane",
    "ln",
    "way",
    "parkway",
    "pkwy",
    "court",
    "ct",
    "place",
    "pl",
    "circle",
    "trail",
    "terrace",
    "highway",
];

/// Whether the words hold the account's name other than as a street.
fn names_account(said: &[String], name: &[String]) -> bool {
    if name.is_empty() || said.len() < name.len() {
        return false;
    }
    (0..=said.len() - name.len()).any(|i| {
        let matches = said[i..i + name.len()] == *name;
        let street_after = said
            .get(i + name.len())
            .is_some_and(|w| STREET_WORDS.contains(&w.as_str()));
        let number_before = i > 0 && said[i - 1].chars().all(|c| c.is_ascii_digit());
        matches && !street_after && !number_before
    })
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
    if case.channel.typed()
        && case
            .words
            .iter()
            .any(|u| u.slot.is_none() && shouting(&u.text))
    {
        why.push("writes in capitals throughout".into());
    }
    why
}
