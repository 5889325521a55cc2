//! Business profiles: what the owner wrote, checked and ready to use.
//!
//! `load` reads every `*.toml` in a folder (or the embedded examples),
//! checks all of it and returns either a complete `Config` or every
//! problem found, each with its file, line and column and a way to fix
//! it. Nothing half-loaded ever leaves this module.

mod build;
mod draft;
mod file;
mod problem;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use jiff::tz::TimeZone;

use crate::assessment::area::ServiceArea;
use crate::dispatch::schedule::{BookingWindows, Hours, Schedule};
use crate::rules::Condition;

pub use draft::{check_routes, routes_toml};
pub use problem::{Problem, Severity};

/// Every trade nightdesk knows; a business offers some of them.
pub const TRADES: &[&str] = &[
    "hvac",
    "plumbing",
    "electrical",
    "roofing",
    "restoration",
    "appliance",
    "garage_door",
    "locksmith",
    "pest",
];

/// The lanes a route row can send a contact to.
pub const LANES: &[&str] = &[
    "emergency",
    "human",
    "priority",
    "booking",
    "decline",
    "drop",
];

/// All businesses, selected by the number that was called.
#[derive(Debug)]
pub struct Config {
    pub businesses: Vec<Business>,
    by_number: HashMap<String, usize>,
    /// Problems that do not stop loading, such as a landline in a rotation.
    pub warnings: Vec<Problem>,
}

impl Config {
    /// The business whose line was called.
    pub fn business(&self, number: &str) -> Option<&Business> {
        self.by_number.get(number).map(|&i| &self.businesses[i])
    }

    /// Reads the profiles in `dir`, or the embedded examples when `None`.
    ///
    /// # Errors
    ///
    /// Every problem found, errors and warnings alike, when any is an error.
    pub fn load(dir: Option<&Path>) -> Result<Config, Vec<Problem>> {
        let files = match dir {
            Some(dir) => build::Files::disk(dir)?,
            None => build::Files::embedded(),
        };
        let (businesses, problems) = build::build_all(&files);
        if problems.iter().any(|p| p.severity == Severity::Error) {
            return Err(problems);
        }
        let mut by_number = HashMap::new();
        for (i, b) in businesses.iter().enumerate() {
            by_number.insert(b.number.clone(), i);
        }
        Ok(Config {
            businesses,
            by_number,
            warnings: problems,
        })
    }

    /// The embedded examples, which are checked by the test suite.
    ///
    /// # Panics
    ///
    /// Never in a released build: a test loads the same files.
    pub fn embedded() -> Config {
        Config::load(None).expect("the embedded example config is valid")
    }
}

/// A person the owner named: the owner, a technician, an account contact.
#[derive(Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub phone: String,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Person(..)")
    }
}

/// One contractor's profile, complete and checked.
#[derive(Debug)]
pub struct Business {
    /// The file stem, e.g. `birchline`.
    pub id: String,
    pub name: String,
    /// The called number (E.164) that selects this business.
    pub number: String,
    pub tz: TimeZone,
    pub shop: (f64, f64),
    pub website: Option<String>,
    pub owner: Person,
    pub emergency_bar: i64,
    pub approval_threshold: i64,
    pub area: ServiceArea,
    pub offered: Vec<String>,
    /// Referral text per trade not offered, and `utility` for outages.
    pub referrals: BTreeMap<String, String>,
    pub hours: Hours,
    pub booking: Option<(BookingWindows, usize)>,
    /// The owner's Google Calendar for bookings, when there is one.
    pub booking_calendar: Option<crate::dispatch::calendar::Settings>,
    pub schedule: Schedule,
    pub escalation: Escalation,
    pub commercial: Vec<Account>,
    /// Existing customers by E.164 phone.
    pub customers: HashMap<String, Customer>,
    pub estimates: Vec<Estimate>,
    pub scripts: BTreeMap<String, String>,
    pub safety: Vec<Safety>,
    pub urgency: Vec<Group>,
    pub routes: Vec<Route>,
    /// The trade of a gas smell or CO alarm with no appliance named.
    pub hazard_trade: String,
    pub street_hints: Vec<String>,
    pub weather_station: Option<String>,
    pub min_confidence: f64,
    /// Where receipts are copied; the dispatch log unless turned off.
    pub sinks: Vec<crate::record::sinks::Sink>,
}

impl Business {
    pub fn offers(&self, trade: &str) -> bool {
        self.offered.iter().any(|t| t == trade)
    }
}

/// How long each step of an emergency's escalation waits.
#[derive(Debug, Clone, Copy)]
pub struct Escalation {
    pub text_minutes: u32,
    pub call_minutes: u32,
    pub next_minutes: u32,
    pub rounds: u32,
}

/// A commercial account: priority lane for its routine work.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub phone: String,
    /// Lower-case names callers use for it ("riverside").
    pub also_called: Vec<String>,
    /// Its priority calls are passed on at once, not in the morning.
    pub around_the_clock: bool,
}

/// An existing customer from the owner's list.
#[derive(Clone)]
pub struct Customer {
    pub name: String,
    pub commercial: bool,
    /// The ZIP on file, used when the caller gives no address.
    pub zip: Option<String>,
}

impl std::fmt::Debug for Customer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Customer")
            .field("commercial", &self.commercial)
            .finish_non_exhaustive()
    }
}

/// A job the owner priced, found by a fact.
#[derive(Debug, Clone)]
pub struct Estimate {
    pub job: String,
    pub fact: String,
    pub low: i64,
    pub high: i64,
}

/// A hazard the owner wants a script said for.
#[derive(Debug, Clone)]
pub struct Safety {
    /// The receipt's hazard name; `None` for a script that is not a hazard
    /// (a medical device without power).
    pub hazard: Option<String>,
    pub fact: String,
    /// A further condition beyond the fact itself.
    pub when: Option<Condition>,
    pub script: String,
}

/// An urgency group: only its highest matching tier counts.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub trade: Option<String>,
    pub trade_from: TradeFrom,
    pub says: String,
    pub tiers: Vec<Tier>,
}

#[derive(Debug, Clone)]
pub struct Tier {
    pub name: String,
    pub when: Condition,
    pub points: i64,
    pub says: String,
    pub trade: Option<String>,
    pub trade_from: TradeFrom,
}

/// Where a tier's job trade comes from when it does not name one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TradeFrom {
    /// The group's trade, if any.
    #[default]
    Group,
    /// The gas appliance the caller names (a gas smell by the water heater
    /// is plumbing).
    Appliance,
    /// No job of its own: water near the panel goes with the leak.
    Nothing,
}

/// One row of the route table.
#[derive(Debug, Clone)]
pub struct Route {
    pub name: String,
    pub when: Condition,
    pub lane: String,
    pub says: String,
}

/// The names every condition may read besides the facts.
pub const CONTEXT_NAMES: &[&str] = &[
    "outdoor_temp_f",
    "hurricane_warning",
    "after_hours",
    "trade",
    "trade_offered",
    "in_area",
    "out_of_area",
    "spam",
    "angry",
    "unclear_safety",
    "no_words",
    "over_threshold",
    "commercial",
    "existing_customer",
    "hazard",
    "channel",
    "urgency",
    "emergency_bar",
    "approval_threshold",
];

/// Names a condition may read: the facts and the context.
pub fn known_names() -> HashSet<&'static str> {
    crate::assessment::facts::names()
        .chain(CONTEXT_NAMES.iter().copied())
        .collect()
}
