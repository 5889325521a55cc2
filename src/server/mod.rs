//! The HTTP server: Twilio's webhooks, and (later) the dashboard, on one
//! port. Handlers check the signature, store the raw request and advance
//! the conversation in one transaction, then answer; alerts leave through
//! the job queue so a slow provider never holds a caller on the line.

mod error;
mod flow;
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
