//! Fetching the media of an MMS. Twilio's media URL wants the account's
//! Basic auth (when the account enforces it) and answers with a redirect
//! to a signed storage URL on another host. Redirects are followed here,
//! by hand, so that the credentials go to the API's origin and nowhere
//! else, and the body is read against a size cap.

use std::time::Duration;

use reqwest::header;
use url::Url;

use super::rest::RestClient;
use super::Error;

/// A media fetch, redirects and body included, may take this long.
pub const MEDIA_TIMEOUT: Duration = Duration::from_secs(30);
/// Hops followed before a chain of redirects is refused.
const MAX_REDIRECTS: usize = 5;

/// A fetched media file: its type as the server named it, and its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Media {
    /// The `Content-Type` without parameters, lower case.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Media {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Media")
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Whether two URLs share scheme, host and port.
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

impl RestClient {
    /// GETs the media at `url`, a `MediaUrl{N}` of an incoming MMS, with
    /// the account's Basic auth, following up to five redirects. The
    /// credentials go only to the origin of the API base; a redirect to
    /// another host is followed without them. A body past `max_bytes` is
    /// refused without being read whole.
    ///
    /// # Errors
    ///
    /// [`Error::MediaUrl`] for a URL not at the API base (or a redirect
    /// that is not http(s), or too many of them), [`Error::NotFound`] for
    /// media Twilio no longer has, [`Error::MediaTooLarge`] past the cap,
    /// and the statuses of [`Error::from_status`]; only
    /// [`Error::is_retryable`] ones may succeed later.
    pub async fn fetch_media(&self, url: &str, max_bytes: usize) -> Result<Media, Error> {
        let api = Url::parse(&self.api_base).map_err(|_| Error::MediaUrl("bad api base"))?;
        let mut at = Url::parse(url).map_err(|_| Error::MediaUrl("not a url"))?;
        if !same_origin(&at, &api) {
            return Err(Error::MediaUrl("not at the configured twilio api"));
        }

        for _ in 0..=MAX_REDIRECTS {
            let mut request = self.media_http.get(at.clone());
            if same_origin(&at, &api) {
                request = request.basic_auth(&self.account_sid, Some(self.auth_token.expose()));
            }
            let response = request.send().await.map_err(Error::Network)?;
            let status = response.status();

            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or(Error::MediaUrl("a redirect without a location"))?;
                let next = at
                    .join(location)
                    .map_err(|_| Error::MediaUrl("a redirect to a bad location"))?;
                if !matches!(next.scheme(), "http" | "https") {
                    return Err(Error::MediaUrl("a redirect that is not http(s)"));
                }
                at = next;
                continue;
            }
            if !status.is_success() {
                tracing::debug!(status = status.as_u16(), "media fetch refused");
                return Err(Error::from_status(status.as_u16(), None));
            }
            return read(response, max_bytes).await;
        }
        Err(Error::MediaUrl("too many redirects"))
    }
}

/// Reads a media body, stopping as soon as it passes `max_bytes`.
async fn read(mut response: reqwest::Response, max_bytes: usize) -> Result<Media, Error> {
    let too_large = Error::MediaTooLarge { limit: max_bytes };
    if response
        .content_length()
        .is_some_and(|n| n > max_bytes as u64)
    {
        return Err(too_large);
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Error::Network)? {
        if bytes.len() + chunk.len() > max_bytes {
            return Err(too_large);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Media {
        content_type,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(
            &u("https://api.twilio.com/2010-04-01/x"),
            &u("https://api.twilio.com:443")
        ));
        assert!(!same_origin(
            &u("https://api.twilio.com/x"),
            &u("http://api.twilio.com/x")
        ));
        assert!(!same_origin(
            &u("http://127.0.0.1:8000/x"),
            &u("http://127.0.0.1:8001/x")
        ));
        assert!(!same_origin(
            &u("https://media.twiliocdn.com/x"),
            &u("https://api.twilio.com/x")
        ));
    }
}
