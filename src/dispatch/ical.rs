//! Technicians' on-call shifts imported from iCalendar (`.ics`) feeds.
//!
//! Owners keep rotations in Google Calendar, Outlook or a scheduler, so this
//! module reads their exports and answers one question: who is on call at an
//! instant. Parsing is `icalendar`'s, recurrence is `rrule`'s and zones are
//! jiff's; this file only wires RFC 5545's rules between them.

use std::collections::HashMap;

use icalendar::parser::{self, Component, Property};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp, Zoned};
use rrule::{RRule, RRuleSet, Tz, Unvalidated};
use serde::Serialize;

/// A feed's shifts, ready to be asked who is on call.
///
/// Recurring series are kept as rules and expanded at question time, so a
/// series without an end (`FREQ=DAILY` forever) costs nothing up front.
#[derive(Clone)]
pub struct Feed {
    series: Vec<Series>,
}

impl std::fmt::Debug for Feed {
    // Titles carry technicians' names, so only the shape is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed")
            .field("events", &self.series.len())
            .finish()
    }
}

/// One occurrence of an on-call event that covers the asked instant.
///
/// `Debug` leaves out `summary`: titles carry technicians' names, and names
/// never reach logs.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Shift {
    /// The event title (`SUMMARY`), unescaped.
    pub summary: String,
    pub uid: String,
    /// Inclusive.
    pub start: Timestamp,
    /// Exclusive: at this instant the next technician is on call.
    pub end: Timestamp,
    /// The occurrence's original start, as `2026-01-05T07:00:00-06:00`,
    /// `2026-01-05T18:00:00` (floating) or `2026-01-05` (all-day); `None`
    /// for an event that does not recur.
    pub recurrence_id: Option<String>,
    /// True when a `RECURRENCE-ID` override replaced the series' occurrence.
    pub from_override: bool,
}

impl std::fmt::Debug for Shift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shift")
            .field("uid", &self.uid)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("recurrence_id", &self.recurrence_id)
            .field("from_override", &self.from_override)
            .finish_non_exhaustive()
    }
}

/// Why a feed could not be imported. Each message says what to fix in it.
#[derive(Debug, thiserror::Error)]
pub enum IcalError {
    #[error(
        "the feed is not valid iCalendar near unfolded line {line}: \
         check BEGIN/END pairs and NAME:VALUE lines"
    )]
    Syntax { line: usize },
    #[error("event {uid:?} has no DTSTART: give every VEVENT a start")]
    MissingStart { uid: String },
    #[error(
        "event {uid:?} has a {property} that is not a date or date-time: \
         use 20260105T070000, 20260105T070000Z or 20260105"
    )]
    BadDateTime { uid: String, property: String },
    #[error(
        "event {uid:?} has a DURATION that is not an RFC 5545 duration: \
         use a form such as PT13H, P1D or P1W"
    )]
    BadDuration { uid: String },
    #[error(
        "time zone {tzid:?} is unknown: use an IANA name such as \
         America/Chicago, or add X-LIC-LOCATION to its VTIMEZONE"
    )]
    UnknownZone { tzid: String },
    #[error("event {uid:?} has an RRULE, RDATE or EXDATE that cannot be used: {reason}")]
    BadRecurrence { uid: String, reason: String },
    #[error("event {uid:?} has an RDATE period: list the start times instead")]
    UnsupportedPeriod { uid: String },
}

/// Reads an iCalendar feed.
///
/// Floating times and all-day dates are read as wall-clock times in
/// `default_zone`, the business's zone. Cancelled events and occurrences
/// are left out.
///
/// # Errors
///
/// Returns an [`IcalError`] naming the event and property to fix when the
/// text is not iCalendar, an event has no start, a date, duration or rule
/// cannot be read, or a `TZID` names a zone this module cannot resolve.
pub fn parse(text: &str, default_zone: &TimeZone) -> Result<Feed, IcalError> {
    let unfolded = parser::unfold(text);
    let roots = parser::read_components(&unfolded).map_err(|e| syntax_error(&e))?;

    let mut events = Vec::new();
    let mut timezones = Vec::new();
    for root in &roots {
        collect(root, &mut events, &mut timezones);
    }

    let zones = Zones::new(default_zone, &timezones);
    let replaced = replaced_occurrences(&events, &zones)?;
    let mut series = Vec::new();
    for event in events {
        if let Some(one) = Series::from_event(event, &zones, &replaced)? {
            series.push(one);
        }
    }
    Ok(Feed { series })
}

impl Feed {
    /// The shifts that cover `at` (start inclusive, end exclusive), the one
    /// to alert first.
    ///
    /// When shifts overlap, the most specific wins: an override of a
    /// series' occurrence, then a one-off event (a cover), then a series.
    /// Within a rank the shift that started last wins, since it was put
    /// there on top of the others.
    pub fn on_call_at(&self, at: Timestamp) -> Vec<Shift> {
        let mut shifts: Vec<Shift> = self.series.iter().flat_map(|s| s.covering(at)).collect();
        shifts.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then(b.start.cmp(&a.start))
                .then(a.end.cmp(&b.end))
                .then(a.uid.cmp(&b.uid))
        });
        shifts
    }
}

fn rank(shift: &Shift) -> u8 {
    match (shift.from_override, &shift.recurrence_id) {
        (true, _) => 0,
        (false, None) => 1,
        (false, Some(_)) => 2,
    }
}

/// Which of the roster `names` an event title names, as an index into
/// `names`.
///
/// Matching ignores case and needs whole words, so "Sam" does not match
/// "Samuel". When a title names several people ("Luis covering Dana"), the
/// name written first wins.
///
/// ```
/// # use nightdesk::dispatch::ical::technician_in;
/// let roster = ["Dana Whitford", "Luis Ortega"];
/// assert_eq!(technician_in("On call: LUIS ORTEGA (cover)", &roster), Some(1));
/// assert_eq!(technician_in("On call: Luis Ortegas", &roster), None);
/// ```
pub fn technician_in(summary: &str, names: &[&str]) -> Option<usize> {
    let title = summary.to_lowercase();
    names
        .iter()
        .enumerate()
        .filter_map(|(index, name)| {
            let name = name.trim().to_lowercase();
            // At the same position the longer name is the more exact one.
            let longer_first = std::cmp::Reverse(name.len());
            word_position(&title, &name).map(|at| (at, longer_first, index))
        })
        .min()
        .map(|(_, _, index)| index)
}

/// Where `word` first appears in `text` with no letter or digit touching it.
fn word_position(text: &str, word: &str) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !is_word(before) && !is_word(after)
    })
}

fn syntax_error(message: &str) -> IcalError {
    // nom's report quotes the offending input, which may hold names, so
    // only its line number is kept.
    let line = message
        .split("at line ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(1);
    IcalError::Syntax { line }
}

fn collect<'a, 'b>(
    component: &'b Component<'a>,
    events: &mut Vec<&'b Component<'a>>,
    timezones: &mut Vec<&'b Component<'a>>,
) {
    match component.name.as_str().to_ascii_uppercase().as_str() {
        "VEVENT" => events.push(component),
        "VTIMEZONE" => timezones.push(component),
        _ => {
            for child in &component.components {
                collect(child, events, timezones);
            }
        }
    }
}

fn property<'c>(component: &'c Component<'_>, name: &str) -> Option<&'c Property<'c>> {
    component
        .properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn properties<'c>(
    component: &'c Component<'_>,
    name: &'c str,
) -> impl Iterator<Item = &'c Property<'c>> {
    component
        .properties
        .iter()
        .filter(move |p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn param<'p>(property: &'p Property<'_>, key: &str) -> Option<&'p str> {
    property
        .params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str().trim_matches('"'))
}

fn text(component: &Component<'_>, name: &str) -> String {
    property(component, name).map_or_else(String::new, |p| p.val.as_str().to_owned())
}

fn is_cancelled(component: &Component<'_>) -> bool {
    text(component, "STATUS").eq_ignore_ascii_case("CANCELLED")
}

/// Resolves `TZID`s to zones.
struct Zones {
    default: TimeZone,
    /// `X-LIC-LOCATION` of each `VTIMEZONE`, by its `TZID`.
    locations: HashMap<String, String>,
}

/// Windows zone names (CLDR `windowsZones`, territory 001) that Outlook
/// writes as `TZID`s, for the zones of the US and Canada.
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("Eastern Standard Time", "America/New_York"),
    ("US Eastern Standard Time", "America/Indiana/Indianapolis"),
    ("Central Standard Time", "America/Chicago"),
    ("Canada Central Standard Time", "America/Regina"),
    ("Mountain Standard Time", "America/Denver"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Aleutian Standard Time", "America/Adak"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("Atlantic Standard Time", "America/Halifax"),
    ("Newfoundland Standard Time", "America/St_Johns"),
];

impl Zones {
    fn new(default: &TimeZone, timezones: &[&Component<'_>]) -> Zones {
        let locations = timezones
            .iter()
            .filter_map(|tz| {
                let location = property(tz, "X-LIC-LOCATION")?;
                Some((text(tz, "TZID"), location.val.as_str().to_owned()))
            })
            .collect();
        Zones {
            default: default.clone(),
            locations,
        }
    }

    /// An IANA name first, then a Windows name, then the IANA name that
    /// the file's own `VTIMEZONE` gives as its location.
    fn resolve(&self, tzid: &str) -> Result<TimeZone, IcalError> {
        let db = jiff::tz::db();
        let windows = WINDOWS_ZONES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(tzid))
            .map(|(_, iana)| *iana);
        let location = self.locations.get(tzid).map(String::as_str);
        [Some(tzid), windows, location]
            .into_iter()
            .flatten()
            .find_map(|name| db.get(name).ok())
            .ok_or_else(|| IcalError::UnknownZone {
                tzid: tzid.to_owned(),
            })
    }
}

/// How a date or date-time is anchored, which decides how it is read and
/// how it is shown as a recurrence id.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Anchor {
    /// `VALUE=DATE`: a whole day in the business's zone.
    Date,
    /// No zone in the file: wall-clock in the business's zone.
    Floating,
    /// A trailing `Z`.
    Utc,
    /// A `TZID` parameter.
    Zone(String),
}

/// A date or date-time value as written, with the zone it is read in.
#[derive(Debug, Clone)]
struct Moment {
    anchor: Anchor,
    zone: TimeZone,
    /// Wall-clock time in `zone`; midnight for a date.
    civil: DateTime,
}

impl Moment {
    fn timestamp(&self) -> Timestamp {
        // `compatible` reads a time in a spring-forward gap as after the
        // gap and a repeated fall-back time as its first instance, which
        // is what RFC 5545 §3.3.5 asks. Only a civil time at the very end
        // of jiff's range fails, and that is never on call.
        self.zone
            .to_ambiguous_timestamp(self.civil)
            .compatible()
            .unwrap_or(Timestamp::MAX)
    }

    /// The same wall-clock reading in another moment's anchor and zone.
    fn with_civil(&self, civil: DateTime) -> Moment {
        Moment {
            civil,
            ..self.clone()
        }
    }

    /// `self`'s instant, read on the wall clock of `frame`.
    fn civil_in(&self, frame: &Moment) -> DateTime {
        if self.anchor == frame.anchor {
            return self.civil;
        }
        self.timestamp().to_zoned(frame.zone.clone()).datetime()
    }

    fn recurrence_id(&self) -> String {
        match self.anchor {
            Anchor::Date => self.civil.date().strftime("%Y-%m-%d").to_string(),
            Anchor::Floating => self.civil.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
            Anchor::Utc | Anchor::Zone(_) => self
                .timestamp()
                .to_zoned(self.zone.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
        }
    }
}

/// Reads every value of a date or date-time property; `EXDATE` and `RDATE`
/// may hold several, comma-separated.
fn moments(property: &Property<'_>, zones: &Zones, uid: &str) -> Result<Vec<Moment>, IcalError> {
    let value_type = param(property, "VALUE").unwrap_or("DATE-TIME");
    if value_type.eq_ignore_ascii_case("PERIOD") {
        return Err(IcalError::UnsupportedPeriod {
            uid: uid.to_owned(),
        });
    }
    let zone = match param(property, "TZID") {
        Some(tzid) => Some((tzid, zones.resolve(tzid)?)),
        None => None,
    };
    property
        .val
        .as_str()
        .split(',')
        .map(|value| {
            moment(value.trim(), zone.clone(), zones).ok_or_else(|| IcalError::BadDateTime {
                uid: uid.to_owned(),
                property: property.name.as_str().to_owned(),
            })
        })
        .collect()
}

fn moment(value: &str, zone: Option<(&str, TimeZone)>, zones: &Zones) -> Option<Moment> {
    if value.len() == 8 {
        let date = Date::strptime("%Y%m%d", value).ok()?;
        return Some(Moment {
            anchor: Anchor::Date,
            zone: zones.default.clone(),
            civil: date.to_datetime(jiff::civil::Time::midnight()),
        });
    }
    let (local, utc) = match value.strip_suffix(['Z', 'z']) {
        Some(local) => (local, true),
        None => (value, false),
    };
    let civil = DateTime::strptime("%Y%m%dT%H%M%S", local).ok()?;
    let (anchor, zone) = match (utc, zone) {
        (true, _) => (Anchor::Utc, TimeZone::UTC),
        (false, Some((tzid, zone))) => (Anchor::Zone(tzid.to_owned()), zone),
        (false, None) => (Anchor::Floating, zones.default.clone()),
    };
    Some(Moment {
        anchor,
        zone,
        civil,
    })
}

fn first_moment(
    event: &Component<'_>,
    name: &str,
    zones: &Zones,
    uid: &str,
) -> Result<Option<Moment>, IcalError> {
    match property(event, name) {
        Some(p) => Ok(moments(p, zones, uid)?.into_iter().next()),
        None => Ok(None),
    }
}

/// The instants of occurrences that an override (`RECURRENCE-ID`) replaces
/// or cancels, by `UID`.
fn replaced_occurrences(
    events: &[&Component<'_>],
    zones: &Zones,
) -> Result<HashMap<String, Vec<Timestamp>>, IcalError> {
    let mut replaced: HashMap<String, Vec<Timestamp>> = HashMap::new();
    for event in events {
        let uid = text(event, "UID");
        if let Some(id) = first_moment(event, "RECURRENCE-ID", zones, &uid)? {
            replaced.entry(uid).or_default().push(id.timestamp());
        }
    }
    Ok(replaced)
}

/// How long each occurrence lasts.
#[derive(Debug, Clone)]
enum Length {
    /// From `DTEND` in the start's own zone: a wall-clock length, so a
    /// Monday-to-Monday week stays Monday to Monday across DST.
    WallClock(SignedDuration),
    /// From `DTEND` in another zone than the start: elapsed time.
    Elapsed(SignedDuration),
    /// From `DURATION`: days and weeks are wall-clock, hours and smaller
    /// are elapsed time (RFC 5545 §3.3.6), as jiff adds spans to `Zoned`.
    Duration(Span),
}

/// One `VEVENT`: a one-off event, a series, or an override of one
/// occurrence of a series.
#[derive(Debug, Clone)]
struct Series {
    summary: String,
    uid: String,
    start: Moment,
    length: Length,
    /// Set when the event recurs; it expands in `start`'s wall-clock time.
    recurrence: Option<RRuleSet>,
    /// The `RECURRENCE-ID` of an override.
    overrides: Option<Moment>,
}

impl Series {
    /// Reads one `VEVENT`; `None` when it is cancelled or an override
    /// replaces it.
    fn from_event(
        event: &Component<'_>,
        zones: &Zones,
        replaced: &HashMap<String, Vec<Timestamp>>,
    ) -> Result<Option<Series>, IcalError> {
        let uid = text(event, "UID");
        if is_cancelled(event) {
            return Ok(None);
        }
        let start = first_moment(event, "DTSTART", zones, &uid)?
            .ok_or_else(|| IcalError::MissingStart { uid: uid.clone() })?;
        let overrides = first_moment(event, "RECURRENCE-ID", zones, &uid)?;
        let length = length(event, &start, zones, &uid)?;

        let replaced = match overrides {
            Some(_) => &[][..],
            None => replaced.get(&uid).map_or(&[][..], Vec::as_slice),
        };
        let recurrence = recurrence(event, &start, replaced, zones, &uid)?;
        if recurrence.is_none() && replaced.contains(&start.timestamp()) {
            return Ok(None);
        }

        Ok(Some(Series {
            summary: text(event, "SUMMARY"),
            uid,
            start,
            length,
            recurrence,
            overrides,
        }))
    }

    /// The occurrences of this event that cover `at`.
    fn covering(&self, at: Timestamp) -> Vec<Shift> {
        let Some(recurrence) = &self.recurrence else {
            let id = self.overrides.as_ref().map(Moment::recurrence_id);
            return self.shift(&self.start, id, at).into_iter().collect();
        };

        // A wall-clock start is at most a day off its instant, so every
        // occurrence that can cover `at` starts before this horizon.
        let local = at.to_zoned(self.start.zone.clone()).datetime();
        let horizon = local
            .checked_add(Span::new().days(2))
            .unwrap_or(DateTime::MAX);
        recurrence
            .into_iter()
            .map(|dt| from_frame(&dt))
            .take_while(|civil| *civil <= horizon)
            .filter_map(|civil| {
                let start = self.start.with_civil(civil);
                let id = start.recurrence_id();
                self.shift(&start, Some(id), at)
            })
            .collect()
    }

    fn shift(&self, start: &Moment, recurrence_id: Option<String>, at: Timestamp) -> Option<Shift> {
        let begins = start.timestamp();
        let ends = self.end_of(start)?;
        (begins <= at && at < ends).then(|| Shift {
            summary: self.summary.clone(),
            uid: self.uid.clone(),
            start: begins,
            end: ends,
            recurrence_id,
            from_override: self.overrides.is_some(),
        })
    }

    fn end_of(&self, start: &Moment) -> Option<Timestamp> {
        match &self.length {
            Length::WallClock(length) => {
                let civil = start.civil.checked_add(*length).ok()?;
                Some(start.with_civil(civil).timestamp())
            }
            Length::Elapsed(length) => start.timestamp().checked_add(*length).ok(),
            Length::Duration(span) => {
                let zoned = Zoned::new(start.timestamp(), start.zone.clone());
                Some(zoned.checked_add(*span).ok()?.timestamp())
            }
        }
    }
}

/// Reads `DTEND` or `DURATION`. Without either, an all-day event lasts its
/// day and a timed one is an instant (RFC 5545 §3.6.1), covering nothing.
fn length(
    event: &Component<'_>,
    start: &Moment,
    zones: &Zones,
    uid: &str,
) -> Result<Length, IcalError> {
    if let Some(duration) = property(event, "DURATION") {
        let value = duration.val.as_str().trim();
        // jiff also reads its friendly form ("1 hour"), which RFC 5545
        // does not allow, so only ISO 8601 forms are handed to it.
        let iso = value.trim_start_matches(['+', '-']).starts_with(['P', 'p']);
        let span = value.parse::<Span>().ok().filter(|_| iso);
        let span = span.ok_or_else(|| IcalError::BadDuration {
            uid: uid.to_owned(),
        })?;
        return Ok(Length::Duration(span));
    }
    let Some(end) = first_moment(event, "DTEND", zones, uid)? else {
        let day = if start.anchor == Anchor::Date { 24 } else { 0 };
        return Ok(Length::WallClock(SignedDuration::from_hours(day)));
    };
    if end.anchor == start.anchor {
        Ok(Length::WallClock(end.civil.duration_since(start.civil)))
    } else {
        Ok(Length::Elapsed(
            end.timestamp().duration_since(start.timestamp()),
        ))
    }
}

/// Builds the event's recurrence set, or `None` when it has no `RRULE` and
/// no `RDATE`.
///
/// `rrule` expands in the zone of its start, but its zones are chrono-tz's
/// and it reads floating times in the machine's zone. So the set is built
/// in wall-clock time, written as if it were UTC, and each occurrence is
/// placed in the event's real zone afterwards by jiff.
fn recurrence(
    event: &Component<'_>,
    start: &Moment,
    replaced: &[Timestamp],
    zones: &Zones,
    uid: &str,
) -> Result<Option<RRuleSet>, IcalError> {
    let bad = |reason: String| IcalError::BadRecurrence {
        uid: uid.to_owned(),
        reason,
    };
    let first = to_frame(start.civil).ok_or_else(|| bad("DTSTART is out of range".into()))?;
    let mut set = RRuleSet::new(first);

    let (mut recurs, mut ruled) = (false, false);
    for line in properties(event, "RRULE") {
        let rule = line.val.as_str().parse::<RRule<Unvalidated>>();
        let rule = with_frame_until(rule.map_err(|e| bad(e.to_string()))?, start);
        (recurs, ruled) = (true, true);
        // A series cut before it began (UNTIL before DTSTART) has no
        // occurrences; `rrule` would reject it as invalid instead.
        if rule.get_until().is_some_and(|until| *until < first) {
            continue;
        }
        set = set.rrule(rule.validate(first).map_err(|e| bad(e.to_string()))?);
    }
    for line in properties(event, "RDATE") {
        for date in moments(line, zones, uid)? {
            set = set.rdate(to_frame(date.civil_in(start)).ok_or_else(|| bad("RDATE".into()))?);
            recurs = true;
        }
    }
    if !recurs {
        return Ok(None);
    }
    if !ruled {
        // Without a rule, DTSTART is still the first occurrence.
        set = set.rdate(first);
    }

    let mut removed: Vec<DateTime> = replaced
        .iter()
        .map(|at| at.to_zoned(start.zone.clone()).datetime())
        .collect();
    for line in properties(event, "EXDATE") {
        removed.extend(moments(line, zones, uid)?.iter().map(|m| m.civil_in(start)));
    }
    for civil in removed {
        set = set.exdate(to_frame(civil).ok_or_else(|| bad("EXDATE".into()))?);
    }
    Ok(Some(set))
}

/// Moves `UNTIL` into the series' wall-clock frame. A `Z` until is an
/// instant (RFC 5545 §3.3.10); a floating or date until, which `rrule` has
/// read in the machine's zone, is already wall-clock time.
fn with_frame_until(rule: RRule<Unvalidated>, start: &Moment) -> RRule<Unvalidated> {
    let Some(until) = rule.get_until().copied() else {
        return rule;
    };
    let civil = if until.timezone().is_local() {
        let naive = until.naive_local();
        to_civil(naive.and_utc().timestamp())
    } else {
        let instant = Timestamp::from_second(until.timestamp()).unwrap_or(Timestamp::MAX);
        instant.to_zoned(start.zone.clone()).datetime()
    };
    match to_frame(civil) {
        Some(until) => rule.until(until),
        None => rule,
    }
}

/// A wall-clock time as `rrule` sees it: the same reading in UTC.
fn to_frame(civil: DateTime) -> Option<chrono::DateTime<Tz>> {
    let seconds = TimeZone::UTC.to_timestamp(civil).ok()?.as_second();
    chrono::DateTime::from_timestamp(seconds, 0).map(|utc| utc.with_timezone(&Tz::UTC))
}

fn from_frame(frame: &chrono::DateTime<Tz>) -> DateTime {
    to_civil(frame.timestamp())
}

fn to_civil(utc_seconds: i64) -> DateTime {
    let instant = Timestamp::from_second(utc_seconds).unwrap_or(Timestamp::MAX);
    instant.to_zoned(TimeZone::UTC).datetime()
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::PathBuf;

    use serde_json::Value;

    /// The Birchline roster of `shared/data/businesses/README.md`.
    const ROSTER: &[&str] = &[
        "Dana Whitford",
        "Luis Ortega",
        "Priya Nair",
        "Sam Kowalski",
        "Renee Lind",
        "Marcus Bell",
        "Ahmed Yusuf",
    ];

    fn chicago() -> TimeZone {
        jiff::tz::db().get("America/Chicago").unwrap()
    }

    fn fixtures() -> PathBuf {
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let near = manifest.join("../shared/data/ical");
        if near.is_dir() {
            near
        } else {
            manifest.join("../../shared/data/ical")
        }
    }

    /// An expected start or end: an RFC 3339 instant, or for an all-day
    /// occurrence a local date, which begins at midnight in Chicago.
    fn expected_instant(utc: &Value, local: &Value) -> Option<Timestamp> {
        if let Some(utc) = utc.as_str() {
            return Some(utc.parse().unwrap());
        }
        let date: Date = local.as_str()?.parse().unwrap();
        Some(date.to_zoned(chicago()).unwrap().timestamp())
    }

    /// Occurrences keyed by UID and recurrence id.
    type Occurrences = HashMap<(String, Option<String>), Timestamp>;

    /// Ends that the fixture's `rfc5545_reading` instants store.
    ///
    /// The README stores RFC 5545's exact `DURATION` end at one instant,
    /// but the instants before it in the same occurrence keep the end the
    /// Python library computed. One occurrence has one end, so the RFC's
    /// wins for all of them.
    fn rfc_ends(instants: &[Value]) -> Occurrences {
        instants
            .iter()
            .filter(|instant| instant["rfc5545_reading"] == Value::Bool(true))
            .flat_map(|instant| instant["on_call"].as_array().unwrap())
            .map(|want| {
                let key = (want["uid"].as_str().unwrap().to_owned(), id(want));
                let end = &want["occurrence_end_utc"];
                (key, expected_instant(end, &Value::Null).unwrap())
            })
            .collect()
    }

    fn id(want: &Value) -> Option<String> {
        want["recurrence_id"].as_str().map(str::to_owned)
    }

    /// Checks one instant; `Err` says what differs.
    fn check(feed: &Feed, instant: &Value, rfc_ends: &Occurrences) -> Result<(), String> {
        let at: Timestamp = instant["utc"].as_str().unwrap().parse().unwrap();
        let got = feed.on_call_at(at);
        let want = instant["on_call"].as_array().unwrap();
        if got.len() != want.len() {
            return Err(format!(
                "{} shifts, expected {}: {got:?}",
                got.len(),
                want.len()
            ));
        }
        for (shift, want) in got.iter().zip(want) {
            let who = technician_in(&shift.summary, ROSTER).map(|i| ROSTER[i]);
            if who != want["technician"].as_str() {
                return Err(format!("technician {who:?}, uid {}", shift.uid));
            }
            let key = (want["uid"].as_str().unwrap().to_owned(), id(want));
            let start = expected_instant(&want["occurrence_start_utc"], &want["occurrence_start"]);
            let end = rfc_ends
                .get(&key)
                .copied()
                .or_else(|| expected_instant(&want["occurrence_end_utc"], &want["occurrence_end"]));
            if (Some(shift.start), Some(shift.end)) != (start, end) {
                return Err(format!("occurrence {shift:?}, expected {start:?}..{end:?}"));
            }
            if (shift.uid.clone(), shift.recurrence_id.clone()) != key
                || shift.from_override != want["from_override"].as_bool().unwrap()
            {
                return Err(format!("identity {shift:?}"));
            }
        }
        Ok(())
    }

    #[test]
    fn fixtures_give_the_expected_technician_at_every_instant() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
            .expect("shared/data/ical next to the crate")
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "ics"))
            .collect();
        files.sort();

        let (mut passed, mut failures) = (0, Vec::new());
        for ics in &files {
            let feed = parse(&std::fs::read_to_string(ics).unwrap(), &chicago()).unwrap();
            let json = std::fs::read_to_string(ics.with_extension("expected.json")).unwrap();
            let expected: Value = serde_json::from_str(&json).unwrap();
            let instants = expected["instants"].as_array().unwrap();
            let rfc_ends = rfc_ends(instants);
            for instant in instants {
                match check(&feed, instant, &rfc_ends) {
                    Ok(()) => passed += 1,
                    Err(why) => {
                        failures.push(format!("{} {}: {why}", ics.display(), instant["utc"]))
                    }
                }
            }
        }

        println!("{passed}/{} instants pass", passed + failures.len());
        assert_eq!(files.len(), 5, "five fixture feeds");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    fn feed(events: &str) -> Feed {
        let text = format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{events}END:VCALENDAR\r\n");
        parse(&text, &chicago()).unwrap()
    }

    fn at(instant: &str) -> Timestamp {
        instant.parse().unwrap()
    }

    #[test]
    fn windows_zone_resolves_without_its_vtimezone() {
        let feed = feed(
            "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:On call: Sam Kowalski\r\n\
             DTSTART;TZID=\"Eastern Standard Time\":20260105T070000\r\n\
             DTEND;TZID=\"Eastern Standard Time\":20260105T080000\r\nEND:VEVENT\r\n",
        );
        let shifts = feed.on_call_at(at("2026-01-05T12:00:00Z"));
        assert_eq!(shifts.len(), 1);
        assert_eq!(shifts[0].start, at("2026-01-05T12:00:00Z"));
    }

    #[test]
    fn escaped_and_folded_title_is_read_as_text() {
        let feed = feed(
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260105T120000Z\r\nDURATION:PT1H\r\n\
             SUMMARY:On call\\; cover: Ortega\\, Luis\r\n  and Luis Orte\r\n ga\r\nEND:VEVENT\r\n",
        );
        let shifts = feed.on_call_at(at("2026-01-05T12:30:00Z"));
        assert_eq!(
            shifts[0].summary,
            "On call; cover: Ortega, Luis and Luis Ortega"
        );
        assert_eq!(technician_in(&shifts[0].summary, ROSTER), Some(1));
    }

    #[test]
    fn cancelled_override_removes_its_occurrence() {
        let feed = feed(
            "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:On call: Dana Whitford\r\n\
             DTSTART;TZID=America/Chicago:20260105T070000\r\n\
             DTEND;TZID=America/Chicago:20260106T070000\r\nRRULE:FREQ=DAILY;COUNT=3\r\n\
             END:VEVENT\r\nBEGIN:VEVENT\r\nUID:a\r\nSTATUS:CANCELLED\r\n\
             RECURRENCE-ID;TZID=America/Chicago:20260106T070000\r\n\
             DTSTART;TZID=America/Chicago:20260106T070000\r\nEND:VEVENT\r\n",
        );
        assert!(feed.on_call_at(at("2026-01-06T18:00:00Z")).is_empty());
        assert_eq!(feed.on_call_at(at("2026-01-07T18:00:00Z")).len(), 1);
    }

    #[test]
    fn a_cover_is_alerted_before_the_series_it_sits_on() {
        let feed = feed(
            "BEGIN:VEVENT\r\nUID:series\r\nSUMMARY:On call: Dana Whitford\r\n\
             DTSTART;VALUE=DATE:20260105\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:cover\r\nSUMMARY:On call: Luis Ortega\r\n\
             DTSTART:20260110T000000Z\r\nDTEND:20260111T000000Z\r\nEND:VEVENT\r\n",
        );
        let shifts = feed.on_call_at(at("2026-01-10T12:00:00Z"));
        let uids: Vec<&str> = shifts.iter().map(|s| s.uid.as_str()).collect();
        assert_eq!(uids, ["cover", "series"]);
    }

    #[test]
    fn unknown_zone_is_an_error_naming_it() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\n\
                    DTSTART;TZID=Mars/Olympus:20260105T070000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let error = parse(text, &chicago()).unwrap_err();
        assert!(matches!(error, IcalError::UnknownZone { ref tzid } if tzid == "Mars/Olympus"));
    }

    #[test]
    fn names_match_whole_words_only() {
        assert_eq!(technician_in("On call: Samuel Kowalski", &["Sam"]), None);
        assert_eq!(
            technician_in("Luis covering Dana", &["Dana", "Luis"]),
            Some(1)
        );
        assert_eq!(technician_in("Nobody", ROSTER), None);
    }
}
