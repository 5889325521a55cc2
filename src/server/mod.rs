//! The HTTP server: Twilio's webhooks, and (later) the dashboard, on one
//! port. Handlers check the signature, store the raw request and advance
//! the conversation in one transaction, then answer; alerts leave through
//! the job queue so a slow provider never holds a caller on the line.

mod error;
pub(crate) mod flow;
pub mod forms;
mod render;
mod routes;
mod team;
mod transfer;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Config;
use crate::store::Store;
use crate::twilio::{RestClient, Secret};
use crate::weather::WeatherSource;

pub use error::Error;
pub use routes::router;

/// A kept photo as a response, for the dashboard and the technician's
/// signed link alike: the type it was stored with, never sniffed, never
/// cached, and nothing in it allowed to run. A PDF is a download.
pub fn photo_response(content_type: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let disposition = if content_type == "application/pdf" {
        "attachment"
    } else {
        "inline"
    };
    let headers = [
        (header::CONTENT_TYPE, content_type.to_string()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        (header::CACHE_CONTROL, "private, no-store".into()),
        (header::CONTENT_DISPOSITION, disposition.into()),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox".into(),
        ),
        (header::REFERRER_POLICY, "no-referrer".into()),
    ];
    (headers, bytes).into_response()
}

/// Everything a handler needs; cloned per request.
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub store: Store,
    pub clock: Clock,
    pub weather: WeatherSource,
    /// Twilio's REST API, for texts and calls nightdesk starts.
    pub twilio: Option<Arc<RestClient>>,
    pub auth_token: Arc<Secret>,
    /// The URL Twilio signs, when nightdesk is behind a proxy.
    pub public_url: Option<String>,
    pub data_dir: PathBuf,
    /// Wakes the job worker when a job is queued.
    pub jobs_ready: Arc<Notify>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}
