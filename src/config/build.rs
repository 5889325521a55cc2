//! Turns the owner's files into checked `Business` values, collecting
//! every problem on the way instead of stopping at the first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;

use super::file::{self, S};
use super::problem::Problem;
use super::*;
use crate::assessment::area::{self, AreaRule, ServiceArea};
use crate::dispatch::schedule::{self as sched, Holiday, RotationKind};
use crate::intake::phone;
use crate::record::sinks::Sink;
use crate::rules::Condition;

/// The config files, from a folder or embedded in the binary.
pub struct Files {
    /// Path (as shown in problems) and text of every business file.
    pub profiles: Vec<(String, String)>,
    root: Option<PathBuf>,
}

const EMBEDDED: &[(&str, &str)] = &[
    (
        "businesses/birchline.toml",
        include_str!("../../data/businesses/birchline.toml"),
    ),
    (
        "businesses/palmetto.toml",
        include_str!("../../data/businesses/palmetto.toml"),
    ),
    (
        "businesses/customers.csv",
        include_str!("../../data/businesses/customers.csv"),
    ),
    (
        "geo/msp-service-zips.txt",
        include_str!("../../data/geo/msp-service-zips.txt"),
    ),
    (
        "geo/tpa-service-zips.txt",
        include_str!("../../data/geo/tpa-service-zips.txt"),
    ),
    (
        "geo/msp-service-area.geojson",
        include_str!("../../data/geo/msp-service-area.geojson"),
    ),
    (
        "geo/tpa-service-area.geojson",
        include_str!("../../data/geo/tpa-service-area.geojson"),
    ),
];

impl Files {
    pub fn embedded() -> Files {
        let profiles = EMBEDDED
            .iter()
            .filter(|(p, _)| p.ends_with(".toml"))
            .map(|(p, t)| (format!("(embedded)/{p}"), t.to_string()))
            .collect();
        Files {
            profiles,
            root: None,
        }
    }

    pub fn disk(dir: &Path) -> Result<Files, Vec<Problem>> {
        let fail = |message: String| {
            vec![Problem {
                file: dir.display().to_string(),
                line: 1,
                column: 1,
                severity: Severity::Error,
                message,
                help: "pass --config a folder holding one .toml file per business".into(),
            }]
        };
        let entries =
            std::fs::read_dir(dir).map_err(|e| fail(format!("cannot read the folder: {e}")))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(fail("no .toml business files here".into()));
        }
        let mut profiles = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
            profiles.push((path.display().to_string(), text));
        }
        Ok(Files {
            profiles,
            root: Some(dir.to_path_buf()),
        })
    }

    /// Reads a file named relative to the business files.
    fn read(&self, relative: &str) -> Result<(String, String), String> {
        match &self.root {
            Some(root) => {
                let path = root.join(relative);
                std::fs::read_to_string(&path)
                    .map(|t| (path.display().to_string(), t))
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))
            }
            None => {
                let wanted = normalise(&format!("businesses/{relative}"));
                EMBEDDED
                    .iter()
                    .find(|(p, _)| *p == wanted)
                    .map(|(p, t)| (format!("(embedded)/{p}"), t.to_string()))
                    .ok_or_else(|| format!("no embedded file {relative}"))
            }
        }
    }
}

/// Resolves `a/../b` in an embedded path.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Builds every business; problems from all files are returned together.
pub fn build_all(files: &Files) -> (Vec<Business>, Vec<Problem>) {
    let mut businesses = Vec::new();
    let mut problems = Vec::new();
    let mut numbers: HashMap<String, String> = HashMap::new();
    for (path, text) in &files.profiles {
        let mut ctx = Ctx {
            path,
            text,
            problems: Vec::new(),
        };
        if let Some(b) = build_one(files, &mut ctx) {
            if let Some(other) = numbers.insert(b.number.clone(), path.clone()) {
                ctx.problems.push(Problem::at(
                    path,
                    text,
                    0,
                    format!("the number {} is also the number of {other}", b.number),
                    "each business needs its own called number".into(),
                ));
            }
            businesses.push(b);
        }
        problems.extend(ctx.problems);
    }
    (businesses, problems)
}

/// Where problems for one file go.
struct Ctx<'a> {
    path: &'a str,
    text: &'a str,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    fn err<T>(&mut self, at: &S<T>, message: String, help: &str) {
        self.problems.push(Problem::at(
            self.path,
            self.text,
            at.span().start,
            message,
            help.into(),
        ));
    }

    fn warn<T>(&mut self, at: &S<T>, message: String, help: &str) {
        let p = Problem::at(self.path, self.text, at.span().start, message, help.into());
        self.problems.push(p.warning());
    }

    fn err_at(&mut self, offset: usize, message: String, help: &str) {
        self.problems.push(Problem::at(
            self.path,
            self.text,
            offset,
            message,
            help.into(),
        ));
    }
}

fn build_one(files: &Files, ctx: &mut Ctx<'_>) -> Option<Business> {
    let raw: file::File = match toml::from_str(ctx.text) {
        Ok(f) => f,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            let message = e.message().trim().replace('`', "\"");
            let help = if message.contains("unknown field") {
                "remove the field or fix its spelling; the fields a section takes are listed above"
            } else if message.contains("missing field") {
                "add the field; every business needs it"
            } else {
                "fix the TOML at this place"
            };
            ctx.err_at(offset, message, help);
            return None;
        }
    };
    let id = Path::new(ctx.path)
        .file_stem()
        .map_or("business".into(), |s| s.to_string_lossy().into_owned());
    let b = &raw.business;

    let tz = match TimeZone::get(b.timezone.get_ref()) {
        Ok(tz) => Some(tz),
        Err(_) => {
            ctx.err(
                &b.timezone,
                format!("unknown time zone {:?}", b.timezone.get_ref()),
                "use an IANA zone name such as America/Chicago or America/New_York",
            );
            None
        }
    };
    let number = phone_field(ctx, &b.number);
    let owner_phone = phone_field(ctx, &b.owner.phone);
    if !(1..=100).contains(b.emergency_bar.get_ref()) {
        ctx.err(
            &b.emergency_bar,
            format!(
                "emergency_bar {} can never be reached: urgency runs from 0 to 100",
                b.emergency_bar.get_ref()
            ),
            "pick a score from 1 to 100, e.g. emergency_bar = 70",
        );
    }
    check_trade_opt(ctx, b.hazard_trade.as_ref());
    for t in &raw.trades.offered {
        check_trade(ctx, t);
    }

    let area = build_area(files, ctx, &raw);
    let tz = tz?;
    let hours = build_hours(ctx, &raw.hours, &tz);
    let booking = raw.booking.as_ref().map(|s| build_booking(ctx, s, &tz));
    let booking_calendar = raw
        .booking
        .as_ref()
        .and_then(|s| s.calendar.as_ref())
        .map(|c| crate::dispatch::calendar::Settings {
            calendar_id: c.id.get_ref().clone(),
            key_file: crate::record::sinks::resolve(files.root.as_deref(), c.key_file.get_ref()),
            token_url: c
                .token_url
                .as_ref()
                .map_or(crate::record::sinks::sheets::TOKEN_URL.to_string(), |u| {
                    u.get_ref().clone()
                }),
            api_base: c
                .api_base
                .as_ref()
                .map_or(crate::dispatch::calendar::API_BASE.to_string(), |u| {
                    u.get_ref().clone()
                }),
            timeout: std::time::Duration::from_secs(10),
        });
    let schedule = build_schedule(ctx, &raw, &tz);
    let customers = build_customers(files, ctx, &raw, number.as_deref());
    let commercial = raw
        .commercial
        .iter()
        .map(|c| Account {
            name: c.name.clone(),
            phone: phone_field(ctx, &c.phone).unwrap_or_default(),
            also_called: c.also_called.iter().map(|a| a.to_lowercase()).collect(),
            around_the_clock: c.around_the_clock,
        })
        .collect();
    let scripts = raw.scripts.clone();
    let facts: HashSet<&str> = crate::assessment::facts::names().collect();
    let estimates = raw
        .estimates
        .iter()
        .map(|e| {
            check_fact(ctx, &facts, &e.fact);
            Estimate {
                job: e.job.clone(),
                fact: e.fact.get_ref().clone(),
                low: e.low,
                high: e.high,
            }
        })
        .collect();
    let safety = build_safety(ctx, &raw, &facts, &scripts);
    let urgency = build_urgency(ctx, &raw);
    let routes = build_routes(ctx, &raw.route);
    check_coverage(ctx, &raw);

    Some(Business {
        id,
        name: b.name.clone(),
        number: number?,
        tz,
        shop: (b.shop.lat, b.shop.lon),
        website: b.website.clone(),
        owner: Person {
            name: b.owner.name.clone(),
            phone: owner_phone?,
        },
        emergency_bar: *b.emergency_bar.get_ref(),
        approval_threshold: b.approval_threshold,
        area: area?,
        offered: raw
            .trades
            .offered
            .iter()
            .map(|t| t.get_ref().clone())
            .collect(),
        referrals: raw.trades.referrals.clone(),
        hours: hours?,
        booking: booking.flatten(),
        booking_calendar,
        schedule: schedule?,
        escalation: Escalation {
            text_minutes: raw.escalation.text_minutes,
            call_minutes: raw.escalation.call_minutes,
            next_minutes: raw.escalation.next_minutes,
            rounds: raw.escalation.rounds,
        },
        commercial,
        customers,
        estimates,
        scripts,
        safety,
        urgency,
        routes,
        hazard_trade: b
            .hazard_trade
            .as_ref()
            .map_or("hvac".into(), |t| t.get_ref().clone()),
        street_hints: b.street_hints.clone(),
        weather_station: b.weather_station.clone(),
        min_confidence: b.min_confidence.unwrap_or(0.4),
        sinks: build_sinks(files, ctx, &raw.sinks),
    })
}

fn phone_field(ctx: &mut Ctx<'_>, field: &S<String>) -> Option<String> {
    match phone::normalize(field.get_ref()) {
        Some(e164) => Some(e164),
        None => {
            ctx.err(
                field,
                format!("{:?} is not a phone number", field.get_ref()),
                "write it in E.164 form, e.g. +16125550100",
            );
            None
        }
    }
}

fn check_trade(ctx: &mut Ctx<'_>, trade: &S<String>) {
    if !TRADES.contains(&trade.get_ref().as_str()) {
        ctx.err(
            trade,
            format!("unknown trade {:?}", trade.get_ref()),
            &format!("expected one of {}", TRADES.join(", ")),
        );
    }
}

fn check_trade_opt(ctx: &mut Ctx<'_>, trade: Option<&S<String>>) {
    if let Some(t) = trade {
        check_trade(ctx, t);
    }
}

fn check_fact(ctx: &mut Ctx<'_>, facts: &HashSet<&str>, fact: &S<String>) {
    if !facts.contains(fact.get_ref().as_str()) {
        ctx.err(
            fact,
            format!("unknown fact {:?}", fact.get_ref()),
            &suggest(fact.get_ref(), facts.iter().copied()),
        );
    }
}

/// "did you mean" for a misspelt name, else the list to choose from.
fn suggest<'a>(wrong: &str, names: impl Iterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = names.collect();
    names.sort();
    let close = names.iter().find(|n| edit_distance(wrong, n) <= 2);
    match close {
        Some(n) => format!("did you mean {n:?}?"),
        None => format!("expected one of {}", names.join(", ")),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn build_area(files: &Files, ctx: &mut Ctx<'_>, raw: &file::File) -> Option<ServiceArea> {
    let section = &raw.service_area;
    let table = area::zip_table();
    let mut rules = Vec::new();
    let mut listed = HashSet::new();
    for zip in &section.zips {
        if table.get(zip.get_ref()).is_none() {
            ctx.err(
                zip,
                format!("ZIP {} does not exist", zip.get_ref()),
                "check the digits against the USPS ZIP lookup",
            );
        }
        listed.insert(zip.get_ref().clone());
    }
    for list in &section.zip_lists {
        match files.read(list.get_ref()) {
            Ok((path, text)) => read_zip_list(ctx, list, &path, &text, &mut listed),
            Err(e) => ctx.err(list, e, "give a path relative to this file"),
        }
    }
    if !listed.is_empty() {
        rules.push(AreaRule::Zips(listed));
    }
    if let Some(miles) = section.radius_miles {
        rules.push(AreaRule::Radius {
            shop: (raw.business.shop.lat, raw.business.shop.lon),
            miles,
        });
    }
    for poly in &section.polygons {
        match files
            .read(poly.get_ref())
            .map(|(_, t)| area::polygon_from_geojson(&t))
        {
            Ok(Ok(p)) => rules.push(AreaRule::Polygon(p)),
            Ok(Err(e)) => ctx.err(
                poly,
                format!("not a usable polygon: {e}"),
                "give a GeoJSON Polygon or MultiPolygon",
            ),
            Err(e) => ctx.err(poly, e, "give a path relative to this file"),
        }
    }
    if rules.is_empty() {
        ctx.err_at(
            0,
            "no service area".into(),
            "add [service_area] with zips, zip_lists, radius_miles or polygons",
        );
        return None;
    }
    Some(ServiceArea { rules })
}

fn read_zip_list(
    ctx: &mut Ctx<'_>,
    at: &S<String>,
    path: &str,
    text: &str,
    listed: &mut HashSet<String>,
) {
    let table = area::zip_table();
    for (i, line) in text.lines().enumerate() {
        let zip = line.split('#').next().unwrap_or("").trim();
        if zip.is_empty() {
            continue;
        }
        if table.get(zip).is_none() {
            ctx.problems.push(Problem {
                file: path.to_string(),
                line: i + 1,
                column: 1,
                severity: Severity::Error,
                message: format!("ZIP {zip:?} does not exist"),
                help: format!("fix or remove the line; the list is named at {}", ctx.path),
            });
            let _ = at;
        }
        listed.insert(zip.to_string());
    }
}

fn parse_range(text: &str) -> Option<(Time, Time)> {
    let (a, b) = text.split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

fn weekday(name: &str) -> Weekday {
    match name {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        _ => Weekday::Sunday,
    }
}

fn build_hours(ctx: &mut Ctx<'_>, section: &file::HoursSection, tz: &TimeZone) -> Option<Hours> {
    let mut weekly = Vec::new();
    for (day, range) in section.days() {
        let Some(range) = range else { continue };
        match parse_range(range.get_ref()) {
            Some((open, close)) => weekly.push((weekday(day), open, close)),
            None => ctx.err(
                range,
                format!("cannot read {:?} as opening hours", range.get_ref()),
                "write \"07:00-18:00\"",
            ),
        }
    }
    let mut holidays = Vec::new();
    for h in &section.holidays {
        match Holiday::parse(h.get_ref()) {
            Ok(day) => holidays.push(day),
            Err(e) => ctx.err(h, e.to_string(), "see the holiday names in ARCHITECTURE.md"),
        }
    }
    Some(Hours {
        tz: tz.clone(),
        weekly,
        holidays,
    })
}

fn build_booking(
    ctx: &mut Ctx<'_>,
    section: &file::BookingSection,
    tz: &TimeZone,
) -> Option<(BookingWindows, usize)> {
    let mut weekly = Vec::new();
    for (day, windows) in section.days() {
        let Some(windows) = windows else { continue };
        for w in windows.get_ref() {
            match parse_range(w) {
                Some((a, b)) => weekly.push((weekday(day), a, b)),
                None => ctx.err(
                    windows,
                    format!("cannot read {w:?} as a booking window"),
                    "write \"08:00-10:00\"",
                ),
            }
        }
    }
    Some((
        BookingWindows {
            tz: tz.clone(),
            weekly,
            per_window: section.per_window,
        },
        section.offer,
    ))
}

fn build_schedule(ctx: &mut Ctx<'_>, raw: &file::File, tz: &TimeZone) -> Option<Schedule> {
    let mut technicians = Vec::new();
    let mut ids = HashSet::new();
    for t in &raw.technicians {
        if !ids.insert(t.id.get_ref().clone()) {
            ctx.err(
                &t.id,
                format!("technician {:?} is listed twice", t.id.get_ref()),
                "give each technician a unique id",
            );
        }
        let phone = phone_field(ctx, &t.phone).unwrap_or_default();
        if !t.takes_texts {
            ctx.warn(
                &t.phone,
                format!(
                    "{} cannot take texts: alerts reach them by voice call only",
                    t.name
                ),
                "give a mobile number if they can text",
            );
        }
        technicians.push(sched::Technician {
            id: t.id.get_ref().clone(),
            name: t.name.clone(),
            phone,
            takes_texts: t.takes_texts,
        });
    }
    let known = |ctx: &mut Ctx<'_>, id: &S<String>| {
        if !ids.contains(id.get_ref()) {
            let hint = suggest(id.get_ref(), ids.iter().map(String::as_str));
            ctx.err(
                id,
                format!("no technician has the id {:?}", id.get_ref()),
                &hint,
            );
        }
    };
    let mut rotations = Vec::new();
    for r in &raw.rotations {
        check_trade(ctx, &r.trade);
        let kind = match r.every.get_ref().as_str() {
            "week" => RotationKind::Weekly,
            "day" => RotationKind::Daily,
            "always" => RotationKind::Always,
            other => {
                ctx.err(
                    &r.every,
                    format!("unknown rotation period {other:?}"),
                    "expected one of week, day, always",
                );
                RotationKind::Always
            }
        };
        if r.order.get_ref().is_empty() {
            ctx.err(
                &r.order,
                format!("the {} rotation has no one in it", r.trade.get_ref()),
                "list at least one technician id in order",
            );
        }
        for id in r.order.get_ref() {
            known(ctx, id);
        }
        if let Some(b) = &r.backup {
            known(ctx, b);
        }
        let start = match (&r.start, kind) {
            (Some(s), _) => s.get_ref().parse().ok().or_else(|| {
                ctx.err(
                    s,
                    format!("cannot read {:?} as a local time", s.get_ref()),
                    "write the first handoff as 2026-01-05T07:00",
                );
                None
            }),
            (None, RotationKind::Always) => Some(jiff::civil::date(2000, 1, 1).at(0, 0, 0, 0)),
            (None, _) => {
                ctx.err(
                    &r.every,
                    "a weekly or daily rotation needs a start".into(),
                    "add start = \"2026-01-05T07:00\", the first handoff",
                );
                None
            }
        };
        let hours = r.hours.as_ref().and_then(|h| {
            parse_range(h.get_ref()).or_else(|| {
                ctx.err(
                    h,
                    format!("cannot read {:?} as hours", h.get_ref()),
                    "write \"18:00-07:00\"",
                );
                None
            })
        });
        rotations.push(sched::Rotation {
            trade: r.trade.get_ref().clone(),
            kind,
            order: r
                .order
                .get_ref()
                .iter()
                .map(|s| s.get_ref().clone())
                .collect(),
            start: start.unwrap_or(jiff::civil::date(2000, 1, 1).at(0, 0, 0, 0)),
            backup: r.backup.as_ref().map(|b| b.get_ref().clone()),
            hours,
        });
    }
    let mut overrides = Vec::new();
    for o in &raw.overrides {
        known(ctx, &o.technician);
        check_trade_opt(ctx, o.trade.as_ref());
        let time = |ctx: &mut Ctx<'_>, s: &S<String>| {
            s.get_ref()
                .parse::<jiff::civil::DateTime>()
                .ok()
                .or_else(|| {
                    ctx.err(
                        s,
                        format!("cannot read {:?} as a local time", s.get_ref()),
                        "write 2026-03-10T18:00",
                    );
                    None
                })
        };
        if let (Some(from), Some(until)) = (time(ctx, &o.from), time(ctx, &o.until)) {
            if until <= from {
                ctx.err(
                    &o.until,
                    "the override ends before it starts".into(),
                    "make until later than from",
                );
            }
            overrides.push(sched::Override {
                trade: o.trade.as_ref().map(|t| t.get_ref().clone()),
                technician: o.technician.get_ref().clone(),
                from,
                until,
            });
        }
    }
    Some(Schedule {
        tz: tz.clone(),
        technicians,
        rotations,
        overrides,
    })
}

fn check_coverage(ctx: &mut Ctx<'_>, raw: &file::File) {
    for trade in &raw.trades.offered {
        if !raw
            .rotations
            .iter()
            .any(|r| r.trade.get_ref() == trade.get_ref())
        {
            ctx.warn(
                trade,
                format!(
                    "nobody is on call for {}: its emergencies will go to the owner",
                    trade.get_ref()
                ),
                "add a [[rotations]] entry for this trade",
            );
        }
    }
}

fn build_customers(
    files: &Files,
    ctx: &mut Ctx<'_>,
    raw: &file::File,
    number: Option<&str>,
) -> HashMap<String, Customer> {
    let mut customers = HashMap::new();
    let Some(list) = &raw.business.customers else {
        return customers;
    };
    let (path, text) = match files.read(list.get_ref()) {
        Ok(x) => x,
        Err(e) => {
            ctx.err(list, e, "give a path relative to this file");
            return customers;
        }
    };
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for (i, row) in reader.records().enumerate() {
        let Ok(row) = row else {
            ctx.problems.push(Problem {
                file: path.clone(),
                line: i + 2,
                column: 1,
                severity: Severity::Error,
                message: "not a CSV row".into(),
                help: "columns: business,name,phone,address,zip,commercial".into(),
            });
            continue;
        };
        let (business, name, phone_text, commercial) = (
            row.get(0).unwrap_or(""),
            row.get(1).unwrap_or(""),
            row.get(2).unwrap_or(""),
            row.get(5).unwrap_or(""),
        );
        if number.is_some_and(|n| phone::normalize(business).as_deref() != Some(n)) {
            continue;
        }
        match phone::normalize(phone_text) {
            Some(p) => {
                let zip = row.get(4).filter(|z| z.len() == 5).map(str::to_string);
                customers.insert(
                    p,
                    Customer {
                        name: name.to_string(),
                        commercial: commercial.eq_ignore_ascii_case("yes"),
                        zip,
                    },
                );
            }
            None => ctx.problems.push(Problem {
                file: path.clone(),
                line: i + 2,
                column: 1,
                severity: Severity::Error,
                message: format!("{phone_text:?} is not a phone number"),
                help: "write it in E.164 form, e.g. +16125550142".into(),
            }),
        }
    }
    customers
}

fn compile(
    ctx: &mut Ctx<'_>,
    when: &S<String>,
    names: &HashSet<&str>,
    forbidden: &[&str],
) -> Option<Condition> {
    let condition = match Condition::compile(when.get_ref()) {
        Ok(c) => c,
        Err(e) => {
            ctx.err(
                when,
                format!("the condition {:?} {e}", when.get_ref()),
                "write it in CEL, e.g. \"no_heat && outdoor_temp_f <= 32\"",
            );
            return None;
        }
    };
    for var in condition.variables() {
        if forbidden.contains(&var.as_str()) {
            ctx.err(
                when,
                format!("an urgency rule cannot read {var:?}"),
                "urgency rules read facts and context; the route table reads the score",
            );
        } else if !names.contains(var.as_str()) {
            let hint = suggest(&var, names.iter().copied());
            ctx.err(
                when,
                format!("unknown fact or name {var:?} in {:?}", when.get_ref()),
                &hint,
            );
        }
    }
    Some(condition)
}

fn build_safety(
    ctx: &mut Ctx<'_>,
    raw: &file::File,
    facts: &HashSet<&str>,
    scripts: &BTreeMap<String, String>,
) -> Vec<Safety> {
    let names = known_names();
    let mut out = Vec::new();
    for s in &raw.safety {
        check_fact(ctx, facts, &s.fact);
        if !scripts.contains_key(s.script.get_ref()) {
            let hint = suggest(s.script.get_ref(), scripts.keys().map(String::as_str));
            ctx.err(
                &s.script,
                format!("no script named {:?}", s.script.get_ref()),
                &hint,
            );
        }
        let when = s
            .when
            .as_ref()
            .and_then(|w| compile(ctx, w, &names, &["urgency"]));
        out.push(Safety {
            hazard: s.hazard.clone(),
            fact: s.fact.get_ref().clone(),
            when,
            script: s.script.get_ref().clone(),
        });
    }
    out
}

fn trade_from(ctx: &mut Ctx<'_>, field: Option<&S<String>>) -> TradeFrom {
    match field.map(|f| (f, f.get_ref().as_str())) {
        None => TradeFrom::Group,
        Some((_, "appliance")) => TradeFrom::Appliance,
        Some((_, "none")) => TradeFrom::Nothing,
        Some((f, other)) => {
            ctx.err(
                f,
                format!("unknown trade_from {other:?}"),
                "expected appliance or none",
            );
            TradeFrom::Group
        }
    }
}

fn build_urgency(ctx: &mut Ctx<'_>, raw: &file::File) -> Vec<Group> {
    let names = known_names();
    let mut groups = Vec::new();
    for g in &raw.urgency {
        check_trade_opt(ctx, g.trade.as_ref());
        let group_from = trade_from(ctx, g.trade_from.as_ref());
        let mut tiers = Vec::new();
        for t in &g.tiers {
            check_trade_opt(ctx, t.trade.as_ref());
            let from = match t.trade_from.as_ref() {
                Some(f) => trade_from(ctx, Some(f)),
                None => group_from,
            };
            if let Some(when) = compile(ctx, &t.when, &names, &["urgency"]) {
                tiers.push(Tier {
                    name: t.name.clone(),
                    when,
                    points: t.points,
                    says: t.says.clone(),
                    trade: t.trade.as_ref().map(|x| x.get_ref().clone()),
                    trade_from: from,
                });
            }
        }
        groups.push(Group {
            name: g.group.clone(),
            trade: g.trade.as_ref().map(|x| x.get_ref().clone()),
            trade_from: group_from,
            says: g.says.clone(),
            tiers,
        });
    }
    groups
}

/// Checks route rows alone, as `check` would in a whole profile: the
/// dashboard's draft route table goes through here.
pub(super) fn check_route_rows(
    path: &str,
    text: &str,
    rows: &[file::RouteEntry],
) -> (Vec<Route>, Vec<Problem>) {
    let mut ctx = Ctx {
        path,
        text,
        problems: Vec::new(),
    };
    let routes = build_routes(&mut ctx, rows);
    (routes, ctx.problems)
}

fn build_routes(ctx: &mut Ctx<'_>, rows: &[file::RouteEntry]) -> Vec<Route> {
    let names = known_names();
    let mut routes: Vec<Route> = Vec::new();
    let mut seen: Vec<(String, Vec<String>)> = Vec::new();
    for r in rows {
        if !LANES.contains(&r.lane.get_ref().as_str()) {
            let hint = suggest(r.lane.get_ref(), LANES.iter().copied());
            ctx.err(
                &r.lane,
                format!("unknown lane {:?}", r.lane.get_ref()),
                &hint,
            );
        }
        let Some(when) = compile(ctx, &r.when, &names, &[]) else {
            continue;
        };
        let parts = when.conjuncts();
        if let Some((earlier, _)) = seen
            .iter()
            .find(|(_, p)| p.iter().all(|x| parts.contains(x)))
        {
            let what = if routes
                .iter()
                .any(|x| &x.name == earlier && x.when.is_always_true())
            {
                format!(
                    "route {:?} can never match: {:?} above it always matches",
                    r.name.get_ref(),
                    earlier
                )
            } else {
                format!(
                    "route {:?} can never match: every contact it takes is taken by {:?} above it",
                    r.name.get_ref(),
                    earlier
                )
            };
            ctx.err(
                &r.name,
                what,
                "move the row above the one that shadows it, or remove it",
            );
        }
        let mut key = parts.clone();
        if when.is_always_true() {
            key.clear();
        }
        seen.push((r.name.get_ref().clone(), key));
        routes.push(Route {
            name: r.name.get_ref().clone(),
            when,
            lane: r.lane.get_ref().clone(),
            says: r.says.clone(),
        });
    }
    if routes.is_empty() {
        ctx.err_at(
            0,
            "no route table".into(),
            "add [[route]] rows; the last should be when = \"true\"",
        );
    }
    routes
}

/// The sinks of a business: each entry checked for the fields its kind
/// needs; the dispatch log added unless an entry turns it off.
fn build_sinks(files: &Files, ctx: &mut Ctx<'_>, entries: &[file::SinkEntry]) -> Vec<Sink> {
    use crate::record::sinks::{self, sheets, SinkKind, KINDS};
    let mut out = Vec::new();
    let mut names = HashSet::new();
    for e in entries {
        let need =
            |ctx: &mut Ctx<'_>, field: &Option<S<String>>, name: &str, help: &str| -> String {
                match field {
                    Some(v) if !v.get_ref().trim().is_empty() => v.get_ref().trim().to_string(),
                    _ => {
                        ctx.err(
                            &e.kind,
                            format!("a {} sink needs {name}", e.kind.get_ref()),
                            help,
                        );
                        String::new()
                    }
                }
            };
        let or = |field: &Option<S<String>>, default: &str| {
            field
                .as_ref()
                .map_or(default.to_string(), |v| v.get_ref().clone())
        };
        let kind = match e.kind.get_ref().as_str() {
            "dispatch_log" => SinkKind::DispatchLog,
            "csv_log" => SinkKind::CsvLog,
            "webhook" => SinkKind::Webhook {
                url: need(ctx, &e.url, "url", "add url = \"https://…\", the address to POST receipts to"),
                secret_env: need(ctx, &e.secret_env, "secret_env", "add secret_env = \"NAME\", the environment variable holding the whsec_… secret"),
            },
            "google_sheets" => SinkKind::GoogleSheets(sheets::Settings {
                spreadsheet_id: need(ctx, &e.spreadsheet_id, "spreadsheet_id", "copy it from the sheet's URL, between /d/ and /edit"),
                range: need(ctx, &e.range, "range", "add range = \"Receipts!A:O\", the tab receipts are appended to"),
                key_file: sinks::resolve(files.root.as_deref(), &need(ctx, &e.key_file, "key_file", "add key_file, the service account's JSON key, relative to this file")),
                token_url: or(&e.token_url, sheets::TOKEN_URL),
                api_base: or(&e.api_base, sheets::API_BASE),
            }),
            "hubspot" => SinkKind::Hubspot {
                api_base: or(&e.api_base, "https://api.hubapi.com"),
                token_env: need(ctx, &e.token_env, "token_env", "add token_env = \"NAME\", the environment variable holding the private app token"),
            },
            other => {
                ctx.err(&e.kind, format!("unknown sink kind {other:?}"), &suggest(other, KINDS.iter().copied()));
                continue;
            }
        };
        let name = e
            .name
            .as_ref()
            .map_or(kind.as_str().to_string(), |n| n.get_ref().clone());
        if !names.insert(name.clone()) {
            let at = e.name.as_ref().unwrap_or(&e.kind);
            ctx.err(
                at,
                format!("two sinks are named {name:?}"),
                "give each sink its own name = \"…\"",
            );
            continue;
        }
        if !e.enabled {
            continue;
        }
        let timeout = e
            .timeout_seconds
            .map_or(sinks::DEFAULT_TIMEOUT, std::time::Duration::from_secs);
        let max_age = e.max_age_hours.map_or(sinks::DEFAULT_MAX_AGE, |h| {
            std::time::Duration::from_secs(h * 3600)
        });
        out.push(Sink {
            name,
            kind,
            timeout,
            max_age,
        });
    }
    if !names.contains("dispatch_log") {
        out.insert(0, Sink::dispatch_log());
    }
    out
}
