//! The Twilio edge: webhook signatures, TwiML writing and reading, and the
//! REST client for texts, calls and the media of an MMS. Everything that knows Twilio's wire
//! format lives here, so the pipeline stages only ever see plain values.

mod error;
pub mod media;
pub mod rest;
pub mod signature;
pub mod twiml;
pub mod twiml_read;

pub use error::{Error, Secret};
pub use media::Media;
pub use rest::{CallResource, MessageResource, RestClient};
pub use twiml::{Dial, Gather, MessagingResponse, Record, VoiceResponse};
pub use twiml_read::Element;

/// Decodes an `application/x-www-form-urlencoded` body as Twilio sends it,
/// keeping every pair in body order, repeated and empty ones included,
/// because the signature covers all of them.
///
/// # Errors
///
/// [`Error::Form`] when the body is not valid UTF-8 after decoding.
///
/// ```
/// # use nightdesk::twilio::parse_form;
/// let pairs = parse_form(b"From=%2B15125550100&Body=hi+there&Body=").unwrap();
/// assert_eq!(pairs[0], ("From".to_string(), "+15125550100".to_string()));
/// assert_eq!(pairs[1].1, "hi there");
/// assert_eq!(pairs[2].1, "");
/// ```
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, Error> {
    serde_urlencoded::from_bytes(body).map_err(|_| Error::Form)
}
