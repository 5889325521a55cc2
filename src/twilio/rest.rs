//! The REST client for what nightdesk asks of Twilio: send a text, place
//! a call (and, in `media`, fetch a photo the caller texted). Its base
//! URL is configurable so that tests and the demo talk to the local
//! stand-in; every failure comes back as an [`Error`] that says whether
//! a retry can help.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

pub use super::{Error, Secret};

/// Twilio allows a connection 2 s before we assume it is unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// No single request may hold a dispatch job longer than this.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);

/// A Message resource as Twilio returns it. Only the fields nightdesk uses
/// are read; `Debug` leaves out numbers and the body.
#[derive(Clone, Deserialize, PartialEq)]
pub struct MessageResource {
    pub sid: String,
    pub account_sid: String,
    /// `accepted`, `queued`, `sending`, `sent`, `delivered`,
    /// `undelivered` or `failed`.
    pub status: String,
    pub to: String,
    pub from: Option<String>,
    pub body: String,
    pub direction: String,
    pub num_segments: Option<String>,
    pub num_media: Option<String>,
    pub error_code: Option<i64>,
    pub date_created: Option<String>,
    pub date_sent: Option<String>,
    pub date_updated: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub uri: String,
}

impl fmt::Debug for MessageResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageResource")
            .field("sid", &self.sid)
            .field("status", &self.status)
            .field("error_code", &self.error_code)
            .finish_non_exhaustive()
    }
}

/// A Call resource as Twilio returns it; `Debug` leaves out numbers.
#[derive(Clone, Deserialize, PartialEq)]
pub struct CallResource {
    pub sid: String,
    pub account_sid: String,
    /// `queued`, `ringing`, `in-progress`, `completed`, `busy`, `failed`,
    /// `no-answer` or `canceled`.
    pub status: String,
    pub to: String,
    pub from: String,
    pub direction: String,
    pub answered_by: Option<String>,
    /// Seconds, as a string, once the call has ended.
    pub duration: Option<String>,
    pub date_created: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub uri: String,
}

impl fmt::Debug for CallResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallResource")
            .field("sid", &self.sid)
            .field("status", &self.status)
            .field("answered_by", &self.answered_by)
            .finish_non_exhaustive()
    }
}

/// The error body of the 2010-04-01 API.
#[derive(Deserialize)]
struct ErrorBody {
    code: Option<u32>,
}

/// A client for one account of the 2010-04-01 REST API.
#[derive(Clone, Debug)]
pub struct RestClient {
    pub(super) api_base: String,
    pub(super) account_sid: String,
    pub(super) auth_token: Secret,
    http: reqwest::Client,
    /// For media: redirects are followed by hand, so that the account's
    /// credentials never go to the storage host Twilio redirects to.
    pub(super) media_http: reqwest::Client,
}

impl RestClient {
    /// A client for `api_base` (`https://api.twilio.com`, or the stand-in's
    /// `http://127.0.0.1:PORT`), authenticating with the account's SID and
    /// Auth Token, or with an API key SID and secret.
    ///
    /// # Errors
    ///
    /// [`Error::Network`] when the HTTP client cannot be built (no TLS).
    pub fn new(api_base: &str, account_sid: &str, auth_token: Secret) -> Result<RestClient, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .build()
            .map_err(Error::Network)?;
        let media_http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(super::media::MEDIA_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(Error::Network)?;
        Ok(RestClient {
            api_base: api_base.trim_end_matches('/').to_string(),
            account_sid: account_sid.to_string(),
            auth_token,
            http,
            media_http,
        })
    }

    /// The base URL this client talks to.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// Sends a text (an MMS when `media_urls` is not empty). With
    /// `status_callback`, Twilio posts each later status there.
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::is_retryable`] says whether to try again.
    #[tracing::instrument(skip_all, fields(message_sid))]
    pub async fn send_message(
        &self,
        from: &str,
        to: &str,
        body: &str,
        status_callback: Option<&str>,
        media_urls: &[&str],
    ) -> Result<MessageResource, Error> {
        let mut form = vec![("To", to)];
        if let Some(url) = status_callback {
            form.push(("StatusCallback", url));
        }
        form.push(("From", from));
        form.push(("Body", body));
        form.extend(media_urls.iter().map(|url| ("MediaUrl", *url)));

        let message: MessageResource = self.post("Messages.json", &form).await?;
        tracing::Span::current().record("message_sid", message.sid.as_str());
        tracing::debug!(status = %message.status, "message accepted");
        Ok(message)
    }

    /// Places an outbound call whose TwiML Twilio fetches from `url` when
    /// it is answered. `machine_detection` is `Enable` or
    /// `DetectMessageEnd`; the final status (`completed`, `busy`,
    /// `no-answer`, …) is posted to `status_callback`.
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::is_retryable`] says whether to try again.
    #[tracing::instrument(skip_all, fields(call_sid))]
    pub async fn create_call(
        &self,
        from: &str,
        to: &str,
        url: &str,
        status_callback: Option<&str>,
        machine_detection: Option<&str>,
    ) -> Result<CallResource, Error> {
        let mut form = vec![("To", to), ("From", from), ("Method", "POST")];
        if let Some(callback) = status_callback {
            form.push(("StatusCallback", callback));
            form.push(("StatusCallbackEvent", "completed"));
        }
        if let Some(mode) = machine_detection {
            form.push(("MachineDetection", mode));
        }
        form.push(("Url", url));

        let call: CallResource = self.post("Calls.json", &form).await?;
        tracing::Span::current().record("call_sid", call.sid.as_str());
        tracing::debug!(status = %call.status, "call queued");
        Ok(call)
    }

    /// Reads a message back, for its delivery status.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown SID; otherwise see [`Error`].
    pub async fn fetch_message(&self, sid: &str) -> Result<MessageResource, Error> {
        self.get(&format!("Messages/{sid}.json")).await
    }

    /// The newest messages (one page of 50) sent from `from` to `to`:
    /// what a retry reads to learn whether an earlier attempt that died
    /// mid-request reached Twilio after all. No date filter: Twilio's
    /// `DateSent` is empty while a message is still queued.
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::is_retryable`] says whether to try again.
    pub async fn list_messages(&self, from: &str, to: &str) -> Result<Vec<MessageResource>, Error> {
        #[derive(Deserialize)]
        struct Page {
            messages: Vec<MessageResource>,
        }
        let query = [("To", to), ("From", from), ("PageSize", "50")];
        let request = self.http.get(self.url("Messages.json")).query(&query);
        let page: Page = self.send(request).await?;
        Ok(page.messages)
    }

    /// Reads a call back, for its status and `answered_by`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown SID; otherwise see [`Error`].
    pub async fn fetch_call(&self, sid: &str) -> Result<CallResource, Error> {
        self.get(&format!("Calls/{sid}.json")).await
    }

    fn url(&self, resource: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/{resource}",
            self.api_base, self.account_sid
        )
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        resource: &str,
        form: &[(&str, &str)],
    ) -> Result<T, Error> {
        let request = self.http.post(self.url(resource)).form(form);
        self.send(request).await
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, resource: &str) -> Result<T, Error> {
        self.send(self.http.get(self.url(resource))).await
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, Error> {
        let response = request
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(Error::Network)?;

        let status = response.status();
        if status.is_success() {
            return response.json().await.map_err(Error::Decode);
        }

        // The body of an error names only a code and a message that may
        // quote the number; keep the code, drop the rest.
        let code = match response.json::<ErrorBody>().await {
            Ok(body) => body.code,
            Err(_) => None,
        };
        let error = Error::from_status(status.as_u16(), code);
        tracing::debug!(status = status.as_u16(), code, "twilio refused the request");
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/twilio/rest/");
        std::fs::read_to_string(format!("{root}{name}")).expect("shared fixture")
    }

    #[test]
    fn fixture_responses_parse() {
        let message: MessageResource =
            serde_json::from_str(&fixture("messages-create.response.json")).unwrap();
        assert_eq!(message.sid, "SM70083a879e864fc25cff6400549d338d");
        assert_eq!(message.status, "queued");
        let service: MessageResource =
            serde_json::from_str(&fixture("messages-create-messaging-service.response.json"))
                .unwrap();
        assert_eq!(service.from, None);
        let call: CallResource =
            serde_json::from_str(&fixture("calls-fetch.response.json")).unwrap();
        assert_eq!(call.answered_by.as_deref(), Some("human"));
        assert_eq!(call.duration.as_deref(), Some("49"));
    }

    #[test]
    fn debug_hides_numbers_and_body() {
        let message: MessageResource =
            serde_json::from_str(&fixture("messages-create.response.json")).unwrap();
        let shown = format!("{message:?}");
        assert!(
            !shown.contains("+1512") && !shown.contains("EMERGENCY"),
            "{shown}"
        );
        let client =
            RestClient::new("http://127.0.0.1:9", "AC1", Secret::new("s3cr3t-t0ken")).unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t"));
    }
}
