//! The one error type of the Twilio edge and the secret wrapper. Each
//! variant tells the caller whether to retry, to give up on this recipient,
//! or to fix the configuration; none of them carries a number or a body.

use std::fmt;

/// What went wrong talking to Twilio, sorted by what the caller can do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Twilio rejected the credentials (401, code 20003): fix the config.
    #[error("twilio rejected the account sid or auth token (20003)")]
    Auth,
    /// The `To` number is not a valid phone number (21211): give up.
    #[error("recipient is not a valid phone number (21211)")]
    InvalidTo,
    /// The `To` number cannot receive texts (21614): give up on SMS, a voice
    /// call may still reach it.
    #[error("recipient is not a mobile number (21614)")]
    NotMobile,
    /// The recipient replied STOP to this sender (21610): never retry.
    #[error("recipient has unsubscribed from this sender (21610)")]
    Unsubscribed,
    /// The requested resource does not exist (404, code 20404).
    #[error("twilio resource not found")]
    NotFound,
    /// Too many concurrent requests (429, code 20429): retry with backoff.
    #[error("twilio is rate limiting requests (20429)")]
    RateLimited,
    /// Twilio failed on its side (5xx): retry with backoff.
    #[error("twilio server error (status {status}, code {code:?})")]
    Server { status: u16, code: Option<u32> },
    /// Any other 4xx: the request itself is wrong, so a retry fails again.
    #[error("twilio rejected the request (status {status}, code {code:?})")]
    Rejected { status: u16, code: Option<u32> },
    /// Connect failure, timeout or a dropped connection: retry.
    #[error("could not reach twilio")]
    Network(#[source] reqwest::Error),
    /// A 2xx answer whose JSON does not parse. The request may have taken
    /// effect, so a retry could send a second text.
    #[error("could not read twilio's response")]
    Decode(#[source] reqwest::Error),
    /// A media file past the size limit: give up, a retry gets the same.
    #[error("media is larger than {limit} bytes")]
    MediaTooLarge { limit: usize },
    /// A media URL (or a redirect) nightdesk will not follow: not at the
    /// configured Twilio API, not http(s), or too many hops.
    #[error("media url refused: {0}")]
    MediaUrl(&'static str),
    /// A form body that does not decode.
    #[error("malformed form body")]
    Form,
    /// A TwiML document that does not parse.
    #[error("malformed twiml: {0}")]
    Twiml(String),
}

impl Error {
    /// Whether the same request may succeed if sent again later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::RateLimited | Error::Server { .. } | Error::Network(_)
        )
    }

    /// The Twilio error code behind this error, where there is one.
    pub fn code(&self) -> Option<u32> {
        match self {
            Error::Auth => Some(20003),
            Error::InvalidTo => Some(21211),
            Error::NotMobile => Some(21614),
            Error::Unsubscribed => Some(21610),
            Error::NotFound => Some(20404),
            Error::RateLimited => Some(20429),
            Error::Server { code, .. } | Error::Rejected { code, .. } => *code,
            _ => None,
        }
    }

    /// Maps an HTTP status and the `code` of Twilio's error body.
    pub(crate) fn from_status(status: u16, code: Option<u32>) -> Error {
        match (status, code) {
            (_, Some(20003)) | (401, _) => Error::Auth,
            (_, Some(21211)) => Error::InvalidTo,
            (_, Some(21614)) => Error::NotMobile,
            (_, Some(21610)) => Error::Unsubscribed,
            (_, Some(20429)) | (429, _) => Error::RateLimited,
            (500..=599, _) => Error::Server { status, code },
            (_, Some(20404)) | (404, _) => Error::NotFound,
            _ => Error::Rejected { status, code },
        }
    }
}

/// A credential whose `Debug` never shows the value, so that a derived
/// `Debug` on a config or client cannot leak it into a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The credential itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_error_codes_say_retry_or_give_up() {
        let check = |status, code, retry, want: Option<u32>| {
            let err = Error::from_status(status, code);
            assert_eq!(err.is_retryable(), retry, "{status} {code:?}");
            assert_eq!(err.code(), want, "{status} {code:?}");
        };
        check(400, Some(21211), false, Some(21211));
        check(400, Some(21610), false, Some(21610));
        check(400, Some(21614), false, Some(21614));
        check(401, Some(20003), false, Some(20003));
        check(401, None, false, Some(20003));
        check(429, Some(20429), true, Some(20429));
        check(503, None, true, None);
        check(500, Some(20500), true, Some(20500));
        check(404, Some(20404), false, Some(20404));
        check(400, Some(21602), false, Some(21602));
    }

    #[test]
    fn secret_debug_redacts() {
        let secret = Secret::new("aa46d9a6adc07f566f1b464cc1994a3f");
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
    }
}
