//! How failures become HTTP answers: one mapping, logged once, with no
//! internals and no personal data in the body or the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The signature was missing or wrong: 403, a security log line.
    #[error("bad or missing twilio signature")]
    Forbidden,
    /// The request lacks a field or is not a form: 400.
    #[error("malformed webhook: {0}")]
    BadRequest(String),
    /// The store failed: 500, and Twilio retries.
    #[error("store: {0}")]
    Store(#[from] crate::store::Error),
    #[error("stored state unreadable: {0}")]
    State(#[from] serde_json::Error),
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = match &self {
            Error::Forbidden => {
                tracing::warn!(target: "security", "webhook refused: bad or missing signature");
                StatusCode::FORBIDDEN
            }
            Error::BadRequest(why) => {
                tracing::warn!(why = %why, "malformed webhook refused");
                StatusCode::BAD_REQUEST
            }
            Error::Store(e) => {
                tracing::error!(error = %e, "store failed during a webhook");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Error::State(e) => {
                tracing::error!(error = %e, "stored conversation unreadable");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let text = match status {
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::BAD_REQUEST => "bad request",
            _ => "internal error",
        };
        (status, text).into_response()
    }
}
