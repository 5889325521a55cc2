//! The business profile as the owner writes it: TOML, one file a business.
//!
//! These types mirror the file one to one and reject unknown fields, so a
//! typo is an error with a line number, never a setting silently ignored.
//! Fields that need checking beyond their type keep their place in the
//! file (`Spanned`) so that `check` can point at them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_spanned::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub business: BusinessSection,
    #[serde(default)]
    pub service_area: AreaSection,
    pub trades: TradesSection,
    #[serde(default)]
    pub hours: HoursSection,
    #[serde(default)]
    pub booking: Option<BookingSection>,
    #[serde(default)]
    pub technicians: Vec<TechnicianEntry>,
    #[serde(default)]
    pub rotations: Vec<RotationEntry>,
    #[serde(default)]
    pub overrides: Vec<OverrideEntry>,
    #[serde(default)]
    pub escalation: EscalationSection,
    #[serde(default)]
    pub commercial: Vec<CommercialEntry>,
    #[serde(default)]
    pub estimates: Vec<EstimateEntry>,
    #[serde(default)]
    pub scripts: BTreeMap<String, String>,
    #[serde(default)]
    pub safety: Vec<SafetyEntry>,
    #[serde(default)]
    pub urgency: Vec<GroupEntry>,
    #[serde(default)]
    pub route: Vec<RouteEntry>,
    #[serde(default)]
    pub sinks: Vec<SinkEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessSection {
    pub name: String,
    pub number: S<String>,
    pub timezone: S<String>,
    pub shop: Point,
    #[serde(default)]
    pub website: Option<String>,
    pub owner: Person,
    pub emergency_bar: S<i64>,
    pub approval_threshold: i64,
    #[serde(default)]
    pub customers: Option<S<String>>,
    #[serde(default)]
    pub hazard_trade: Option<S<String>>,
    #[serde(default)]
    pub street_hints: Vec<String>,
    /// The NWS observation station nearest the shop (KMSP); found from the
    /// shop's point when not given.
    #[serde(default)]
    pub weather_station: Option<String>,
    /// Below this speech confidence a turn counts as not heard.
    #[serde(default)]
    pub min_confidence: Option<f64>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub name: String,
    pub phone: S<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AreaSection {
    #[serde(default)]
    pub zips: Vec<S<String>>,
    #[serde(default)]
    pub zip_lists: Vec<S<String>>,
    #[serde(default)]
    pub radius_miles: Option<f64>,
    #[serde(default)]
    pub polygons: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TradesSection {
    pub offered: Vec<S<String>>,
    #[serde(default)]
    pub referrals: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HoursSection {
    #[serde(default)]
    pub monday: Option<S<String>>,
    #[serde(default)]
    pub tuesday: Option<S<String>>,
    #[serde(default)]
    pub wednesday: Option<S<String>>,
    #[serde(default)]
    pub thursday: Option<S<String>>,
    #[serde(default)]
    pub friday: Option<S<String>>,
    #[serde(default)]
    pub saturday: Option<S<String>>,
    #[serde(default)]
    pub sunday: Option<S<String>>,
    #[serde(default)]
    pub holidays: Vec<S<String>>,
}

impl HoursSection {
    /// The opening hours written for each day, Monday first.
    pub fn days(&self) -> [(&'static str, Option<&S<String>>); 7] {
        [
            ("monday", self.monday.as_ref()),
            ("tuesday", self.tuesday.as_ref()),
            ("wednesday", self.wednesday.as_ref()),
            ("thursday", self.thursday.as_ref()),
            ("friday", self.friday.as_ref()),
            ("saturday", self.saturday.as_ref()),
            ("sunday", self.sunday.as_ref()),
        ]
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingSection {
    pub per_window: u32,
    #[serde(default = "three")]
    pub offer: usize,
    #[serde(default)]
    pub monday: Option<S<Vec<String>>>,
    #[serde(default)]
    pub tuesday: Option<S<Vec<String>>>,
    #[serde(default)]
    pub wednesday: Option<S<Vec<String>>>,
    #[serde(default)]
    pub thursday: Option<S<Vec<String>>>,
    #[serde(default)]
    pub friday: Option<S<Vec<String>>>,
    #[serde(default)]
    pub saturday: Option<S<Vec<String>>>,
    #[serde(default)]
    pub sunday: Option<S<Vec<String>>>,
    /// The owner's Google Calendar: busy times are not offered, bookings
    /// are put on it.
    #[serde(default)]
    pub calendar: Option<CalendarEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarEntry {
    pub id: S<String>,
    /// The service account's JSON key, relative to the business file.
    pub key_file: S<String>,
    #[serde(default)]
    pub token_url: Option<S<String>>,
    #[serde(default)]
    pub api_base: Option<S<String>>,
}

impl BookingSection {
    /// The booking windows written for each day, Monday first.
    pub fn days(&self) -> [(&'static str, Option<&S<Vec<String>>>); 7] {
        [
            ("monday", self.monday.as_ref()),
            ("tuesday", self.tuesday.as_ref()),
            ("wednesday", self.wednesday.as_ref()),
            ("thursday", self.thursday.as_ref()),
            ("friday", self.friday.as_ref()),
            ("saturday", self.saturday.as_ref()),
            ("sunday", self.sunday.as_ref()),
        ]
    }
}

fn three() -> usize {
    3
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechnicianEntry {
    pub id: S<String>,
    pub name: String,
    pub phone: S<String>,
    #[serde(default = "yes")]
    pub takes_texts: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationEntry {
    pub trade: S<String>,
    pub every: S<String>,
    pub order: S<Vec<S<String>>>,
    #[serde(default)]
    pub start: Option<S<String>>,
    #[serde(default)]
    pub backup: Option<S<String>>,
    #[serde(default)]
    pub hours: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideEntry {
    #[serde(default)]
    pub trade: Option<S<String>>,
    pub technician: S<String>,
    pub from: S<String>,
    pub until: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationSection {
    #[serde(default = "five")]
    pub text_minutes: u32,
    #[serde(default = "three_u32")]
    pub call_minutes: u32,
    #[serde(default = "five")]
    pub next_minutes: u32,
    #[serde(default = "two")]
    pub rounds: u32,
}

impl Default for EscalationSection {
    fn default() -> Self {
        EscalationSection {
            text_minutes: 5,
            call_minutes: 3,
            next_minutes: 5,
            rounds: 2,
        }
    }
}

fn five() -> u32 {
    5
}
fn three_u32() -> u32 {
    3
}
fn two() -> u32 {
    2
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommercialEntry {
    pub name: String,
    pub phone: S<String>,
    #[serde(default)]
    pub also_called: Vec<String>,
    #[serde(default)]
    pub around_the_clock: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimateEntry {
    pub job: String,
    pub fact: S<String>,
    pub low: i64,
    pub high: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetyEntry {
    #[serde(default)]
    pub hazard: Option<String>,
    pub fact: S<String>,
    #[serde(default)]
    pub when: Option<S<String>>,
    pub script: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupEntry {
    pub group: String,
    #[serde(default)]
    pub trade: Option<S<String>>,
    /// `appliance`: the trade of the gas appliance the caller names;
    /// `none`: these points name no job of their own.
    #[serde(default)]
    pub trade_from: Option<S<String>>,
    #[serde(default)]
    pub says: String,
    pub tiers: Vec<TierEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierEntry {
    pub name: String,
    pub when: S<String>,
    pub points: i64,
    #[serde(default)]
    pub says: String,
    #[serde(default)]
    pub trade: Option<S<String>>,
    #[serde(default)]
    pub trade_from: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteEntry {
    pub name: S<String>,
    pub when: S<String>,
    pub lane: S<String>,
    #[serde(default)]
    pub says: String,
}

/// One `[[sinks]]` entry: where receipts are copied. Which fields apply
/// depends on `kind`; secrets are named by environment variable, never
/// written here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkEntry {
    pub kind: S<String>,
    /// Defaults to the kind; needed when one kind appears twice.
    #[serde(default)]
    pub name: Option<S<String>>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    #[serde(default)]
    pub max_age_hours: Option<u64>,
    #[serde(default)]
    pub url: Option<S<String>>,
    #[serde(default)]
    pub secret_env: Option<S<String>>,
    #[serde(default)]
    pub spreadsheet_id: Option<S<String>>,
    #[serde(default)]
    pub range: Option<S<String>>,
    #[serde(default)]
    pub key_file: Option<S<String>>,
    #[serde(default)]
    pub token_url: Option<S<String>>,
    #[serde(default)]
    pub api_base: Option<S<String>>,
    #[serde(default)]
    pub token_env: Option<S<String>>,
}
