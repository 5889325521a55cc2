//! `nightdesk receipts`: the owner's audit of what happened to each
//! contact, read from the store. Lists (one line or one JSON receipt a
//! contact), shows one, and with `--why` explains its route: each fact
//! with the words it came from, each rule's points, the row that matched
//! and why every row above it did not.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::dispatch::schedule::parse_local_time;
use crate::record::Receipt;
use crate::store::{ReceiptFilter, Store};

#[derive(Debug, Args)]
pub struct ReceiptsArgs {
    #[command(subcommand)]
    pub action: Option<Action>,
    /// Only contacts whose newest receipt was written at or after this
    /// instant (RFC 3339 with an offset) or local date-time (UTC).
    #[arg(long)]
    pub since: Option<String>,
    /// Only this lane: emergency, human, priority, booking, decline, drop.
    #[arg(long)]
    pub lane: Option<String>,
    /// Only this business, by its called number.
    #[arg(long)]
    pub business: Option<String>,
    /// One receipt a line, as JSON (the schema in schema/).
    #[arg(long)]
    pub json: bool,
    /// Explain why the contact (or `CONTACT:VERSION`) went where it went.
    #[arg(long, value_name = "ID")]
    pub why: Option<String>,
    /// Show at most this many contacts.
    #[arg(long, default_value_t = 200)]
    pub limit: i64,
}

#[derive(Debug, Subcommand)]
pub enum Action {
    /// One receipt, whole: a contact id (newest version) or CONTACT:VERSION.
    Show { id: String },
}

const LANES: &[&str] = &[
    "emergency",
    "human",
    "priority",
    "booking",
    "decline",
    "drop",
];

/// Runs `receipts`.
///
/// # Errors
///
/// When the store cannot be opened or the receipt does not exist.
pub fn run(args: ReceiptsArgs, data: &Path, database_url: Option<&str>) -> anyhow::Result<i32> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = match database_url {
            Some(url) => Store::open(url).await,
            None => Store::open_data_dir(data).await,
        }
        .context("opening the store")?;
        let mut out = std::io::stdout().lock();
        if let Some(id) = &args.why {
            let r = one(&store, id).await?;
            write!(out, "{}", why(&r))?;
            return Ok(0);
        }
        if let Some(Action::Show { id }) = &args.action {
            let r = one(&store, id).await?;
            let text = if args.json {
                serde_json::to_string(&r)?
            } else {
                serde_json::to_string_pretty(&r)?
            };
            writeln!(out, "{text}")?;
            return Ok(0);
        }
        if let Some(lane) = &args.lane {
            if !LANES.contains(&lane.as_str()) {
                bail!(
                    "unknown lane {lane:?}; expected one of {}",
                    LANES.join(", ")
                );
            }
        }
        let since = args.since.as_deref().map(since_ms).transpose()?;
        let filter = ReceiptFilter {
            since,
            lane: args.lane.clone(),
            business: args.business.clone(),
            limit: args.limit,
        };
        for body in store.find_receipts(&filter).await? {
            if args.json {
                writeln!(out, "{body}")?;
            } else {
                let r: Receipt =
                    serde_json::from_str(&body).context("a stored receipt is unreadable")?;
                writeln!(out, "{}", line(&r))?;
            }
        }
        Ok(0)
    })
}

fn since_ms(text: &str) -> anyhow::Result<i64> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t.as_millisecond());
    }
    let (zoned, _) = parse_local_time(text, &jiff::tz::TimeZone::UTC).with_context(|| {
        format!("--since {text:?}: give 2026-01-14T02:00 or an instant with an offset")
    })?;
    Ok(zoned.timestamp().as_millisecond())
}

/// A receipt by contact id (newest version) or `CONTACT:VERSION`.
async fn one(store: &Store, id: &str) -> anyhow::Result<Receipt> {
    let body = match id
        .rsplit_once(':')
        .and_then(|(c, v)| v.parse::<i64>().ok().map(|v| (c, v)))
    {
        Some((contact, version)) => store.receipt_version(contact, version).await?,
        None => store.receipt(id).await?,
    };
    let body = body.with_context(|| format!("no receipt {id}; `nightdesk receipts` lists them"))?;
    serde_json::from_str(&body).context("the stored receipt is unreadable")
}

/// One line a contact: when, which business, lane and rule, score, who.
pub fn line(r: &Receipt) -> String {
    let who = r
        .first_alert
        .as_ref()
        .map_or(String::new(), |a| format!(" → {} {}", a.role, a.name));
    format!(
        "{}  {}  {}  {:<9} {:<22} urgency {:>3}  {}{}",
        r.receipt_id,
        r.started_at,
        r.business.name,
        r.lane.as_deref().unwrap_or("open"),
        r.rule.as_deref().unwrap_or("-"),
        r.urgency.score,
        r.issue.summary,
        who
    )
}

/// Why the contact went where it went, for an owner to read.
pub fn why(r: &Receipt) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} ({}, {}, {})",
        r.receipt_id, r.business.name, r.channel, r.started_at
    );
    let _ = writeln!(
        s,
        "lane: {} by rule {}",
        r.lane.as_deref().unwrap_or("none yet"),
        r.rule.as_deref().unwrap_or("-")
    );
    let _ = writeln!(s, "\nfacts, with the words they came from:");
    if r.facts.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    for f in &r.facts {
        let slot = f
            .slot
            .as_deref()
            .map_or(String::new(), |x| format!(" [{x}]"));
        let _ = writeln!(s, "  {} ({}): \"{}\"{slot}", f.fact, f.said, f.words);
    }
    let _ = writeln!(
        s,
        "\nurgency {} of 100 (emergency bar {}), {}:",
        r.urgency.score, r.urgency.emergency_bar, r.urgency.level
    );
    if r.urgency.contributions.is_empty() {
        let _ = writeln!(s, "  (no rule gave points)");
    }
    for c in &r.urgency.contributions {
        let evidence: Vec<String> = c
            .evidence
            .iter()
            .map(|(fact, words)| format!("{fact}: \"{words}\""))
            .collect();
        let _ = writeln!(s, "  {:+4}  {}  {}", c.points, c.rule, c.says);
        if !evidence.is_empty() {
            let _ = writeln!(s, "        from {}", evidence.join("; "));
        }
    }
    let _ = writeln!(s, "\nroute table, first match wins:");
    for (row, reason) in &r.passed_over {
        let _ = writeln!(s, "  no   {row}: {reason}");
    }
    match &r.rule {
        Some(rule) => {
            let _ = writeln!(s, "  YES  {rule}: {}", r.rule_says);
        }
        None => {
            let _ = writeln!(s, "  (no row matched) {}", r.rule_says);
        }
    }
    let _ = writeln!(s, "\nwho was told:");
    if r.messages.is_empty() && r.handoff.is_empty() {
        let _ = writeln!(s, "  (nobody yet)");
    }
    for m in &r.messages {
        let id = m.provider_id.as_deref().unwrap_or("no provider id");
        let _ = writeln!(
            s,
            "  {} {} {} by {}: {} ({id})",
            m.at, m.role, m.to, m.kind, m.status
        );
    }
    for h in &r.handoff {
        let note = h
            .note
            .as_deref()
            .map_or(String::new(), |n| format!(" ({n})"));
        let _ = writeln!(s, "  {} {} {} {}{note}", h.at, h.step, h.role, h.who);
    }
    s
}
