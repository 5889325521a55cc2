//! The owner's dashboard, served by `serve` beside the webhooks: the
//! contacts with their receipts, the four numbers, an audit of a draft
//! route table, what the service is worth, and `/metrics`.
//!
//! Pages are rendered on the server with `maud`, which escapes every
//! value, so a caller's words always show as text. Nothing here writes to
//! a contact except the owner's mark.

mod audit;
pub mod auth;
mod charts;
mod contacts;
mod layout;
mod login;
mod metrics;
pub mod numbers;
mod overview;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::config::Business;
use crate::server::App;
use auth::Session;

/// The dashboard's routes, to be merged into the server's router.
pub fn router() -> Router<App> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/contacts") }))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/contacts", get(contacts::list))
        .route("/contacts/{id}", get(contacts::show))
        .route("/contacts/{id}/mark", post(contacts::mark))
        .route("/contacts/{id}/media/{n}", get(contacts::photo))
        .route("/numbers", get(overview::numbers))
        .route("/worth", get(overview::worth).post(overview::save_worth))
        .route("/audit", get(audit::page).post(audit::run))
        .route("/metrics", get(metrics::metrics))
}

/// How a dashboard request fails. Mapped to a page once, in
/// `into_response`; no internals reach the browser.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No valid session: go to the login page.
    #[error("login needed")]
    LoginNeeded,
    /// A form without this session's CSRF token: reload and resend.
    #[error("form token missing or wrong")]
    Csrf,
    /// The user may not see this business or contact.
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// Too many failed logins: wait.
    #[error("too many login attempts")]
    TooManyAttempts,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("store: {0}")]
    Store(#[from] crate::store::Error),
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, text) = match &self {
            Error::LoginNeeded => return Redirect::to("/login").into_response(),
            Error::Csrf => {
                tracing::warn!(target: "security", "dashboard form refused: bad csrf token");
                (
                    StatusCode::FORBIDDEN,
                    "This form has expired. Go back, reload the page and try again.",
                )
            }
            Error::Forbidden => (StatusCode::FORBIDDEN, "You do not have access to this."),
            Error::NotFound => (StatusCode::NOT_FOUND, "There is nothing here."),
            Error::TooManyAttempts => {
                tracing::warn!(target: "security", "dashboard login refused: too many attempts");
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many login attempts. Wait 15 minutes and try again.",
                )
            }
            Error::BadRequest(why) => {
                tracing::warn!(why = %why, "dashboard request refused");
                (StatusCode::BAD_REQUEST, "The request could not be read.")
            }
            Error::Store(e) => {
                tracing::error!(error = %e, "store failed during a dashboard request");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong. Try again in a minute.",
                )
            }
        };
        let page = layout::bare("nightdesk", maud::html! { p.notice { (text) } });
        (status, [(header::CACHE_CONTROL, "no-store")], page).into_response()
    }
}

/// The business a page is about: the one asked for, if the user may see
/// it, else the user's first.
///
/// # Errors
///
/// `Forbidden` when the user may see no business of this config, or asks
/// for one they may not see.
pub(crate) fn business<'a>(
    app: &'a App,
    session: &Session,
    asked: Option<&str>,
) -> Result<&'a Business, Error> {
    match asked.filter(|b| !b.is_empty()) {
        Some(number) if session.may_see(number) => {
            app.config.business(number).ok_or(Error::NotFound)
        }
        Some(_) => Err(Error::Forbidden),
        None => session
            .user
            .businesses
            .iter()
            .find_map(|b| app.config.business(b))
            .ok_or(Error::Forbidden),
    }
}

/// A period in days from a query, 1 to 366, default 30.
pub(crate) fn days(asked: Option<i64>) -> i64 {
    asked.unwrap_or(30).clamp(1, 366)
}

const DAY_MS: i64 = 24 * 3600 * 1000;
