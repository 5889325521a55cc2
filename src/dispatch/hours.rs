//! Business hours, holidays and booking windows, on the local calendar.
//!
//! Whether a contact came after hours changes the lane's plan (page now or
//! book for the morning), and an after-hours booking offers the next open
//! windows. Times are local wall-clock times in the business's zone, and a
//! holiday closes its own date only: no observed day is moved.

use jiff::civil::{self, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use serde::Deserialize;

use super::schedule::ScheduleError;

/// How far ahead `next_open` and `next_windows` look before giving up.
/// A year and a bit: yearly holidays cannot close more than that.
const HORIZON_DAYS: usize = 400;

/// When a business is open.
#[derive(Clone, Debug)]
pub struct Hours {
    pub tz: TimeZone,
    /// Open from the first time (inclusive) to the second (exclusive) on
    /// that weekday; a close of `00:00` means midnight at the end of the
    /// day. A window whose close is otherwise not after its open is never
    /// open.
    pub weekly: Vec<(Weekday, Time, Time)>,
    pub holidays: Vec<Holiday>,
}

/// A day the business is closed all day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Holiday {
    /// The same date every year, e.g. December 25.
    Date { month: i8, day: i8 },
    /// The `nth` weekday of a month every year (1 to 5, or -1 for the
    /// last), e.g. the fourth Thursday of November.
    Nth {
        month: i8,
        weekday: Weekday,
        nth: i8,
    },
    /// One date only.
    Once(civil::Date),
}

/// Appointment slots a booking can take.
#[derive(Clone, Debug)]
pub struct BookingWindows {
    pub tz: TimeZone,
    /// A window from the first time to the second on that weekday.
    pub weekly: Vec<(Weekday, Time, Time)>,
    /// How many jobs one window holds.
    pub per_window: u32,
}

impl Hours {
    /// Whether the business is open at `at`.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let local = at.to_zoned(self.tz.clone());
        let (date, time) = (local.date(), local.time());
        !self.is_holiday(date)
            && self
                .windows_on(date)
                .any(|(open, close)| covers(open, close, time))
    }

    /// Whether `date` is one of the holidays.
    pub fn is_holiday(&self, date: civil::Date) -> bool {
        self.holidays.iter().any(|h| h.falls_on(date))
    }

    /// Whether the business stays closed all of `date` (a holiday, or a
    /// weekday with no hours).
    pub fn is_closed_all_day(&self, date: civil::Date) -> bool {
        self.is_holiday(date) || self.windows_on(date).next().is_none()
    }

    /// The earliest instant at or after `at` when the business is open:
    /// `at` itself when open then, else the next opening time.
    ///
    /// `None` when it does not open within about a year (no hours at all).
    pub fn next_open(&self, at: Timestamp) -> Option<Zoned> {
        if self.is_open(at) {
            return Some(at.to_zoned(self.tz.clone()));
        }
        let today = at.to_zoned(self.tz.clone()).date();
        for date in today.series(1.day()).take(HORIZON_DAYS) {
            if self.is_holiday(date) {
                continue;
            }
            let opening = self
                .windows_on(date)
                .filter(|&(open, close)| covers(open, close, open))
                .filter_map(|(open, _)| date.to_datetime(open).to_zoned(self.tz.clone()).ok())
                .filter(|z| z.timestamp() > at)
                .min();
            if opening.is_some() {
                return opening;
            }
        }
        None
    }

    fn windows_on(&self, date: civil::Date) -> impl Iterator<Item = (Time, Time)> + '_ {
        let weekday = date.weekday();
        self.weekly
            .iter()
            .filter(move |(day, _, _)| *day == weekday)
            .map(|&(_, open, close)| (open, close))
    }
}

/// Whether local `time` falls in `open..close`, a close of midnight
/// meaning the end of the day.
fn covers(open: Time, close: Time, time: Time) -> bool {
    open <= time && (time < close || close == Time::midnight())
}

impl Holiday {
    /// A common US holiday by name, such as `thanksgiving` or
    /// `christmas_day`. Case, spaces and hyphens are forgiven.
    pub fn from_name(name: &str) -> Option<Holiday> {
        use Weekday::{Monday, Thursday};
        let nth = |month, weekday, nth| Holiday::Nth {
            month,
            weekday,
            nth,
        };
        let date = |month, day| Holiday::Date { month, day };

        let name = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        let holiday = match name.as_str() {
            "new_years_day" => date(1, 1),
            "mlk_day" => nth(1, Monday, 3),
            "presidents_day" => nth(2, Monday, 3),
            "memorial_day" => nth(5, Monday, -1),
            "juneteenth" => date(6, 19),
            "independence_day" => date(7, 4),
            "labor_day" => nth(9, Monday, 1),
            "columbus_day" => nth(10, Monday, 2),
            "veterans_day" => date(11, 11),
            "thanksgiving" => nth(11, Thursday, 4),
            "christmas_eve" => date(12, 24),
            "christmas_day" => date(12, 25),
            "new_years_eve" => date(12, 31),
            _ => return None,
        };
        Some(holiday)
    }

    /// Reads `MM-DD` (every year), `YYYY-MM-DD` (once) or a name that
    /// `from_name` knows.
    ///
    /// # Errors
    ///
    /// `BadHoliday` when the text is none of these, or names a date that
    /// no year has (`02-30`).
    pub fn parse(text: &str) -> Result<Holiday, ScheduleError> {
        let bad = || ScheduleError::BadHoliday {
            text: text.to_string(),
        };
        if let Some(holiday) = Holiday::from_name(text) {
            return Ok(holiday);
        }
        if let Ok(date) = text.trim().parse::<civil::Date>() {
            return Ok(Holiday::Once(date));
        }

        let (month, day) = text.trim().split_once('-').ok_or_else(bad)?;
        let (month, day): (i8, i8) = match (month.parse(), day.parse()) {
            (Ok(m), Ok(d)) if month.len() == 2 && day.len() == 2 => (m, d),
            _ => return Err(bad()),
        };
        // A leap year admits every date some year has, 02-29 included.
        civil::Date::new(2024, month, day).map_err(|_| bad())?;
        Ok(Holiday::Date { month, day })
    }

    /// Whether this holiday is `date`.
    pub fn falls_on(&self, date: civil::Date) -> bool {
        match *self {
            Holiday::Date { month, day } => date.month() == month && date.day() == day,
            Holiday::Nth {
                month,
                weekday,
                nth,
            } => {
                let first = civil::Date::new(date.year(), month, 1);
                first
                    .and_then(|d| d.nth_weekday_of_month(nth, weekday))
                    .ok()
                    == Some(date)
            }
            Holiday::Once(once) => once == date,
        }
    }
}

impl TryFrom<String> for Holiday {
    type Error = ScheduleError;

    fn try_from(text: String) -> Result<Holiday, ScheduleError> {
        Holiday::parse(&text)
    }
}

impl BookingWindows {
    /// The next `count` windows that start after `after`, in order, on
    /// days the business is open (not a holiday, hours that weekday), with
    /// fewer than `per_window` jobs: `taken` counts the jobs in the window
    /// from the first instant it is given to the second.
    ///
    /// Fewer than `count` when too few free windows come within about a
    /// year.
    pub fn next_windows(
        &self,
        hours: &Hours,
        after: Timestamp,
        taken: &dyn Fn(&Zoned, &Zoned) -> u32,
        count: usize,
    ) -> Vec<(Zoned, Zoned)> {
        let mut free = Vec::new();
        let today = after.to_zoned(self.tz.clone()).date();
        for date in today.series(1.day()).take(HORIZON_DAYS) {
            if free.len() >= count {
                break;
            }
            if hours.is_closed_all_day(date) {
                continue;
            }
            let mut windows = self.windows_on(date);
            windows.sort_by_key(|(start, _)| start.timestamp());
            let open = windows.into_iter().filter(|(start, end)| {
                start.timestamp() > after && taken(start, end) < self.per_window
            });
            free.extend(open.take(count - free.len()));
        }
        free
    }

    fn windows_on(&self, date: civil::Date) -> Vec<(Zoned, Zoned)> {
        let place = |t: Time| date.to_datetime(t).to_zoned(self.tz.clone()).ok();
        self.weekly
            .iter()
            .filter(|(day, _, _)| *day == date.weekday())
            .filter_map(|&(_, start, end)| Some((place(start)?, place(end)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};
    use Weekday::{Friday, Monday, Saturday, Thursday, Tuesday, Wednesday};

    const WEEKDAYS: [Weekday; 5] = [Monday, Tuesday, Wednesday, Thursday, Friday];

    fn week(days: &[Weekday], open: Time, close: Time) -> Vec<(Weekday, Time, Time)> {
        days.iter().map(|&day| (day, open, close)).collect()
    }

    fn holidays(names: &[&str]) -> Vec<Holiday> {
        names
            .iter()
            .map(|name| Holiday::parse(name).unwrap())
            .collect()
    }

    fn birchline() -> Hours {
        let mut weekly = week(&WEEKDAYS, time(7, 0, 0, 0), time(18, 0, 0, 0));
        weekly.push((Saturday, time(8, 0, 0, 0), time(12, 0, 0, 0)));
        Hours {
            tz: TimeZone::get("America/Chicago").unwrap(),
            weekly,
            holidays: holidays(&[
                "new_years_day",
                "memorial_day",
                "independence_day",
                "labor_day",
                "thanksgiving",
                "christmas_day",
            ]),
        }
    }

    fn palmetto() -> Hours {
        let days = [Monday, Tuesday, Wednesday, Thursday, Friday, Saturday];
        Hours {
            tz: TimeZone::get("America/New_York").unwrap(),
            weekly: week(&days, time(8, 0, 0, 0), time(17, 0, 0, 0)),
            holidays: holidays(&["thanksgiving", "christmas_day"]),
        }
    }

    /// Reads a local time in the zone of `hours`, or an instant.
    fn instant(hours: &Hours, text: &str) -> Timestamp {
        let local = text
            .parse::<civil::DateTime>()
            .and_then(|dt| dt.to_zoned(hours.tz.clone()));
        local
            .map(|z| z.timestamp())
            .or_else(|_| text.parse())
            .unwrap()
    }

    /// Checks `is_open` for each `(time, open)` row.
    fn check(hours: &Hours, table: &[(&str, bool)]) {
        let wrong: Vec<_> = table
            .iter()
            .filter(|&&(when, open)| hours.is_open(instant(hours, when)) != open)
            .map(|(when, open)| format!("{when}: want open={open}"))
            .collect();
        assert!(
            wrong.is_empty(),
            "{} rows wrong:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn birchline_hours_and_holidays() {
        check(
            &birchline(),
            &[
                ("2026-01-09T06:59:59", false),
                ("2026-01-09T07:00", true),
                ("2026-01-09T17:59:59", true),
                ("2026-01-09T18:00:00", false),
                ("2026-01-10T07:30", false),
                ("2026-01-10T08:00", true),
                ("2026-01-10T10:30", true),
                ("2026-01-10T11:55", true),
                ("2026-01-10T12:00", false),
                ("2026-01-11T10:00", false),
                // Holidays close their own date, Saturday included, and
                // no other day in their place.
                ("2026-01-01T10:00", false),
                ("2026-01-02T10:00", true),
                ("2026-05-25T10:00", false),
                ("2026-07-03T10:00", true),
                ("2026-07-04T10:30", false),
                ("2026-07-06T10:00", true),
                ("2026-09-07T10:00", false),
                ("2026-11-26T10:00", false),
                ("2026-11-27T10:00", true),
                ("2026-12-24T10:00", true),
                ("2026-12-25T10:00", false),
                // Opening stays at 07:00 local on both sides of DST.
                ("2026-03-06T12:59:59Z", false),
                ("2026-03-06T13:00:00Z", true),
                ("2026-03-08T10:00", false),
                ("2026-03-09T11:59:59Z", false),
                ("2026-03-09T12:00:00Z", true),
                ("2026-10-30T22:59:59Z", true),
                ("2026-10-30T23:00:00Z", false),
                ("2026-10-31T11:59", true),
                ("2026-11-02T12:59:59Z", false),
                ("2026-11-02T13:00:00Z", true),
            ],
        );
    }

    #[test]
    fn palmetto_hours_and_holidays() {
        check(
            &palmetto(),
            &[
                ("2026-01-10T16:59:30", true),
                ("2026-01-10T17:00", false),
                ("2026-01-11T12:00", false),
                ("2026-01-01T10:00", true),
                ("2026-07-04T10:00", true),
                ("2026-11-26T10:00", false),
                ("2026-12-25T10:00", false),
                ("2026-03-07T21:59:59Z", true),
                ("2026-03-07T22:00:00Z", false),
                ("2026-03-09T11:59:59Z", false),
                ("2026-03-09T12:00:00Z", true),
                ("2026-10-31T20:59:59Z", true),
                ("2026-10-31T21:00:00Z", false),
                ("2026-11-02T12:59:59Z", false),
                ("2026-11-02T13:00:00Z", true),
            ],
        );
    }

    #[test]
    fn next_open_skips_nights_sundays_and_holidays() {
        let (birchline, palmetto) = (birchline(), palmetto());
        let table: &[(&Hours, &str, &str)] = &[
            (
                &birchline,
                "2026-01-09T18:00",
                "2026-01-10T08:00:00-06:00[America/Chicago]",
            ),
            (
                &birchline,
                "2026-01-10T12:00",
                "2026-01-12T07:00:00-06:00[America/Chicago]",
            ),
            (
                &birchline,
                "2026-07-03T18:00",
                "2026-07-06T07:00:00-05:00[America/Chicago]",
            ),
            (
                &birchline,
                "2026-11-25T18:00",
                "2026-11-27T07:00:00-06:00[America/Chicago]",
            ),
            (
                &birchline,
                "2026-03-07T12:00",
                "2026-03-09T07:00:00-05:00[America/Chicago]",
            ),
            (
                &birchline,
                "2026-01-09T10:15",
                "2026-01-09T10:15:00-06:00[America/Chicago]",
            ),
            (
                &palmetto,
                "2026-10-31T17:00",
                "2026-11-02T08:00:00-05:00[America/New_York]",
            ),
            (
                &palmetto,
                "2026-12-24T17:00",
                "2026-12-26T08:00:00-05:00[America/New_York]",
            ),
        ];
        for &(hours, when, want) in table {
            let got = hours.next_open(instant(hours, when)).map(|z| z.to_string());
            assert_eq!(got.as_deref(), Some(want), "{when}");
        }

        let never = Hours {
            weekly: vec![],
            ..palmetto.clone()
        };
        assert_eq!(never.next_open(instant(&never, "2026-01-01T00:00")), None);
    }

    #[test]
    fn holidays_by_name_and_date() {
        let table: &[(&str, civil::Date)] = &[
            ("new_years_day", date(2026, 1, 1)),
            ("mlk_day", date(2026, 1, 19)),
            ("presidents_day", date(2026, 2, 16)),
            ("memorial_day", date(2026, 5, 25)),
            ("juneteenth", date(2026, 6, 19)),
            ("independence_day", date(2026, 7, 4)),
            ("labor_day", date(2026, 9, 7)),
            ("columbus_day", date(2026, 10, 12)),
            ("veterans_day", date(2026, 11, 11)),
            ("Thanksgiving", date(2026, 11, 26)),
            ("christmas_eve", date(2026, 12, 24)),
            ("christmas-day", date(2026, 12, 25)),
            ("new years eve", date(2026, 12, 31)),
            ("memorial_day", date(2027, 5, 31)),
            ("thanksgiving", date(2027, 11, 25)),
            ("11-26", date(2030, 11, 26)),
            ("02-29", date(2028, 2, 29)),
            ("2026-11-27", date(2026, 11, 27)),
        ];
        for &(text, on) in table {
            let holiday = Holiday::parse(text).unwrap();
            assert!(holiday.falls_on(on), "{text} on {on}");
            assert!(
                !holiday.falls_on(on.tomorrow().unwrap()),
                "{text} after {on}"
            );
        }
        assert!(!Holiday::parse("2026-11-27")
            .unwrap()
            .falls_on(date(2027, 11, 27)));

        for bad in ["", "easter", "13-01", "02-30", "1-5", "2026-02-30", "11/26"] {
            let err = Holiday::parse(bad).unwrap_err();
            assert_eq!(
                err,
                ScheduleError::BadHoliday {
                    text: bad.to_string()
                }
            );
        }
        let read: Holiday = serde_json::from_str("\"thanksgiving\"").unwrap();
        assert_eq!(Some(read), Holiday::from_name("thanksgiving"));
        assert!(serde_json::from_str::<Holiday>("\"easter\"").is_err());

        // February 2026 has four Mondays, March five.
        let fifth_monday = |month| Holiday::Nth {
            month,
            weekday: Monday,
            nth: 5,
        };
        assert!(!(1..=28).any(|d| fifth_monday(2).falls_on(date(2026, 2, d))));
        assert!(fifth_monday(3).falls_on(date(2026, 3, 30)));
    }

    #[test]
    fn booking_offers_the_next_free_windows() {
        let (birchline_hours, palmetto_hours) = (birchline(), palmetto());
        let slots = |days: &[Weekday], pairs: &[(i8, i8)]| -> Vec<(Weekday, Time, Time)> {
            let each = |&(a, b): &(i8, i8)| week(days, time(a, 0, 0, 0), time(b, 0, 0, 0));
            pairs.iter().flat_map(each).collect()
        };
        let mut weekly = slots(&WEEKDAYS, &[(8, 10), (10, 12), (13, 15), (15, 17)]);
        weekly.extend(slots(&[Saturday], &[(8, 10), (10, 12)]));
        let birchline = BookingWindows {
            tz: birchline_hours.tz.clone(),
            weekly,
            per_window: 2,
        };
        let palmetto = BookingWindows {
            tz: palmetto_hours.tz.clone(),
            weekly: slots(
                &[Monday, Tuesday, Wednesday, Thursday, Friday, Saturday],
                &[(8, 12), (12, 16)],
            ),
            per_window: 1,
        };

        let monday_eight_full = |start: &Zoned, _: &Zoned| {
            if start.datetime() == date(2026, 7, 6).at(8, 0, 0, 0) {
                2
            } else {
                1
            }
        };
        let nothing_taken = |_: &Zoned, _: &Zoned| 0;
        type Taken<'a> = &'a dyn Fn(&Zoned, &Zoned) -> u32;
        let table: &[(&BookingWindows, &Hours, &str, Taken, &[&str])] = &[
            (
                &birchline,
                &birchline_hours,
                "2026-01-09T18:00",
                &nothing_taken,
                &["01-10 08", "01-10 10", "01-12 08"],
            ),
            (
                &birchline,
                &birchline_hours,
                "2026-01-12T08:00",
                &nothing_taken,
                &["01-12 10", "01-12 13", "01-12 15"],
            ),
            (
                &birchline,
                &birchline_hours,
                "2026-07-03T20:00",
                &nothing_taken,
                &["07-06 08", "07-06 10", "07-06 13"],
            ),
            (
                &birchline,
                &birchline_hours,
                "2026-07-03T20:00",
                &monday_eight_full,
                &["07-06 10", "07-06 13", "07-06 15"],
            ),
            (
                &palmetto,
                &palmetto_hours,
                "2026-11-25T17:00",
                &nothing_taken,
                &["11-27 08", "11-27 12", "11-28 08"],
            ),
        ];
        for &(windows, hours, after, taken, want) in table {
            let got: Vec<String> = windows
                .next_windows(hours, instant(hours, after), taken, want.len())
                .iter()
                .map(|(start, end)| {
                    assert_eq!(
                        end.duration_since(start).as_hours(),
                        if windows.per_window == 1 { 4 } else { 2 }
                    );
                    start.strftime("%m-%d %H").to_string()
                })
                .collect();
            assert_eq!(got, want, "after {after}");
        }

        let full = |_: &Zoned, _: &Zoned| 2;
        let after = instant(&birchline_hours, "2026-01-01T00:00");
        assert!(birchline
            .next_windows(&birchline_hours, after, &full, 3)
            .is_empty());
    }

    #[test]
    fn corpus_after_hours_matches_is_open() {
        let (birchline, palmetto) = (birchline(), palmetto());
        let cases = super::super::schedule::tests::corpus();
        let wrong: Vec<_> = cases
            .iter()
            .filter(|case| {
                let hours = if case["business"] == "+16125550100" {
                    &birchline
                } else {
                    &palmetto
                };
                let at: Timestamp = case["at"].as_str().unwrap().parse().unwrap();
                Some(!hours.is_open(at)) != case["expect"]["after_hours"].as_bool()
            })
            .map(|case| case["id"].to_string())
            .collect();

        assert_eq!(cases.len(), 125, "the corpus README counts 125 contacts");
        assert!(wrong.is_empty(), "after_hours wrong for {wrong:?}");
    }
}
