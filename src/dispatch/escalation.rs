//! The escalation chain of an emergency: text the on-call technician, call
//! them, then the next technician, then the owner, a few rounds, until one
//! person accepts; if nobody does, the owner and the caller are told so.
//!
//! The ladder of steps is a pure function of the business and the instant,
//! frozen into the store when the chain starts. Every timer is a job; every
//! move of the chain is an update of the escalation row at the version it
//! was read, so a step fires once however many workers hold its timer.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::Business;
use crate::conversation::Conversation;
use crate::server::App;
use crate::store::{self, EscalationRow, NewJob, Tx};

/// What the caller is promised once someone accepts.
pub const CALLBACK_MINUTES: u32 = 15;

/// How far back a technician's reply looks for the job it answers.
const REPLY_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// Someone the chain can reach.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// A technician id, or `owner`.
    pub id: String,
    pub name: String,
    pub phone: String,
    /// `technician` or `owner`.
    pub role: String,
    pub takes_texts: bool,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// One step of the ladder: whom to reach, how, and how long to wait for
/// an acceptance before the next step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rung {
    pub person: Person,
    pub text: bool,
    pub call: bool,
    pub wait_minutes: u32,
    /// Which pass through the chain, from 0.
    pub round: u32,
    /// The step's place within its round, from 0.
    pub place: u32,
}

/// The steps of a business's chain for `trade` at `at`, every round of
/// them. A technician who cannot take texts is called instead; with
/// nobody on call the chain is the owner alone. Pure.
pub fn ladder(business: &Business, trade: &str, at: Timestamp) -> Vec<Rung> {
    let e = &business.escalation;
    let techs: Vec<Person> = business
        .schedule
        .chain(trade, at)
        .iter()
        .filter_map(|id| business.schedule.technician(id))
        .map(|t| Person {
            id: t.id.clone(),
            name: t.name.clone(),
            phone: t.phone.clone(),
            role: "technician".into(),
            takes_texts: t.takes_texts,
        })
        .collect();
    let owner = Person {
        id: "owner".into(),
        name: business.owner.name.clone(),
        phone: business.owner.phone.clone(),
        role: "owner".into(),
        takes_texts: true,
    };

    // (person, text, call, wait) for one round.
    let mut round: Vec<(Person, bool, bool, u32)> = Vec::new();
    if let Some(first) = techs.first() {
        if first.takes_texts {
            round.push((first.clone(), true, false, e.text_minutes));
            round.push((first.clone(), false, true, e.call_minutes));
        } else {
            round.push((first.clone(), false, true, e.call_minutes));
        }
    }
    if let Some(next) = techs.get(1) {
        round.push((next.clone(), next.takes_texts, true, e.next_minutes));
    }
    round.push((owner, true, true, e.next_minutes));

    (0..e.rounds.max(1))
        .flat_map(|r| {
            round
                .iter()
                .enumerate()
                .map(move |(k, (person, text, call, wait))| Rung {
                    person: person.clone(),
                    text: *text,
                    call: *call,
                    wait_minutes: *wait,
                    round: r,
                    place: k as u32,
                })
        })
        .collect()
}

/// The people a chain at `step` has reached, each once, in order.
pub fn reached(ladder: &[Rung], step: usize) -> Vec<&Person> {
    let mut people: Vec<&Person> = Vec::new();
    for rung in ladder.iter().take(step + 1) {
        if !people.iter().any(|p| p.id == rung.person.id) {
            people.push(&rung.person);
        }
    }
    people
}

/// Where a pass by `person` at `step` moves the chain: the next step for
/// someone else; `len` when none is left.
pub fn after_pass(ladder: &[Rung], step: usize, person: &str) -> usize {
    (step + 1..ladder.len())
        .find(|&i| ladder[i].person.id != person)
        .unwrap_or(ladder.len())
}

/// How an accept or pass came in, for the handoff's note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Text,
    Keypress,
    Link,
}

impl Via {
    fn note(self) -> &'static str {
        match self {
            Via::Text => "by text",
            Via::Keypress => "by keypress on the call",
            Via::Link => "by the link",
        }
    }
}

/// What an accept or pass did, for the answer to the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This person now owns the job.
    Accepted,
    /// They had already accepted it.
    AlreadyYours,
    /// Someone else accepted first; their name.
    TakenBy(String),
    /// The pass moved the chain on (or was noted, if it had moved on).
    Passed,
    /// Nobody asked this person about this contact.
    NotAsked,
}

impl Outcome {
    /// One line for the person who acted.
    pub fn says(&self) -> String {
        match self {
            Outcome::Accepted => format!("It's yours. Please call the caller within {CALLBACK_MINUTES} minutes; they have been told you will."),
            Outcome::AlreadyYours => "You already have this job.".into(),
            Outcome::TakenBy(name) => format!("Thanks, {name} already has this one. Nothing more needed from you."),
            Outcome::Passed => "Thanks, passed on to the next person.".into(),
            Outcome::NotAsked => "There is no job waiting for you right now.".into(),
        }
    }
}

fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

fn rfc3339(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn parse_ladder(row: &EscalationRow) -> Result<Vec<Rung>, store::Error> {
    Ok(serde_json::from_str(&row.ladder)?)
}

async fn handoff(
    tx: &mut Tx<'_>,
    contact_id: &str,
    step: &str,
    person: &Person,
    note: Option<String>,
    now: i64,
) -> Result<(), store::Error> {
    let body = json!({"at": rfc3339(now), "step": step, "who": person.name, "role": person.role, "note": note});
    tx.event(contact_id, "handoff", &body, now).await
}

/// Starts the chain of an emergency contact and queues its first step.
/// Runs inside the webhook's transaction; a second start does nothing.
///
/// # Errors
///
/// When the store fails.
pub async fn start(
    tx: &mut Tx<'_>,
    app: &App,
    business: &Business,
    c: &Conversation,
    trade: &str,
    summary: &str,
    now: i64,
) -> Result<(), store::Error> {
    let at = Timestamp::from_millisecond(now).unwrap_or(c.started_at);
    let ladder = ladder(business, trade, at);
    let row = EscalationRow {
        contact_id: c.contact_id.clone(),
        business: business.number.clone(),
        trade: trade.to_string(),
        ladder: serde_json::to_string(&ladder)?,
        summary: summary.to_string(),
        step: 0,
        status: "open".into(),
        accepted_by: None,
        version: 1,
        opened_at: now,
        updated_at: now,
    };
    if tx.insert_escalation(&row).await? {
        enter(tx, app, &row, &ladder[0], 0, now).await?;
    }
    Ok(())
}

/// Queues what a step does: its text, its call and its timer, each under
/// a dedupe key of (contact, round, place).
async fn enter(
    tx: &mut Tx<'_>,
    app: &App,
    row: &EscalationRow,
    rung: &Rung,
    step: usize,
    now: i64,
) -> Result<(), store::Error> {
    let key = format!("esc:{}:{}.{}", row.contact_id, rung.round, rung.place);
    let p = &rung.person;
    if rung.text && p.takes_texts {
        let text = match link_url(app, &row.contact_id, &p.id, now) {
            Some(url) => format!("{} Or tap: {url}", row.summary),
            None => row.summary.clone(),
        };
        let payload = json!({"role": p.role, "name": p.name, "to": p.phone, "text": text, "texts": true, "step": format!("escalation:{step}")});
        tx.enqueue(
            &NewJob {
                dedupe_key: format!("{key}:text"),
                kind: "message".into(),
                contact_id: row.contact_id.clone(),
                payload,
                run_at: now,
            },
            now,
        )
        .await?;
    }
    if rung.call {
        let payload =
            json!({"role": p.role, "name": p.name, "to": p.phone, "person": p.id, "step": step});
        tx.enqueue(
            &NewJob {
                dedupe_key: format!("{key}:call"),
                kind: "call".into(),
                contact_id: row.contact_id.clone(),
                payload,
                run_at: now,
            },
            now,
        )
        .await?;
    }
    let due = now + i64::from(rung.wait_minutes) * 60_000;
    let timer = NewJob {
        dedupe_key: format!("{key}:timer"),
        kind: "escalate".into(),
        contact_id: row.contact_id.clone(),
        payload: json!({"step": step}),
        run_at: due,
    };
    tx.enqueue(&timer, now).await?;
    Ok(())
}

/// The signed accept-or-pass page for `person`, when the server knows
/// its public URL.
pub fn link_url(app: &App, contact_id: &str, person: &str, now: i64) -> Option<String> {
    let base = app.public_url.as_deref()?.trim_end_matches('/');
    let key = super::link::key_from(app.auth_token.expose());
    Some(format!(
        "{base}/team/job?{}",
        super::link::query(
            &key,
            contact_id,
            person,
            now + super::link::LINK_LIFETIME_MS
        )
    ))
}

/// Moves the chain from the step it is on to `to`, or gives up when `to`
/// is past the end. The row's version makes this happen once.
async fn advance(
    tx: &mut Tx<'_>,
    app: &App,
    business: &Business,
    row: &EscalationRow,
    ladder: &[Rung],
    to: usize,
    now: i64,
) -> Result<(), store::Error> {
    let mut next = row.clone();
    if to >= ladder.len() {
        next.status = "gave_up".into();
        tx.update_escalation(&next, now).await?;
        give_up(tx, business, row, ladder, now).await
    } else {
        next.step = to as i64;
        tx.update_escalation(&next, now).await?;
        let rung = &ladder[to];
        let note = format!(
            "round {} of {}",
            rung.round + 1,
            business.escalation.rounds.max(1)
        );
        handoff(
            tx,
            &row.contact_id,
            "escalated",
            &rung.person,
            Some(note),
            now,
        )
        .await?;
        enter(tx, app, &next, rung, to, now).await
    }
}

/// Nobody accepted: the owner and the caller are told so, plainly.
async fn give_up(
    tx: &mut Tx<'_>,
    business: &Business,
    row: &EscalationRow,
    ladder: &[Rung],
    now: i64,
) -> Result<(), store::Error> {
    let owner = ladder
        .iter()
        .map(|r| &r.person)
        .find(|p| p.role == "owner")
        .cloned()
        .unwrap_or(Person {
            id: "owner".into(),
            name: business.owner.name.clone(),
            phone: business.owner.phone.clone(),
            role: "owner".into(),
            takes_texts: true,
        });
    let rounds = business.escalation.rounds.max(1);
    handoff(
        tx,
        &row.contact_id,
        "gave_up",
        &owner,
        Some(format!("nobody accepted in {rounds} rounds")),
        now,
    )
    .await?;
    let owner_text = format!(
        "NOBODY HAS ACCEPTED this emergency after {rounds} rounds. Please call the caller. {}",
        row.summary
    );
    let caller_text = format!(
        "We're sorry: none of the {} team has confirmed they can take your call yet. The owner has been told and we are still trying. If anyone is in danger, call 911.",
        business.name
    );
    notice(
        tx,
        &row.contact_id,
        "gave-up:owner",
        "owner",
        &owner.name,
        &owner.phone,
        &owner_text,
        now,
    )
    .await?;
    if let Some(caller) = caller_of(tx, &row.contact_id).await? {
        notice(
            tx,
            &row.contact_id,
            "gave-up:caller",
            "caller",
            "",
            &caller,
            &caller_text,
            now,
        )
        .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn notice(
    tx: &mut Tx<'_>,
    contact_id: &str,
    what: &str,
    role: &str,
    name: &str,
    to: &str,
    text: &str,
    now: i64,
) -> Result<bool, store::Error> {
    let payload = json!({"role": role, "name": name, "to": to, "text": text, "texts": true, "step": what, "handoff": false});
    tx.enqueue(
        &NewJob {
            dedupe_key: format!("esc:{contact_id}:{what}"),
            kind: "message".into(),
            contact_id: contact_id.into(),
            payload,
            run_at: now,
        },
        now,
    )
    .await
}

async fn caller_of(tx: &mut Tx<'_>, contact_id: &str) -> Result<Option<String>, store::Error> {
    let Some(stored) = tx.contact(contact_id).await? else {
        return Ok(None);
    };
    Ok(Some(stored.caller).filter(|c| !c.is_empty()))
}

/// A step's timer fired. Does nothing when the chain was accepted, gave
/// up or moved past `step` already; else records that nobody answered
/// and moves on. True when it moved the chain.
///
/// # Errors
///
/// `store::Error::Conflict` when another worker moved the chain in the
/// meantime (nothing to do then); otherwise when the store fails.
pub async fn fire(
    tx: &mut Tx<'_>,
    app: &App,
    business: &Business,
    contact_id: &str,
    step: usize,
    now: i64,
) -> Result<bool, store::Error> {
    let Some(row) = tx.escalation(contact_id).await? else {
        return Ok(false);
    };
    if row.status != "open" || row.step != step as i64 {
        return Ok(false);
    }
    let ladder = parse_ladder(&row)?;
    let Some(rung) = ladder.get(step) else {
        return Ok(false);
    };
    let note = format!("no acceptance within {} minutes", rung.wait_minutes);
    handoff(tx, contact_id, "no_answer", &rung.person, Some(note), now).await?;
    advance(tx, app, business, &row, &ladder, step + 1, now).await?;
    Ok(true)
}

/// The open job a team member's reply is about: the newest escalation of
/// the business that has reached someone with this phone, and who they
/// are in it.
///
/// # Errors
///
/// When the store fails.
pub async fn find_by_phone(
    tx: &mut Tx<'_>,
    business: &Business,
    phone: &str,
    now: i64,
) -> Result<Option<(String, String)>, store::Error> {
    for row in tx
        .recent_escalations(&business.number, now - REPLY_WINDOW_MS)
        .await?
    {
        let ladder = parse_ladder(&row)?;
        let upto = if row.status == "open" {
            row.step as usize
        } else {
            ladder.len()
        };
        if let Some(p) = reached(&ladder, upto)
            .into_iter()
            .find(|p| p.phone == phone)
        {
            return Ok(Some((row.contact_id.clone(), p.id.clone())));
        }
    }
    Ok(None)
}

/// `person` accepts the job. The first to accept owns it, whenever their
/// acceptance arrives; the caller is told who is coming and everyone else
/// reached is told they need not act.
///
/// # Errors
///
/// `store::Error::Conflict` when another acceptance or step changed the
/// chain first: run again in a fresh transaction.
pub async fn accept(
    tx: &mut Tx<'_>,
    business: &Business,
    contact_id: &str,
    person: &str,
    via: Via,
    now: i64,
) -> Result<Outcome, store::Error> {
    let Some(row) = tx.escalation(contact_id).await? else {
        return Ok(Outcome::NotAsked);
    };
    let ladder = parse_ladder(&row)?;
    let upto = if row.status == "open" {
        row.step as usize
    } else {
        ladder.len()
    };
    let people = reached(&ladder, upto);
    let Some(who) = people.iter().find(|p| p.id == person).map(|p| (*p).clone()) else {
        return Ok(Outcome::NotAsked);
    };
    if let Some(owner) = &row.accepted_by {
        if *owner == who.id {
            return Ok(Outcome::AlreadyYours);
        }
        let name = ladder
            .iter()
            .find(|r| r.person.id == *owner)
            .map_or("someone else".into(), |r| r.person.name.clone());
        return Ok(Outcome::TakenBy(name));
    }

    let late = row.status == "gave_up"
        || ladder
            .iter()
            .position(|r| r.person.id == who.id)
            .is_some_and(|i| {
                i < row.step as usize && ladder[row.step as usize].person.id != who.id
            });
    let mut next = row.clone();
    next.status = "accepted".into();
    next.accepted_by = Some(who.id.clone());
    tx.update_escalation(&next, now).await?;
    let note = if late {
        format!("{}, after the chain had moved on", via.note())
    } else {
        via.note().to_string()
    };
    handoff(tx, contact_id, "accepted", &who, Some(note), now).await?;

    if let Some(caller) = caller_of(tx, contact_id).await? {
        let text = format!(
            "{} from {} has your call and will call you within {CALLBACK_MINUTES} minutes.",
            first_name(&who.name),
            business.name
        );
        notice(
            tx,
            contact_id,
            "accepted:caller",
            "caller",
            "",
            &caller,
            &text,
            now,
        )
        .await?;
    }
    for other in people.iter().filter(|p| p.id != who.id && p.takes_texts) {
        let text = format!(
            "{} has taken this {} emergency for {}. Nothing more needed from you.",
            who.name, row.trade, business.name
        );
        notice(
            tx,
            contact_id,
            &format!("accepted:{}", other.id),
            "team",
            &other.name,
            &other.phone,
            &text,
            now,
        )
        .await?;
    }
    Ok(Outcome::Accepted)
}

/// `person` passes. A pass by the person the chain is waiting on moves it
/// on at once, past any further step for the same person; a pass from
/// someone the chain has left behind is only recorded.
///
/// # Errors
///
/// As for [`accept`].
pub async fn pass(
    tx: &mut Tx<'_>,
    app: &App,
    business: &Business,
    contact_id: &str,
    person: &str,
    via: Via,
    now: i64,
) -> Result<Outcome, store::Error> {
    let Some(row) = tx.escalation(contact_id).await? else {
        return Ok(Outcome::NotAsked);
    };
    let ladder = parse_ladder(&row)?;
    let step = row.step as usize;
    let upto = if row.status == "open" {
        step
    } else {
        ladder.len()
    };
    let Some(who) = reached(&ladder, upto)
        .into_iter()
        .find(|p| p.id == person)
        .cloned()
    else {
        return Ok(Outcome::NotAsked);
    };
    if let Some(owner) = &row.accepted_by {
        if *owner == who.id {
            return Ok(Outcome::AlreadyYours);
        }
        let name = ladder
            .iter()
            .find(|r| r.person.id == *owner)
            .map_or("someone else".into(), |r| r.person.name.clone());
        return Ok(Outcome::TakenBy(name));
    }
    handoff(tx, contact_id, "passed", &who, Some(via.note().into()), now).await?;
    if row.status == "open" && ladder[step].person.id == who.id {
        advance(
            tx,
            app,
            business,
            &row,
            &ladder,
            after_pass(&ladder, step, &who.id),
            now,
        )
        .await?;
    }
    Ok(Outcome::Passed)
}

/// Accepts or passes in a transaction of its own, retried when another
/// acceptance or step got there first; rewrites the receipt when the chain
/// changed. Used by the link and the keypress, which hold no transaction.
///
/// # Errors
///
/// When the store fails three times running.
pub async fn act(
    app: &App,
    contact_id: &str,
    person: &str,
    accepting: bool,
    via: Via,
) -> Result<Outcome, store::Error> {
    let mut tries = 0;
    loop {
        let now = app.clock.millis();
        let mut tx = app.store.begin().await?;
        let Some(row) = tx.escalation(contact_id).await? else {
            return Ok(Outcome::NotAsked);
        };
        let Some(business) = app.config.business(&row.business) else {
            return Ok(Outcome::NotAsked);
        };
        let done = if accepting {
            accept(&mut tx, business, contact_id, person, via, now).await
        } else {
            pass(&mut tx, app, business, contact_id, person, via, now).await
        };
        match done {
            Ok(outcome) => {
                if matches!(outcome, Outcome::Accepted | Outcome::Passed) {
                    rewrite_receipt(&mut tx, business, contact_id, now).await?;
                }
                tx.commit().await?;
                app.jobs_ready.notify_one();
                return Ok(outcome);
            }
            Err(store::Error::Conflict) if tries < 3 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

/// A call to `person` went unanswered or reached a machine: recorded as a
/// handoff step, once per call. The chain moves on by its timer.
///
/// # Errors
///
/// When the store fails.
pub async fn no_answer(
    app: &App,
    contact_id: &str,
    person: &str,
    call_sid: &str,
    note: &str,
) -> Result<(), store::Error> {
    let now = app.clock.millis();
    let mut tx = app.store.begin().await?;
    let Some(row) = tx.escalation(contact_id).await? else {
        return Ok(());
    };
    let Some(business) = app.config.business(&row.business) else {
        return Ok(());
    };
    let ladder = parse_ladder(&row)?;
    let Some(who) = ladder
        .iter()
        .map(|r| &r.person)
        .find(|p| p.id == person)
        .cloned()
    else {
        return Ok(());
    };
    let key = format!("team-call-status:{call_sid}");
    if tx
        .claim_webhook(&key, "team-call-status", &row.business, "", now)
        .await?
        != store::Claim::New
    {
        return Ok(());
    }
    handoff(
        &mut tx,
        contact_id,
        "no_answer",
        &who,
        Some(note.to_string()),
        now,
    )
    .await?;
    rewrite_receipt(&mut tx, business, contact_id, now).await?;
    tx.commit().await
}

/// A contact's escalation as its page shows it: the summary, and who has
/// the job if anyone does.
///
/// # Errors
///
/// When the store fails.
pub async fn status(
    app: &App,
    contact_id: &str,
) -> Result<Option<(String, Option<String>, String)>, store::Error> {
    let mut tx = app.store.begin().await?;
    let Some(row) = tx.escalation(contact_id).await? else {
        return Ok(None);
    };
    let ladder = parse_ladder(&row)?;
    let holder = row
        .accepted_by
        .as_ref()
        .and_then(|id| ladder.iter().find(|r| r.person.id == *id))
        .map(|r| r.person.name.clone());
    Ok(Some((row.summary, holder, row.status)))
}

/// Rewrites a contact's receipt from what is stored, after a handoff.
///
/// # Errors
///
/// When the store fails or the stored conversation is unreadable.
pub async fn rewrite_receipt(
    tx: &mut Tx<'_>,
    business: &Business,
    contact_id: &str,
    now: i64,
) -> Result<(), store::Error> {
    let Some(stored) = tx.contact(contact_id).await? else {
        return Ok(());
    };
    let c: Conversation = serde_json::from_str(&stored.state)?;
    let (a, d) = crate::triage::run(&c.case(), business);
    let at = Timestamp::from_millisecond(now).unwrap_or(c.started_at);
    super::plan::write_receipt(tx, business, &c, &a, &d, at).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn birchline(config: &Config) -> &Business {
        config.business("+16125550100").unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// One line per step: "name text/call wait".
    fn steps(ladder: &[Rung]) -> Vec<String> {
        ladder
            .iter()
            .map(|r| {
                let how = match (r.text, r.call) {
                    (true, true) => "text+call",
                    (true, false) => "text",
                    _ => "call",
                };
                format!("{} {how} {}", r.person.name, r.wait_minutes)
            })
            .collect()
    }

    #[test]
    fn birchline_hvac_texts_calls_then_the_next_technician_then_the_owner() {
        let config = Config::embedded();
        // Week of 2026-01-05: Dana is on call for HVAC, Luis comes next.
        let l = ladder(birchline(&config), "hvac", at("2026-01-07T08:00:00Z"));
        let round = [
            "Dana Whitford text 5",
            "Dana Whitford call 3",
            "Luis Ortega text+call 5",
            "Karen Birch text+call 5",
        ];
        let want: Vec<String> = round
            .iter()
            .chain(round.iter())
            .map(|s| s.to_string())
            .collect();
        assert_eq!(steps(&l), want);
        assert_eq!((l[4].round, l[4].place), (1, 0));
    }

    #[test]
    fn a_landline_backup_is_called_not_texted() {
        let config = Config::embedded();
        let l = ladder(birchline(&config), "electrical", at("2026-01-07T08:00:00Z"));
        assert_eq!(
            steps(&l)[..4],
            [
                "Marcus Bell text 5",
                "Marcus Bell call 3",
                "Ahmed Yusuf call 5",
                "Karen Birch text+call 5"
            ]
        );
    }

    #[test]
    fn nobody_on_call_goes_straight_to_the_owner() {
        let config = Config::embedded();
        let l = ladder(birchline(&config), "roofing", at("2026-01-07T08:00:00Z"));
        assert_eq!(
            steps(&l),
            ["Karen Birch text+call 5", "Karen Birch text+call 5"]
        );
    }

    #[test]
    fn a_pass_skips_the_passers_own_later_steps() {
        let config = Config::embedded();
        let l = ladder(birchline(&config), "hvac", at("2026-01-07T08:00:00Z"));
        assert_eq!(after_pass(&l, 0, &l[0].person.id), 2);
        assert_eq!(after_pass(&l, 2, &l[2].person.id), 3);
        assert_eq!(after_pass(&l, 7, "owner"), 8);
        assert_eq!(reached(&l, 1).len(), 1);
        assert_eq!(reached(&l, 3).len(), 3);
    }
}
