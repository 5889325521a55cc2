//! The booking lane: the caller is texted the next open windows, picks one
//! by replying with its number, and gets it confirmed; a window never holds
//! more jobs than the owner allows. A request with no window to offer (no
//! windows configured, or all of them full) is queued for the owner's
//! morning; so is an offer the caller has not answered by then.
//!
//! With the owner's Google Calendar configured, a window that overlaps a
//! busy stretch there is full, and a booked window is put on it (a job of
//! its own, retried, idempotent by the event's id).
//!
//! The offer runs as a job after the dialog's commit, so that nothing
//! slower than the store stands between a caller and the answer.

use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config::Business;
use crate::conversation::Conversation;
use crate::record::receipt::{BookingRef, Window};
use crate::server::App;
use crate::store::{self, Booked, NewJob, Tx};

/// How long an offer stays open for the caller's reply.
const REPLY_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// How far ahead the calendar is read for busy stretches.
const CALENDAR_DAYS: i64 = 21;
/// Offer attempts that wait out a calendar that does not answer before
/// the request goes to the owner instead.
const CALENDAR_ATTEMPTS: i64 = 3;

/// Why a booking job must run again.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("a stored contact does not read: {0}")]
    State(#[from] serde_json::Error),
    /// The calendar did not answer; worth another try.
    #[error("{0}")]
    Calendar(String),
}

/// A window offered to a caller, as stored in the contact's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub start: i64,
    pub end: i64,
}

/// The job that makes the offer, queued with the dialog's commit.
pub fn job(c: &Conversation, trade: &str, now: i64) -> NewJob {
    NewJob {
        dedupe_key: format!("booking:{}", c.contact_id),
        kind: "booking".into(),
        contact_id: c.contact_id.clone(),
        payload: json!({"trade": trade}),
        run_at: now,
    }
}

/// The next open windows for `trade` after `now`: not full in the store,
/// and not overlapping a busy stretch of the owner's calendar.
async fn open_slots(
    tx: &mut Tx<'_>,
    business: &Business,
    trade: &str,
    now: Timestamp,
    busy: &[(Timestamp, Timestamp)],
) -> Result<Vec<Slot>, store::Error> {
    let Some((windows, count)) = &business.booking else {
        return Ok(Vec::new());
    };
    let taken = tx
        .slots_taken(&business.number, trade, now.as_millisecond())
        .await?;
    let ours = tx
        .booked_windows(&business.number, now.as_millisecond())
        .await?;
    let busy = others(busy, &ours);
    let free = windows.next_windows(
        &business.hours,
        now,
        &|start: &Zoned, end: &Zoned| {
            let (s, e) = (start.timestamp(), end.timestamp());
            if busy.iter().any(|&(from, to)| from < e && s < to) {
                return windows.per_window;
            }
            taken.get(&s.as_millisecond()).copied().unwrap_or(0)
        },
        *count,
    );
    Ok(free
        .into_iter()
        .map(|(s, e)| Slot {
            start: s.timestamp().as_millisecond(),
            end: e.timestamp().as_millisecond(),
        })
        .collect())
}

/// The busy stretches that are not nightdesk's own bookings: a stretch
/// wholly inside what was booked here is ours, already counted in the
/// store; anything else on the calendar fills the windows it overlaps.
pub fn others(busy: &[(Timestamp, Timestamp)], ours: &[(i64, i64)]) -> Vec<(Timestamp, Timestamp)> {
    let mut merged: Vec<(i64, i64)> = Vec::new();
    let mut sorted = ours.to_vec();
    sorted.sort_unstable();
    for (s, e) in sorted {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    busy.iter()
        .copied()
        .filter(|(s, e)| {
            let (s, e) = (s.as_millisecond(), e.as_millisecond());
            !merged.iter().any(|&(a, b)| a <= s && e <= b)
        })
        .collect()
}

/// Runs the offer job: texts the caller the open windows, or queues the
/// request for the owner's morning when there are none. `attempt` counts
/// from 1; a calendar that does not answer is waited for a few attempts.
///
/// # Errors
///
/// When the store fails or the calendar is worth another try; the job is
/// then retried.
pub async fn offer(
    app: &App,
    business: &Business,
    contact_id: &str,
    trade: &str,
    now: Timestamp,
    attempt: i64,
) -> Result<(), Error> {
    let mut unknown = None;
    let busy = match (&business.booking_calendar, &business.booking) {
        (Some(cal), Some(_)) => {
            let from = now.to_zoned(business.tz.clone());
            let to = from
                .checked_add(jiff::Span::new().days(CALENDAR_DAYS))
                .unwrap_or_else(|_| from.clone());
            match super::calendar::busy(cal, &from, &to, now.as_millisecond()).await {
                Ok(busy) => busy,
                Err(e @ crate::record::sinks::Error::Retry { .. })
                    if attempt < CALENDAR_ATTEMPTS =>
                {
                    return Err(Error::Calendar(e.to_string()));
                }
                Err(e) => {
                    tracing::warn!(contact_id, error = %e, "booking calendar unreadable");
                    unknown = Some(e.to_string());
                    Vec::new()
                }
            }
        }
        _ => Vec::new(),
    };
    let mut tx = app.store.begin().await?;
    let Some(stored) = tx.contact(contact_id).await? else {
        return Ok(());
    };
    let c: Conversation = serde_json::from_str(&stored.state)?;
    // A retried job after its commit has nothing left to do.
    if !tx.events(contact_id, "booking").await?.is_empty() {
        return Ok(());
    }
    let ms = now.as_millisecond();
    let slots = match unknown {
        // An unreadable calendar is unknown, not free: nothing is offered.
        Some(_) => Vec::new(),
        None => open_slots(&mut tx, business, trade, now, &busy).await?,
    };
    if unknown.is_some() {
        let why = "The booking calendar could not be read, so no time was offered";
        queue_for_owner(&mut tx, business, &c, why, now).await?;
    } else if slots.is_empty() || c.caller.is_empty() {
        let why = "No open window could be offered";
        queue_for_owner(&mut tx, business, &c, why, now).await?;
    } else {
        let text = offer_text(business, &slots);
        tx.enqueue(&caller_text(&c, "booking-offer", &text, ms), ms)
            .await?;
        tx.event(
            contact_id,
            "booking",
            &json!({"offered": slots, "trade": trade}),
            ms,
        )
        .await?;
        // Unanswered by the next opening: the owner calls the caller.
        let check = business
            .hours
            .next_open(Timestamp::from_millisecond(ms + 3600 * 1000).unwrap_or(now))
            .map_or(ms + REPLY_WINDOW_MS, |z| z.timestamp().as_millisecond());
        tx.enqueue(
            &NewJob {
                dedupe_key: format!("booking-check:{contact_id}"),
                kind: "booking-check".into(),
                contact_id: contact_id.into(),
                payload: json!({"trade": trade}),
                run_at: check,
            },
            ms,
        )
        .await?;
    }
    super::escalation::rewrite_receipt(&mut tx, business, contact_id, ms).await?;
    tx.commit().await?;
    app.jobs_ready.notify_one();
    Ok(())
}

/// Runs the morning check of an offer: when the caller has booked
/// nothing, the owner is asked to call them.
///
/// # Errors
///
/// When the store fails; the job is then retried.
pub async fn check(
    app: &App,
    business: &Business,
    contact_id: &str,
    now: Timestamp,
) -> Result<(), store::Error> {
    let mut tx = app.store.begin().await?;
    let Some(stored) = tx.contact(contact_id).await? else {
        return Ok(());
    };
    if tx.booking(contact_id).await?.is_some() {
        return Ok(());
    }
    let c: Conversation = serde_json::from_str(&stored.state)?;
    queue_for_owner(
        &mut tx,
        business,
        &c,
        "Offered times by text, none picked yet",
        now,
    )
    .await?;
    super::escalation::rewrite_receipt(&mut tx, business, contact_id, now.as_millisecond()).await?;
    tx.commit().await?;
    app.jobs_ready.notify_one();
    Ok(())
}

/// Texts the owner the request, at once when the business is open, else
/// at its next opening.
async fn queue_for_owner(
    tx: &mut Tx<'_>,
    business: &Business,
    c: &Conversation,
    why: &str,
    now: Timestamp,
) -> Result<(), store::Error> {
    let ms = now.as_millisecond();
    let at = business
        .hours
        .next_open(now)
        .map_or(ms, |z| z.timestamp().as_millisecond());
    let (a, d) = crate::triage::run(&c.case(), business);
    let text = format!(
        "BOOKING REQUEST. {why}; please call to set a time. {}",
        super::plan::alert_text(business, c, &a, &d)
    );
    let job = NewJob {
        dedupe_key: format!("booking-owner:{}", c.contact_id),
        kind: "message".into(),
        contact_id: c.contact_id.clone(),
        payload: json!({"role": "owner", "name": business.owner.name, "to": business.owner.phone,
            "text": text, "texts": true, "step": "booking-owner"}),
        run_at: at,
    };
    tx.enqueue(&job, ms).await?;
    tx.event(&c.contact_id, "booking", &json!({"queued_for": at}), ms)
        .await
}

fn caller_text(c: &Conversation, step: &str, text: &str, now: i64) -> NewJob {
    NewJob {
        dedupe_key: format!("{step}:{}:{now}", c.contact_id),
        kind: "message".into(),
        contact_id: c.contact_id.clone(),
        payload: json!({"role": "caller", "name": "", "to": c.caller, "text": text,
            "texts": true, "step": step, "handoff": false}),
        run_at: now,
    }
}

/// The offer as a text: each window numbered, in the business's words.
pub fn offer_text(business: &Business, slots: &[Slot]) -> String {
    let listed: Vec<String> = slots
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}) {}", i + 1, label(business, *s)))
        .collect();
    let picks: Vec<String> = (1..=slots.len()).map(|i| i.to_string()).collect();
    let choose = match picks.as_slice() {
        [one] => format!("Reply {one} to book it"),
        [rest @ .., last] => format!("Reply {} or {last} to book", rest.join(", ")),
        [] => String::new(),
    };
    format!(
        "{}: we can come {}. {choose}, or call us to pick another time.",
        business.name,
        listed.join("  ")
    )
}

/// A window in the caller's local words: "Mon Dec 7, 8-10 AM".
pub fn label(business: &Business, s: Slot) -> String {
    let zone = |ms: i64| {
        Timestamp::from_millisecond(ms)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(business.tz.clone())
    };
    let (start, end) = (zone(s.start), zone(s.end));
    let clock = |z: &Zoned| {
        let hour = match z.hour() % 12 {
            0 => 12,
            h => h,
        };
        if z.minute() == 0 {
            hour.to_string()
        } else {
            format!("{hour}:{:02}", z.minute())
        }
    };
    let half = |z: &Zoned| if z.hour() < 12 { "AM" } else { "PM" };
    let times = if half(&start) == half(&end) {
        format!("{}-{} {}", clock(&start), clock(&end), half(&end))
    } else {
        format!(
            "{} {}-{} {}",
            clock(&start),
            half(&start),
            clock(&end),
            half(&end)
        )
    };
    format!("{}, {times}", start.strftime("%a %b %-d"))
}

/// Which of `count` offered windows a reply picks: "2", "#2", "option 2",
/// "the second one"; "yes" when only one was offered. `None` for anything
/// else, which is then a new message, not a pick.
pub fn pick(text: &str, count: usize) -> Option<usize> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .filter(|w| {
            !matches!(
                *w,
                "the" | "option" | "number" | "no" | "one" | "please" | "pls"
            )
        })
        .collect();
    let ordinal = |w: &str| match w {
        "1" | "1st" | "first" => Some(1),
        "2" | "2nd" | "second" => Some(2),
        "3" | "3rd" | "third" => Some(3),
        "4" | "4th" | "fourth" => Some(4),
        "5" | "5th" | "fifth" => Some(5),
        _ => None,
    };
    let n = match words.as_slice() {
        [w] => ordinal(w).or(match *w {
            "yes" | "y" | "ok" | "okay" | "sure" if count == 1 => Some(1),
            _ => None,
        }),
        // "one" alone was dropped as filler; it is the first window.
        [] if lower.trim().trim_end_matches(['.', '!']) == "one" => Some(1),
        _ => None,
    }?;
    (1..=count).contains(&n).then(|| n - 1)
}

/// A caller's text that answers a booking offer: takes the window and
/// confirms it, or offers what is still open when it filled meanwhile.
/// `None` when the caller has no open offer or the text picks nothing.
///
/// # Errors
///
/// When the store fails.
pub async fn reply(
    tx: &mut Tx<'_>,
    business: &Business,
    caller: &str,
    text: &str,
    now: Timestamp,
) -> Result<Option<String>, store::Error> {
    let ms = now.as_millisecond();
    let Some(stored) = tx
        .recent_contact(&business.number, caller, "closed", ms - REPLY_WINDOW_MS)
        .await?
    else {
        return Ok(None);
    };
    let offered = tx
        .events(&stored.id, "booking")
        .await?
        .into_iter()
        .rev()
        .find_map(|e| {
            let trade = e.get("trade")?.as_str()?.to_string();
            let slots: Vec<Slot> = serde_json::from_value(e.get("offered")?.clone()).ok()?;
            Some((trade, slots))
        });
    let Some((trade, slots)) = offered else {
        return Ok(None);
    };
    let Some(i) = pick(text, slots.len()) else {
        return Ok(None);
    };
    if let Some(held) = tx.booking(&stored.id).await? {
        let s = Slot {
            start: held.starts_at,
            end: held.ends_at,
        };
        return Ok(Some(format!(
            "You're already booked for {}. To change it, please call us.",
            label(business, s)
        )));
    }
    let slot = slots[i];
    let capacity = business.booking.as_ref().map_or(1, |(w, _)| w.per_window);
    let wanted = Booked {
        trade: trade.clone(),
        starts_at: slot.start,
        ends_at: slot.end,
    };
    let answer = if slot.start > ms
        && tx
            .take_slot(&business.number, &stored.id, &wanted, capacity, ms)
            .await?
    {
        tx.event(&stored.id, "booking", &json!({"booked": slot}), ms)
            .await?;
        let step = json!({"at": now.to_string(), "step": "booked", "who": "caller",
            "role": "caller", "note": label(business, slot)});
        tx.event(&stored.id, "handoff", &step, ms).await?;
        if business.booking_calendar.is_some() {
            tx.enqueue(
                &NewJob {
                    dedupe_key: format!("calendar:{}", stored.id),
                    kind: "calendar".into(),
                    contact_id: stored.id.clone(),
                    payload: json!({}),
                    run_at: ms,
                },
                ms,
            )
            .await?;
        }
        format!(
            "You're booked: {}. {} will text before arriving. If anything gets worse, call us.",
            label(business, slot),
            business.name
        )
    } else {
        // The pick is answered inside the webhook: no calendar call here.
        let open = open_slots(tx, business, &trade, now, &[]).await?;
        if open.is_empty() {
            let c: Conversation = serde_json::from_str(&stored.state)?;
            queue_for_owner(tx, business, &c, "The picked window filled", now).await?;
            "Sorry, that time just filled. We'll call you to set a time.".to_string()
        } else {
            tx.event(
                &stored.id,
                "booking",
                &json!({"offered": open, "trade": trade}),
                ms,
            )
            .await?;
            format!(
                "Sorry, that time just filled. {}",
                offer_text(business, &open)
            )
        }
    };
    super::escalation::rewrite_receipt(tx, business, &stored.id, ms).await?;
    Ok(Some(answer))
}

/// Runs the calendar job of a booked contact: puts the window on the
/// owner's calendar and records the event.
///
/// # Errors
///
/// [`Error::Calendar`] when worth another try; a calendar that refuses
/// the event is recorded and left for the owner.
pub async fn put_on_calendar(
    app: &App,
    business: &Business,
    contact_id: &str,
    now: Timestamp,
) -> Result<(), Error> {
    let Some(cal) = &business.booking_calendar else {
        return Ok(());
    };
    let (booked, c) = {
        let mut tx = app.store.begin().await?;
        let Some(stored) = tx.contact(contact_id).await? else {
            return Ok(());
        };
        let Some(booked) = tx.booking(contact_id).await? else {
            return Ok(());
        };
        let c: Conversation = serde_json::from_str(&stored.state)?;
        (booked, c)
    };
    let (a, d) = crate::triage::run(&c.case(), business);
    let zone = |ms: i64| {
        Timestamp::from_millisecond(ms)
            .unwrap_or(now)
            .to_zoned(business.tz.clone())
    };
    let name = c
        .words
        .iter()
        .find(|u| u.slot.as_deref() == Some("name"))
        .map_or("caller", |u| u.text.as_str());
    let event = super::calendar::NewEvent {
        contact_id: contact_id.to_string(),
        summary: format!("{}: {name}", booked.trade),
        location: a
            .address
            .as_ref()
            .map(crate::record::receipt::one_line)
            .or_else(|| a.address_heard.clone())
            .unwrap_or_default(),
        description: format!(
            "Booked by nightdesk, contact {contact_id}. {}",
            super::plan::alert_text(business, &c, &a, &d)
        ),
        start: zone(booked.starts_at),
        end: zone(booked.ends_at),
    };
    let ms = now.as_millisecond();
    let note = match super::calendar::insert(cal, &event, ms).await {
        Ok(id) => json!({"calendar_event": id}),
        Err(e @ crate::record::sinks::Error::Retry { .. }) => {
            return Err(Error::Calendar(e.to_string()));
        }
        Err(e) => {
            tracing::warn!(contact_id, error = %e, "booking not put on the calendar");
            json!({"calendar_error": e.to_string()})
        }
    };
    let mut tx = app.store.begin().await?;
    tx.event(contact_id, "booking", &note, ms).await?;
    super::escalation::rewrite_receipt(&mut tx, business, contact_id, ms).await?;
    tx.commit().await?;
    app.jobs_ready.notify_one();
    Ok(())
}

/// The booking part of a receipt, folded from the contact's booking events
/// and the window it holds.
pub fn receipt_part(
    business: &Business,
    events: &[Value],
    booked: Option<&Booked>,
) -> Option<BookingRef> {
    if events.is_empty() && booked.is_none() {
        return None;
    }
    let window = |s: Slot| Window {
        start: instant(s.start),
        end: instant(s.end),
        label: label(business, s),
    };
    let mut part = BookingRef {
        trade: None,
        offered: Vec::new(),
        booked: None,
        queued_for_owner: None,
        calendar_event: None,
        calendar_error: None,
    };
    for e in events {
        if let Some(slots) = e
            .get("offered")
            .and_then(|v| serde_json::from_value::<Vec<Slot>>(v.clone()).ok())
        {
            part.offered = slots.into_iter().map(window).collect();
            part.trade = e.get("trade").and_then(Value::as_str).map(str::to_string);
        }
        if let Some(at) = e.get("queued_for").and_then(Value::as_i64) {
            part.queued_for_owner = Some(instant(at));
        }
        if let Some(id) = e.get("calendar_event").and_then(Value::as_str) {
            part.calendar_event = Some(id.to_string());
        }
        if let Some(why) = e.get("calendar_error").and_then(Value::as_str) {
            part.calendar_error = Some(why.to_string());
        }
    }
    if let Some(b) = booked {
        part.trade = Some(b.trade.clone());
        part.booked = Some(window(Slot {
            start: b.starts_at,
            end: b.ends_at,
        }));
    }
    Some(part)
}

fn instant(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_a_window_by_number_or_ordinal() {
        let table: &[(&str, usize, Option<usize>)] = &[
            ("1", 3, Some(0)),
            ("2", 3, Some(1)),
            (" 3. ", 3, Some(2)),
            ("#2", 3, Some(1)),
            ("option 3", 3, Some(2)),
            ("the second one", 3, Some(1)),
            ("First please", 3, Some(0)),
            ("one", 3, Some(0)),
            ("4", 3, None),
            ("0", 3, None),
            ("yes", 3, None),
            ("yes", 1, Some(0)),
            ("water is everywhere now", 3, None),
            ("2 kids and no heat", 3, None),
            ("", 3, None),
        ];
        for &(text, count, want) in table {
            assert_eq!(pick(text, count), want, "{text:?} of {count}");
        }
    }

    #[test]
    fn busy_time_of_our_own_bookings_is_not_counted_twice() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let ms = |s: &str| t(s).as_millisecond();
        // Two of our windows back to back, merged by Google into one stretch.
        let ours = [
            (ms("2026-12-07T14:00:00Z"), ms("2026-12-07T16:00:00Z")),
            (ms("2026-12-07T16:00:00Z"), ms("2026-12-07T18:00:00Z")),
        ];
        let busy = [
            (t("2026-12-07T14:00:00Z"), t("2026-12-07T18:00:00Z")),
            // The owner's own appointment that afternoon.
            (t("2026-12-07T19:30:00Z"), t("2026-12-07T20:00:00Z")),
            // Ours plus the owner's, merged: not only ours.
            (t("2026-12-08T13:00:00Z"), t("2026-12-08T16:00:00Z")),
        ];
        let other = others(&busy, &ours);
        assert_eq!(other, [busy[1], busy[2]]);
    }

    #[test]
    fn labels_windows_in_local_words_across_dst() {
        let config = crate::config::Config::embedded();
        let b = config.business("+16125550100").unwrap();
        let slot = |s: &str, e: &str| Slot {
            start: s.parse::<Timestamp>().unwrap().as_millisecond(),
            end: e.parse::<Timestamp>().unwrap().as_millisecond(),
        };
        // 08:00-10:00 in Chicago: UTC-6 in December, UTC-5 in July.
        assert_eq!(
            label(b, slot("2026-12-07T14:00:00Z", "2026-12-07T16:00:00Z")),
            "Mon Dec 7, 8-10 AM"
        );
        assert_eq!(
            label(b, slot("2026-07-06T13:00:00Z", "2026-07-06T15:00:00Z")),
            "Mon Jul 6, 8-10 AM"
        );
        assert_eq!(
            label(b, slot("2026-12-07T16:00:00Z", "2026-12-07T18:00:00Z")),
            "Mon Dec 7, 10 AM-12 PM"
        );
        let text = offer_text(
            b,
            &[
                slot("2026-12-07T14:00:00Z", "2026-12-07T16:00:00Z"),
                slot("2026-12-07T19:00:00Z", "2026-12-07T21:00:00Z"),
            ],
        );
        assert!(
            text.contains("1) Mon Dec 7, 8-10 AM  2) Mon Dec 7, 1-3 PM. Reply 1 or 2 to book"),
            "{text}"
        );
    }
}
