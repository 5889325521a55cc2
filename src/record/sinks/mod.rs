//! Sinks: where receipts are copied after the store, each a place the
//! owner already looks (a log file, a spreadsheet, a CRM, an automation
//! tool behind a webhook).
//!
//! Every write carries the receipt version's id (`CONTACT:VERSION`) and is
//! safe to repeat: a sink that can be asked looks for the id first, and a
//! webhook receiver gets it as `webhook-id`. The outbox decides when to
//! try; a sink only says whether trying again could help.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Receipt;

pub mod crm;
pub mod csv_log;
pub mod dispatch_log;
pub mod sheets;
pub mod webhook;

pub use dispatch_log::DispatchLog;

/// One place receipts are copied to, as the business configured it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sink {
    /// Unique within the business; part of each job's dedupe key.
    pub name: String,
    pub kind: SinkKind,
    /// How long one request may take before it counts as failed.
    pub timeout: Duration,
    /// After this long since the version was queued, the job is given up
    /// and left visible as dead.
    pub max_age: Duration,
}

/// What kind of sink, and where it is.
#[derive(Debug, Clone, PartialEq)]
pub enum SinkKind {
    /// `dispatch-log.jsonl` under the data folder.
    DispatchLog,
    /// `dispatch-log.csv` under the data folder.
    CsvLog,
    /// A Standard Webhooks POST; the `whsec_…` secret is read from the
    /// environment variable named here when the job runs.
    Webhook {
        url: String,
        secret_env: String,
    },
    GoogleSheets(sheets::Settings),
    /// HubSpot's CRM v3; the private app token is read from the
    /// environment variable named here when the job runs.
    Hubspot {
        api_base: String,
        token_env: String,
    },
}

impl SinkKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            SinkKind::DispatchLog => "dispatch_log",
            SinkKind::CsvLog => "csv_log",
            SinkKind::Webhook { .. } => "webhook",
            SinkKind::GoogleSheets(_) => "google_sheets",
            SinkKind::Hubspot { .. } => "hubspot",
        }
    }
}

/// The kinds the business TOML may name.
pub const KINDS: &[&str] = &[
    "dispatch_log",
    "csv_log",
    "webhook",
    "google_sheets",
    "hubspot",
];

/// Used when a `[[sinks]]` entry gives no `timeout_seconds`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(8);
/// Used when an entry gives no `max_age_hours`: the three days Standard
/// Webhooks suggests retrying over.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(72 * 3600);

impl Sink {
    /// The dispatch log every business has unless it turns it off.
    pub fn dispatch_log() -> Sink {
        Sink {
            name: "dispatch_log".into(),
            kind: SinkKind::DispatchLog,
            timeout: DEFAULT_TIMEOUT,
            max_age: DEFAULT_MAX_AGE,
        }
    }
}

/// Why a write did not happen, in the terms the outbox acts on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Worth trying again later: a timeout, a 5xx, a 429, a busy disk.
    /// `after` is the wait the sink asked for (`Retry-After`), if any.
    #[error("{what}")]
    Retry {
        what: String,
        after: Option<Duration>,
    },
    /// Trying again will not help until someone changes the config or the
    /// sink: a 4xx, a missing secret, an unreadable key file.
    #[error("{0}")]
    GiveUp(String),
}

impl Error {
    pub(crate) fn retry(what: impl Into<String>) -> Error {
        Error::Retry {
            what: what.into(),
            after: None,
        }
    }

    pub(crate) fn io(path: &Path, e: std::io::Error) -> Error {
        Error::retry(format!("{}: {e}", path.display()))
    }

    /// Sorts a failed HTTP exchange: no answer or a 5xx, 408 or 429 can
    /// pass; any other status needs a person.
    pub(crate) fn from_status(
        what: &str,
        status: reqwest::StatusCode,
        retry_after: Option<&str>,
    ) -> Error {
        let after = retry_after
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let code = status.as_u16();
        if status.is_server_error() || code == 408 || code == 429 {
            Error::Retry {
                what: format!("{what}: HTTP {code}"),
                after,
            }
        } else {
            Error::GiveUp(format!("{what}: HTTP {code}"))
        }
    }

    pub(crate) fn from_reqwest(what: &str, e: &reqwest::Error) -> Error {
        let why = if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "could not connect".to_string()
        } else {
            // The URL may carry a token in its query; keep it out.
            e.to_string()
                .split(" for url")
                .next()
                .unwrap_or("request failed")
                .to_string()
        };
        Error::retry(format!("{what}: {why}"))
    }
}

/// Reads the retry hint a response carries.
/// Held while a local log file is checked and appended to: the outbox
/// runs several writes at once, and a look-then-append must not
/// interleave with another's (a line torn in two, a header written twice,
/// a version written twice).
pub(crate) fn local_file_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn retry_after(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// What a successful write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// The version is now at the sink.
    New,
    /// The sink already had it (an earlier attempt landed).
    AlreadyThere,
}

/// One write of one receipt version.
pub struct Delivery<'a> {
    pub receipt: &'a Receipt,
    /// The receipt exactly as stored: what the JSON sinks send.
    pub body: &'a str,
    /// 1 on the first try; later tries look for the id first where the
    /// sink can be asked.
    pub attempt: i64,
    /// The current time (the app's clock), Unix milliseconds.
    pub now_ms: i64,
    /// Where the file sinks write.
    pub data_dir: &'a Path,
}

/// Writes one receipt version to one sink.
///
/// # Errors
///
/// [`Error::Retry`] when a later attempt may succeed, [`Error::GiveUp`]
/// when it cannot without a change.
pub async fn deliver(sink: &Sink, d: &Delivery<'_>) -> Result<Written, Error> {
    let fresh = |new: bool| {
        if new {
            Written::New
        } else {
            Written::AlreadyThere
        }
    };
    match &sink.kind {
        SinkKind::DispatchLog => DispatchLog::new(d.data_dir)
            .write(&d.receipt.receipt_id, d.body)
            .map(fresh),
        SinkKind::CsvLog => csv_log::CsvLog::new(d.data_dir).write(d.receipt).map(fresh),
        SinkKind::Webhook { url, secret_env } => {
            let secret = env_secret(secret_env)?;
            webhook::post(&http(sink)?, url, &secret, d).await
        }
        SinkKind::GoogleSheets(settings) => sheets::append(&http(sink)?, settings, d).await,
        SinkKind::Hubspot {
            api_base,
            token_env,
        } => {
            let token = env_secret(token_env)?;
            let hubspot = crm::Hubspot::new(http(sink)?, api_base, token);
            crm::record(&hubspot, d).await
        }
    }
}

fn http(sink: &Sink) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .timeout(sink.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::GiveUp(format!("http client: {e}")))
}

/// A secret named by the config, read from the environment at the time of
/// the write so that it never sits in a file.
fn env_secret(name: &str) -> Result<crate::twilio::Secret, Error> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(crate::twilio::Secret::new(v.trim().to_string())),
        _ => Err(Error::GiveUp(format!(
            "the environment variable {name} is not set"
        ))),
    }
}

/// A file path from the config, relative to the config folder when it is
/// not absolute.
pub fn resolve(root: Option<&Path>, path: &str) -> PathBuf {
    match root {
        Some(root) if Path::new(path).is_relative() => root.join(path),
        _ => PathBuf::from(path),
    }
}
