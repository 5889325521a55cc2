//! Who is on call for a trade at an instant, and who comes after them.
//!
//! Rotations, overrides and restricted hours are kept as local wall-clock
//! times in the business's zone, so a 07:00 handoff stays at 07:00 across
//! daylight saving time. Everything here is a pure function of a validated
//! `Schedule` and an instant; the config loader builds the schedule.

use jiff::civil::{self, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Span, Timestamp, ToSpan, Unit, Zoned};
use serde::{Deserialize, Serialize};

pub use super::hours::{BookingWindows, Holiday, Hours};

/// A person who can be alerted.
///
/// `Debug` shows only the id: names and phone numbers never reach logs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Technician {
    pub id: String,
    pub name: String,
    /// E.164, e.g. `+16125550111`.
    pub phone: String,
    /// False for a landline: reach this person by voice call only.
    pub takes_texts: bool,
}

impl std::fmt::Debug for Technician {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Technician")
            .field("id", &self.id)
            .field("takes_texts", &self.takes_texts)
            .finish_non_exhaustive()
    }
}

/// How often a rotation hands off to the next person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RotationKind {
    Weekly,
    Daily,
    /// The first person in the order, all the time.
    Always,
}

/// The on-call rotation of one trade.
///
/// Shift `n` of a weekly rotation runs from `start + n weeks` to
/// `start + (n + 1) weeks`, counted on the local calendar and then placed
/// in the zone, and belongs to `order[n mod len]`. Shifts repeat before
/// `start` too: the week before it is the last person's. Daily is the same
/// with days.
#[derive(Clone, Debug, PartialEq)]
pub struct Rotation {
    pub trade: String,
    pub kind: RotationKind,
    /// Technician ids, in handoff order.
    pub order: Vec<String>,
    /// The first handoff, local wall-clock time.
    pub start: civil::DateTime,
    /// Who is next when the chain has gone through `order`.
    pub backup: Option<String>,
    /// On call only between these local times each day; the pair may wrap
    /// midnight (`22:00`–`06:00`), and equal times mean the whole day.
    /// `None` means all the time.
    pub hours: Option<(Time, Time)>,
}

/// A swap: `technician` is on call from `from` (inclusive) to `until`
/// (exclusive), local times, whatever the rotation says.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// `None` means every trade whose rotation names the technician, in
    /// its order or as its backup.
    pub trade: Option<String>,
    pub technician: String,
    pub from: civil::DateTime,
    pub until: civil::DateTime,
}

/// Everything needed to say who is on call, for one business.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub tz: TimeZone,
    pub technicians: Vec<Technician>,
    /// Several rotations may share a trade (a day and a night rotation with
    /// restricted hours); the first one on duty at an instant wins.
    pub rotations: Vec<Rotation>,
    /// The latest-declared override covering an instant wins.
    pub overrides: Vec<Override>,
}

/// Who is on call, and over which stretch of time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Shift {
    /// A technician id.
    pub technician: String,
    /// `None` when the shift has no start (an `Always` rotation).
    pub from: Option<Zoned>,
    /// `None` when the shift has no end (an `Always` rotation).
    pub until: Option<Zoned>,
    pub backup: Option<String>,
    pub from_override: bool,
}

/// What went wrong reading schedule input; each message says what to write.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "cannot read {text:?} as a time; write a local time such as \
         2026-03-08T02:30 or an instant such as 2026-03-08T02:30:00-06:00"
    )]
    BadTime { text: String },
    #[error("{text:?} cannot be placed in {zone}; use a date closer to today")]
    OutOfRange { text: String, zone: String },
    #[error(
        "unknown holiday {text:?}; write a name such as thanksgiving, a date \
         every year such as 12-24, or a single date such as 2026-11-27"
    )]
    BadHoliday { text: String },
}

impl Schedule {
    /// The technician with this id.
    pub fn technician(&self, id: &str) -> Option<&Technician> {
        self.technicians.iter().find(|t| t.id == id)
    }

    /// Who is on call for `trade` at `at`: the latest-declared override
    /// covering `at`, else the first rotation of the trade on duty then.
    ///
    /// An override covers its whole period, even outside its rotation's
    /// restricted hours: the owner wrote those times on purpose. `None`
    /// means nobody is on call (outside restricted hours, or no rotation).
    pub fn on_call(&self, trade: &str, at: Timestamp) -> Option<Shift> {
        if let Some(swap) = self.override_at(trade, at) {
            return Some(Shift {
                technician: swap.technician.clone(),
                from: swap.from.to_zoned(self.tz.clone()).ok(),
                until: swap.until.to_zoned(self.tz.clone()).ok(),
                backup: self.rotations_of(trade).find_map(|r| r.backup.clone()),
                from_override: true,
            });
        }
        self.rotations_of(trade)
            .find_map(|r| r.shift_at(&self.tz, at))
    }

    /// The escalation order for `trade` at `at`, as technician ids: the
    /// on-call person, then the people after them in the rotation's order
    /// (wrapping round), then the backup; no one twice.
    ///
    /// When an override puts someone outside the order on call, the order
    /// is walked from the person the rotation had on call. Empty when
    /// nobody is on call: the caller escalates to the owner.
    pub fn chain(&self, trade: &str, at: Timestamp) -> Vec<String> {
        let Some(on_call) = self.on_call(trade, at) else {
            return Vec::new();
        };
        let mut chain = vec![on_call.technician];

        // The rotation on duty gives the order; outside its hours (an
        // override at night) the trade's first rotation does.
        let on_duty = self
            .rotations_of(trade)
            .find_map(|r| Some((r, Some(r.shift_at(&self.tz, at)?))));
        let first_rotation = || Some((self.rotations_of(trade).next()?, None));
        let Some((rotation, scheduled)) = on_duty.or_else(first_rotation) else {
            return chain;
        };

        let order = &rotation.order;
        let first = match order.iter().position(|id| *id == chain[0]) {
            Some(i) => i + 1,
            None => scheduled
                .and_then(|s| order.iter().position(|id| *id == s.technician))
                .unwrap_or(0),
        };
        let rest = (0..order.len()).map(|k| &order[(first + k) % order.len()]);
        for id in rest.chain(rotation.backup.as_ref()) {
            if !chain.contains(id) {
                chain.push(id.clone());
            }
        }
        chain
    }

    /// The periods within `days` local calendar days from `from` when
    /// nobody is on call for `trade`, in order, adjacent periods merged.
    pub fn coverage_gaps(&self, trade: &str, from: Timestamp, days: u32) -> Vec<(Zoned, Zoned)> {
        let start = from.to_zoned(self.tz.clone());
        let span = Span::new().try_days(i64::from(days));
        let Ok(end) = span.and_then(|span| start.checked_add(span)) else {
            return Vec::new();
        };

        // Who is on call can only start or stop at a restricted-hours edge
        // or an override's edge, so one probe per stretch between edges
        // is enough.
        let mut edges = vec![start.clone()];
        edges.extend(self.edges(trade, &start, &end));
        edges.push(end);

        let mut gaps: Vec<(Zoned, Zoned)> = Vec::new();
        for pair in edges.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if self.on_call(trade, a.timestamp()).is_some() {
                continue;
            }
            match gaps.last_mut() {
                Some(last) if last.1 == *a => last.1 = b.clone(),
                _ => gaps.push((a.clone(), b.clone())),
            }
        }
        gaps
    }

    /// Instants strictly between `start` and `end` where coverage of
    /// `trade` may change, sorted and without repeats.
    fn edges(&self, trade: &str, start: &Zoned, end: &Zoned) -> Vec<Zoned> {
        let mut local = Vec::new();
        for (open, close) in self.rotations_of(trade).filter_map(|r| r.hours) {
            let Ok(first) = start.date().yesterday() else {
                continue;
            };
            let days = start
                .date()
                .until((Unit::Day, end.date()))
                .map_or(0, |s| s.get_days());
            for date in first.series(1.day()).take(days as usize + 3) {
                local.extend([date.to_datetime(open), date.to_datetime(close)]);
            }
        }
        for swap in self
            .overrides
            .iter()
            .filter(|o| self.override_applies(o, trade))
        {
            local.extend([swap.from, swap.until]);
        }

        let mut edges: Vec<Zoned> = local
            .into_iter()
            .filter_map(|dt| dt.to_zoned(self.tz.clone()).ok())
            .filter(|z| start < z && z < end)
            .collect();
        edges.sort();
        edges.dedup();
        edges
    }

    fn rotations_of<'a>(&'a self, trade: &'a str) -> impl Iterator<Item = &'a Rotation> + 'a {
        self.rotations.iter().filter(move |r| r.trade == trade)
    }

    fn override_at(&self, trade: &str, at: Timestamp) -> Option<&Override> {
        let covers = |o: &Override| {
            let from = o.from.to_zoned(self.tz.clone());
            let until = o.until.to_zoned(self.tz.clone());
            matches!((from, until), (Ok(f), Ok(u)) if f.timestamp() <= at && at < u.timestamp())
        };
        self.overrides
            .iter()
            .rev()
            .find(|o| self.override_applies(o, trade) && covers(o))
    }

    fn override_applies(&self, swap: &Override, trade: &str) -> bool {
        match &swap.trade {
            Some(t) => t == trade,
            None => self.rotations_of(trade).any(|r| {
                r.order.contains(&swap.technician) || r.backup.as_ref() == Some(&swap.technician)
            }),
        }
    }
}

impl Rotation {
    /// This rotation's shift at `at`, cut to the restricted-hours window
    /// around `at`; `None` outside those hours or with an empty order.
    fn shift_at(&self, tz: &TimeZone, at: Timestamp) -> Option<Shift> {
        let (who, mut from, mut until) = match self.kind {
            RotationKind::Always => (self.order.first()?, None, None),
            RotationKind::Weekly | RotationKind::Daily => {
                let len = i64::try_from(self.order.len()).ok().filter(|&l| l > 0)?;
                let n = self.shift_number(tz, at)?;
                let who = &self.order[n.rem_euclid(len) as usize];
                (
                    who,
                    Some(self.handoff(tz, n)?),
                    Some(self.handoff(tz, n + 1)?),
                )
            }
        };

        if let Some(hours) = self.hours {
            let (open, close) = daily_window(tz, hours, at)?;
            from = Some(from.filter(|f| *f > open).unwrap_or(open));
            until = Some(until.filter(|u| *u < close).unwrap_or(close));
        }

        Some(Shift {
            technician: who.clone(),
            from,
            until,
            backup: self.backup.clone(),
            from_override: false,
        })
    }

    /// The number of the shift containing `at` (negative before `start`).
    fn shift_number(&self, tz: &TimeZone, at: Timestamp) -> Option<i64> {
        let unit = match self.kind {
            RotationKind::Weekly => Unit::Week,
            RotationKind::Daily => Unit::Day,
            RotationKind::Always => return None,
        };
        let local = at.to_zoned(tz.clone()).datetime();
        let span = self.start.until((unit, local)).ok()?;
        let mut n = i64::from(span.get_weeks()) + i64::from(span.get_days());

        // The local-calendar count can be one off next to a handoff (a
        // time inside a fold, say); settle it on instants.
        while self.handoff(tz, n)?.timestamp() > at {
            n -= 1;
        }
        while self.handoff(tz, n + 1)?.timestamp() <= at {
            n += 1;
        }
        Some(n)
    }

    /// The instant shift `n` starts: `start` plus `n` periods on the local
    /// calendar, placed in the zone with compatible disambiguation.
    fn handoff(&self, tz: &TimeZone, n: i64) -> Option<Zoned> {
        let period = match self.kind {
            RotationKind::Weekly => Span::new().try_weeks(n).ok()?,
            RotationKind::Daily => Span::new().try_days(n).ok()?,
            RotationKind::Always => return None,
        };
        self.start
            .checked_add(period)
            .ok()?
            .to_zoned(tz.clone())
            .ok()
    }
}

/// The daily window `open`..`close` (local, possibly wrapping midnight)
/// that contains `at`, as instants.
fn daily_window(
    tz: &TimeZone,
    (open, close): (Time, Time),
    at: Timestamp,
) -> Option<(Zoned, Zoned)> {
    let today = at.to_zoned(tz.clone()).date();

    // A window that wraps midnight and contains `at` may have opened on
    // the previous local day.
    for day in [today.yesterday().ok()?, today] {
        let last_day = if close <= open {
            day.tomorrow().ok()?
        } else {
            day
        };
        let from = day.to_datetime(open).to_zoned(tz.clone()).ok()?;
        let until = last_day.to_datetime(close).to_zoned(tz.clone()).ok()?;
        if from.timestamp() <= at && at < until.timestamp() {
            return Some((from, until));
        }
    }
    None
}

/// Reads a time typed by an owner or an installer, in the zone `tz`.
///
/// Accepts a local wall-clock time (`2026-03-08T02:30`, seconds optional)
/// or an instant with an offset (`2026-03-08T02:30:00-06:00`, `...Z`); a
/// date alone is refused. A local time that does not exist (spring
/// forward) or happens twice (fall back) is resolved as jiff's
/// "compatible" disambiguation does: the later reading of a gap, the
/// earlier of a fold. The note then says, in a plain sentence, what
/// happened and what was chosen; it is `None` otherwise.
///
/// # Errors
///
/// `BadTime` when the text is neither form; `OutOfRange` when the time
/// cannot be placed in the zone (near the ends of jiff's range).
pub fn parse_local_time(
    text: &str,
    tz: &TimeZone,
) -> Result<(Zoned, Option<String>), ScheduleError> {
    let text = text.trim();
    let out_of_range = || ScheduleError::OutOfRange {
        text: text.to_string(),
        zone: zone_name(tz).to_string(),
    };

    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok((instant.to_zoned(tz.clone()), None));
    }
    // jiff reads a bare date as midnight; an owner who wrote only a date
    // has not said which hour they meant.
    let bad = || ScheduleError::BadTime {
        text: text.to_string(),
    };
    if !text.contains(['T', 't', ' ']) {
        return Err(bad());
    }
    let local: civil::DateTime = text.parse().map_err(|_| bad())?;

    let ambiguous = tz.to_ambiguous_zoned(local);
    let offsets = ambiguous.offset();
    let chosen = ambiguous.compatible().map_err(|_| out_of_range())?;
    let clock = |t: Time| if t.second() == 0 { "%H:%M" } else { "%H:%M:%S" };
    let asked = local.strftime(clock(local.time()));
    let read = chosen
        .strftime(&format!("{} %Z", clock(chosen.time())))
        .to_string();

    let note = match offsets {
        AmbiguousOffset::Unambiguous { .. } => None,
        AmbiguousOffset::Gap { .. } => Some(format!(
            "{asked} does not exist on {} in {} (clocks jump forward); read as {read}",
            local.date(),
            zone_name(tz),
        )),
        AmbiguousOffset::Fold { .. } => Some(format!(
            "{asked} happens twice on {} in {} (clocks fall back); read as the first, {read}",
            local.date(),
            zone_name(tz),
        )),
    };
    Ok((chosen, note))
}

fn zone_name(tz: &TimeZone) -> &str {
    tz.iana_name().unwrap_or("this time zone")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use jiff::civil::{datetime, time};

    fn tech(id: &str, phone: &str, takes_texts: bool) -> Technician {
        Technician {
            id: id.to_string(),
            name: id.to_string(),
            phone: phone.to_string(),
            takes_texts,
        }
    }

    fn rotation(trade: &str, kind: RotationKind, order: &[&str], backup: Option<&str>) -> Rotation {
        Rotation {
            trade: trade.to_string(),
            kind,
            order: order.iter().map(|id| id.to_string()).collect(),
            start: datetime(2026, 1, 5, 7, 0, 0, 0),
            backup: backup.map(str::to_string),
            hours: None,
        }
    }

    fn swap(
        trade: Option<&str>,
        who: &str,
        from: civil::DateTime,
        until: civil::DateTime,
    ) -> Override {
        Override {
            trade: trade.map(str::to_string),
            technician: who.to_string(),
            from,
            until,
        }
    }

    /// Birchline as `../shared/data/businesses/README.md` describes it,
    /// placed in `zone` so that the same rotation can be tried elsewhere.
    pub(crate) fn birchline(zone: &str, overrides: Vec<Override>) -> Schedule {
        use RotationKind::{Always, Weekly};
        Schedule {
            tz: TimeZone::get(zone).unwrap(),
            technicians: vec![
                tech("dana", "+16125550111", true),
                tech("luis", "+16125550112", true),
                tech("priya", "+16125550113", true),
                tech("sam", "+16125550121", true),
                tech("renee", "+16125550122", true),
                tech("marcus", "+16125550131", true),
                tech("ahmed", "+16125550132", false),
            ],
            rotations: vec![
                rotation("hvac", Weekly, &["dana", "luis", "priya"], None),
                rotation("plumbing", Weekly, &["sam", "renee"], None),
                rotation("electrical", Always, &["marcus"], Some("ahmed")),
            ],
            overrides,
        }
    }

    pub(crate) fn palmetto() -> Schedule {
        use RotationKind::Always;
        Schedule {
            tz: TimeZone::get("America/New_York").unwrap(),
            technicians: vec![
                tech("jordan", "+18135550111", true),
                tech("alicia", "+18135550121", true),
                tech("tom", "+18135550131", true),
            ],
            rotations: vec![
                rotation("roofing", Always, &["jordan"], Some("tom")),
                rotation("restoration", Always, &["alicia"], Some("tom")),
            ],
            overrides: vec![],
        }
    }

    fn instant(schedule: &Schedule, text: &str) -> Timestamp {
        parse_local_time(text, &schedule.tz).unwrap().0.timestamp()
    }

    /// Checks who is on call for each `(trade, time, technician)` row; a
    /// time without an offset is local to the schedule's zone.
    fn check(schedule: &Schedule, table: &[(&str, &str, Option<&str>)]) {
        let mut wrong = Vec::new();
        for &(trade, when, want) in table {
            let got = schedule.on_call(trade, instant(schedule, when));
            let got = got.map(|s| s.technician);
            if got.as_deref() != want {
                wrong.push(format!("{trade} at {when}: want {want:?}, got {got:?}"));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} of {} rows wrong:\n{}",
            wrong.len(),
            table.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn birchline_rotations_hand_off_at_seven_local() {
        check(
            &birchline("America/Chicago", vec![]),
            &[
                // The rotation runs backwards too: week -1 is Priya's.
                ("hvac", "2026-01-03T12:00", Some("priya")),
                ("plumbing", "2026-01-03T12:00", Some("renee")),
                ("hvac", "2025-12-29T06:59", Some("luis")),
                ("hvac", "2026-01-05T06:50", Some("priya")),
                ("hvac", "2026-01-05T07:00", Some("dana")),
                ("plumbing", "2026-01-05T07:00", Some("sam")),
                ("hvac", "2026-01-12T06:59:59", Some("dana")),
                ("hvac", "2026-01-12T07:00", Some("luis")),
                ("plumbing", "2026-01-12T07:00", Some("renee")),
                ("hvac", "2026-01-19T07:00", Some("priya")),
                ("electrical", "2026-01-03T12:00", Some("marcus")),
                ("electrical", "2027-06-01T03:00", Some("marcus")),
                // Summer: the handoff is 07:00 CDT, which is 12:00 UTC.
                ("hvac", "2026-09-14T06:55", Some("priya")),
                ("hvac", "2026-09-14T07:15-05:00", Some("dana")),
                ("hvac", "2026-09-14T11:59:59Z", Some("priya")),
                ("hvac", "2026-09-14T12:00:00Z", Some("dana")),
                // The week of 2026-03-08 starts in CST and ends in CDT.
                ("hvac", "2026-03-02T07:00", Some("priya")),
                ("hvac", "2026-03-08T02:30", Some("priya")),
                ("hvac", "2026-03-09T06:59", Some("priya")),
                ("hvac", "2026-03-09T07:00", Some("dana")),
                ("hvac", "2026-03-09T07:30-05:00", Some("dana")),
                // The week of 2026-11-01 starts in CDT and ends in CST.
                ("hvac", "2026-10-26T07:00", Some("dana")),
                ("hvac", "2026-11-01T01:30", Some("dana")),
                ("hvac", "2026-11-01T01:30-06:00", Some("dana")),
                ("hvac", "2026-11-02T06:59", Some("dana")),
                ("hvac", "2026-11-02T12:59:59Z", Some("dana")),
                ("hvac", "2026-11-02T13:00:00Z", Some("luis")),
                ("roofing", "2026-01-05T07:00", None),
            ],
        );
    }

    #[test]
    fn rotations_hand_off_at_seven_local_in_new_york() {
        check(
            &birchline("America/New_York", vec![]),
            &[
                ("hvac", "2026-03-09T10:59:59Z", Some("priya")),
                ("hvac", "2026-03-09T11:00:00Z", Some("dana")),
                ("hvac", "2026-03-09T07:00-04:00", Some("dana")),
                ("hvac", "2026-03-08T03:30", Some("priya")),
                ("hvac", "2026-11-02T11:59:59Z", Some("dana")),
                ("hvac", "2026-11-02T12:00:00Z", Some("luis")),
                ("hvac", "2026-11-02T07:00", Some("luis")),
                ("hvac", "2026-11-01T01:30-05:00", Some("dana")),
            ],
        );
    }

    #[test]
    fn shifts_span_local_handoffs_across_dst() {
        let schedule = birchline("America/Chicago", vec![]);
        let shift = schedule
            .on_call("hvac", instant(&schedule, "2026-03-08T12:00"))
            .unwrap();
        let zone = |text: &str| text.parse::<Zoned>().unwrap();

        assert_eq!(
            shift.from,
            Some(zone("2026-03-02T07:00-06:00[America/Chicago]"))
        );
        assert_eq!(
            shift.until,
            Some(zone("2026-03-09T07:00-05:00[America/Chicago]"))
        );
        assert!(!shift.from_override);

        let always = schedule.on_call("electrical", instant(&schedule, "2026-03-08T12:00"));
        let always = always.unwrap();
        assert_eq!((always.from, always.until), (None, None));
        assert_eq!(always.backup.as_deref(), Some("ahmed"));
    }

    #[test]
    fn daily_rotation_and_restricted_hours() {
        let mut schedule = birchline("America/Chicago", vec![]);
        let mut nights = rotation("hvac", RotationKind::Daily, &["dana", "luis"], None);
        nights.hours = Some((time(18, 0, 0, 0), time(7, 0, 0, 0)));
        schedule.rotations = vec![nights];

        check(
            &schedule,
            &[
                ("hvac", "2026-01-05T17:59", None),
                ("hvac", "2026-01-05T18:00", Some("dana")),
                ("hvac", "2026-01-06T06:59", Some("dana")),
                ("hvac", "2026-01-06T07:00", None),
                ("hvac", "2026-01-06T23:00", Some("luis")),
                ("hvac", "2026-01-04T23:00", Some("luis")),
                // The night of Saturday 7 March, day 61, runs into CDT.
                ("hvac", "2026-03-08T03:30", Some("luis")),
                ("hvac", "2026-03-08T07:00", None),
            ],
        );

        // The shift is cut to the night: the handoff at 07:00 is where the
        // rotation's day ends, 18:00 where its hours begin.
        let shift = schedule
            .on_call("hvac", instant(&schedule, "2026-01-06T02:00"))
            .unwrap();
        assert_eq!(
            shift.from.unwrap().datetime(),
            datetime(2026, 1, 5, 18, 0, 0, 0)
        );
        assert_eq!(
            shift.until.unwrap().datetime(),
            datetime(2026, 1, 6, 7, 0, 0, 0)
        );
    }

    #[test]
    fn overrides_beat_rotations() {
        let night = |d: i8| datetime(2026, 1, d, 18, 0, 0, 0);
        let morning = |d: i8| datetime(2026, 1, d, 7, 0, 0, 0);
        let overrides = vec![
            // Luis takes one night of Dana's week.
            swap(Some("hvac"), "luis", night(7), morning(8)),
            // Sam is away for a day: Renee covers all his trades.
            swap(None, "renee", morning(6), morning(7)),
            // Declared later, so it wins over the first for its hours.
            swap(
                Some("hvac"),
                "priya",
                datetime(2026, 1, 7, 22, 0, 0, 0),
                night(8),
            ),
        ];
        check(
            &birchline("America/Chicago", overrides),
            &[
                ("hvac", "2026-01-07T17:59", Some("dana")),
                ("hvac", "2026-01-07T18:00", Some("luis")),
                ("hvac", "2026-01-07T22:00", Some("priya")),
                ("hvac", "2026-01-08T06:59", Some("priya")),
                ("hvac", "2026-01-08T18:00", Some("dana")),
                ("plumbing", "2026-01-06T06:59", Some("sam")),
                ("plumbing", "2026-01-06T07:00", Some("renee")),
                ("plumbing", "2026-01-07T07:00", Some("sam")),
                // Renee is not in HVAC, so her override leaves it alone.
                ("hvac", "2026-01-06T12:00", Some("dana")),
            ],
        );
    }

    #[test]
    fn override_shift_says_so() {
        let swap = swap(
            Some("electrical"),
            "ahmed",
            datetime(2026, 2, 1, 0, 0, 0, 0),
            datetime(2026, 2, 2, 0, 0, 0, 0),
        );
        let schedule = birchline("America/Chicago", vec![swap]);
        let shift = schedule
            .on_call("electrical", instant(&schedule, "2026-02-01T12:00"))
            .unwrap();

        assert_eq!(shift.technician, "ahmed");
        assert!(shift.from_override);
        assert_eq!(
            shift.until.unwrap().datetime(),
            datetime(2026, 2, 2, 0, 0, 0, 0)
        );
        assert_eq!(shift.backup.as_deref(), Some("ahmed"));
    }

    #[test]
    fn chains_walk_the_rotation_then_the_backup() {
        let luis_night = swap(
            Some("hvac"),
            "luis",
            datetime(2026, 1, 7, 18, 0, 0, 0),
            datetime(2026, 1, 8, 7, 0, 0, 0),
        );
        let birchline = birchline("America/Chicago", vec![luis_night]);
        let palmetto = palmetto();
        let table: &[(&Schedule, &str, &str, &[&str])] = &[
            (
                &birchline,
                "hvac",
                "2026-01-06T12:00",
                &["dana", "luis", "priya"],
            ),
            (
                &birchline,
                "hvac",
                "2026-01-13T12:00",
                &["luis", "priya", "dana"],
            ),
            (
                &birchline,
                "hvac",
                "2026-01-03T12:00",
                &["priya", "dana", "luis"],
            ),
            (
                &birchline,
                "hvac",
                "2026-01-07T23:00",
                &["luis", "priya", "dana"],
            ),
            (
                &birchline,
                "plumbing",
                "2026-01-13T12:00",
                &["renee", "sam"],
            ),
            (
                &birchline,
                "electrical",
                "2026-01-06T12:00",
                &["marcus", "ahmed"],
            ),
            (&birchline, "roofing", "2026-01-06T12:00", &[]),
            (&palmetto, "roofing", "2026-01-06T12:00", &["jordan", "tom"]),
            (
                &palmetto,
                "restoration",
                "2026-01-06T12:00",
                &["alicia", "tom"],
            ),
        ];
        for &(schedule, trade, when, want) in table {
            let got = schedule.chain(trade, instant(schedule, when));
            assert_eq!(got, want, "{trade} at {when}");
        }
    }

    #[test]
    fn parse_local_time_explains_gaps_and_folds() {
        let chicago = TimeZone::get("America/Chicago").unwrap();
        let table: &[(&str, &str, Option<&str>)] = &[
            (
                "2026-03-08T02:30",
                "2026-03-08T08:30:00Z",
                Some("02:30 does not exist on 2026-03-08 in America/Chicago (clocks jump forward); read as 03:30 CDT"),
            ),
            (
                "2026-11-01T01:30",
                "2026-11-01T06:30:00Z",
                Some("01:30 happens twice on 2026-11-01 in America/Chicago (clocks fall back); read as the first, 01:30 CDT"),
            ),
            ("2026-11-01T01:30:00-06:00", "2026-11-01T07:30:00Z", None),
            ("2026-03-08T02:30:00-06:00", "2026-03-08T08:30:00Z", None),
            ("2026-01-05T13:00:00Z", "2026-01-05T13:00:00Z", None),
            ("2026-01-05T07:00", "2026-01-05T13:00:00Z", None),
            ("2026-01-05T07:00:30", "2026-01-05T13:00:30Z", None),
            (" 2026-07-04T10:30 ", "2026-07-04T15:30:00Z", None),
        ];
        for &(text, want, want_note) in table {
            let (got, note) = parse_local_time(text, &chicago).unwrap();
            assert_eq!(got.timestamp().to_string(), want, "{text}");
            assert_eq!(got.time_zone(), &chicago, "{text}");
            assert_eq!(note.as_deref(), want_note, "{text}");
        }

        for bad in [
            "",
            "tomorrow",
            "2026-02-30T07:00",
            "2026-01-05",
            "07:00",
            "2026-01-05T25:00",
        ] {
            let err = parse_local_time(bad, &chicago).unwrap_err();
            assert_eq!(
                err,
                ScheduleError::BadTime {
                    text: bad.trim().to_string()
                }
            );
            assert!(err.to_string().contains("2026-03-08T02:30"), "{err}");
        }
    }

    #[test]
    fn coverage_gaps_find_nights_nobody_holds() {
        let birchline = birchline("America/Chicago", vec![]);
        let from = instant(&birchline, "2026-01-01T00:00");
        for trade in ["hvac", "plumbing", "electrical"] {
            assert_eq!(birchline.coverage_gaps(trade, from, 400), vec![], "{trade}");
        }

        let whole = birchline.coverage_gaps("roofing", from, 2);
        let local = |z: &Zoned| z.datetime().to_string();
        let whole: Vec<_> = whole.iter().map(|(a, b)| (local(a), local(b))).collect();
        assert_eq!(
            whole,
            [("2026-01-01T00:00:00".into(), "2026-01-03T00:00:00".into())]
        );

        // Days only, across the spring change; an override fills the
        // Sunday it begins.
        let mut days = rotation("hvac", RotationKind::Always, &["dana"], None);
        days.hours = Some((time(7, 0, 0, 0), time(18, 0, 0, 0)));
        let sunday = swap(
            Some("hvac"),
            "luis",
            datetime(2026, 3, 8, 0, 0, 0, 0),
            datetime(2026, 3, 8, 7, 0, 0, 0),
        );
        let mut schedule = birchline.clone();
        schedule.rotations = vec![days];
        schedule.overrides = vec![sunday];

        let from = instant(&schedule, "2026-03-07T12:00");
        let gaps: Vec<_> = schedule
            .coverage_gaps("hvac", from, 2)
            .iter()
            .map(|(a, b)| {
                format!(
                    "{} {}",
                    a.strftime("%F %H:%M %Z"),
                    b.strftime("%F %H:%M %Z")
                )
            })
            .collect();
        assert_eq!(
            gaps,
            [
                "2026-03-07 18:00 CST 2026-03-08 00:00 CST",
                "2026-03-08 18:00 CDT 2026-03-09 07:00 CDT",
            ]
        );
    }

    /// Every line of the call corpus, read from the shared data folder
    /// beside the crate.
    pub(crate) fn corpus() -> Vec<serde_json::Value> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let near = root.join("../shared/data/calls/calls.jsonl");
        let far = root.join("../../shared/data/calls/calls.jsonl");
        let text = std::fs::read_to_string(&near)
            .or_else(|_| std::fs::read_to_string(&far))
            .expect("calls.jsonl beside the crate, in ../shared or ../../shared");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn corpus_emergencies_alert_the_on_call_technician() {
        let birchline = birchline("America/Chicago", vec![]);
        let palmetto = palmetto();
        let emergencies: Vec<_> = corpus()
            .into_iter()
            .filter(|c| c["expect"]["lane"] == "emergency")
            .collect();

        let mut wrong = Vec::new();
        for case in &emergencies {
            let schedule = match case["business"].as_str() {
                Some("+16125550100") => &birchline,
                _ => &palmetto,
            };
            let trade = case["expect"]["trade"].as_str().unwrap();
            let at: Timestamp = case["at"].as_str().unwrap().parse().unwrap();
            let shift = schedule.on_call(trade, at);
            let phone = shift
                .and_then(|s| schedule.technician(&s.technician))
                .map(|t| t.phone.as_str());
            if phone != case["expect"]["alert_to"].as_str() {
                wrong.push(format!("{}: {trade} at {at}: got {phone:?}", case["id"]));
            }
        }

        assert_eq!(
            emergencies.len(),
            45,
            "the corpus README counts 45 emergencies"
        );
        assert!(
            wrong.is_empty(),
            "{} of {} wrong:\n{}",
            wrong.len(),
            emergencies.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn technicians_keep_phones_out_of_debug() {
        let schedule = birchline("America/Chicago", vec![]);
        let ahmed = schedule.technician("ahmed").unwrap();
        assert!(!ahmed.takes_texts);
        assert!(!format!("{ahmed:?}").contains("555"));
        assert!(schedule.technician("karen").is_none());
    }
}
