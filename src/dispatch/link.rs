//! Signed links in a technician's text: accept or pass with one tap, or
//! open a photo the caller sent, with no login. The signature is the
//! credential: an HMAC over the contact, the person (or the photo's
//! number) and the expiry, keyed with a secret only the server holds.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How long a link in a text stays good.
pub const LINK_LIFETIME_MS: i64 = 12 * 3600 * 1000;

/// How long a link to a caller's photo stays good: long enough for a
/// priority job passed on at the next opening.
pub const MEDIA_LINK_LIFETIME_MS: i64 = 48 * 3600 * 1000;

/// The key links are signed with, derived from the server's Twilio Auth
/// Token so that every instance of one deployment agrees without another
/// secret to distribute; rotating the token retires old links.
pub fn key_from(auth_token: &str) -> Vec<u8> {
    derive(auth_token, b"nightdesk technician links v1")
}

/// The key photo links are signed with (the person field holds the
/// photo's number). Another label than [`key_from`]'s, so that a photo
/// link never signs an accept, nor an accept link a photo.
pub fn media_key_from(auth_token: &str) -> Vec<u8> {
    derive(auth_token, b"nightdesk media links v1")
}

fn derive(auth_token: &str, label: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(auth_token.as_bytes()).expect("hmac takes any key");
    mac.update(label);
    mac.finalize().into_bytes().to_vec()
}

fn mac(key: &[u8], contact_id: &str, person: &str, expires_ms: i64) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("hmac takes any key");
    // Fields are separated by a byte no id contains, so no two triples
    // sign the same bytes.
    mac.update(format!("{contact_id}\n{person}\n{expires_ms}").as_bytes());
    mac
}

/// The signature of a link, URL-safe base64.
pub fn sign(key: &[u8], contact_id: &str, person: &str, expires_ms: i64) -> String {
    URL_SAFE_NO_PAD.encode(
        mac(key, contact_id, person, expires_ms)
            .finalize()
            .into_bytes(),
    )
}

/// Why a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the link's signature does not match")]
    BadSignature,
    #[error("the link has expired")]
    Expired,
}

/// Checks a link's signature (in constant time) and its expiry.
///
/// # Errors
///
/// [`Refused`] says which check failed.
pub fn verify(
    key: &[u8],
    contact_id: &str,
    person: &str,
    expires_ms: i64,
    signature: &str,
    now_ms: i64,
) -> Result<(), Refused> {
    let given = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Refused::BadSignature)?;
    mac(key, contact_id, person, expires_ms)
        .verify_slice(&given)
        .map_err(|_| Refused::BadSignature)?;
    if now_ms >= expires_ms {
        return Err(Refused::Expired);
    }
    Ok(())
}

/// The query string of a link: `c`, `p`, `e` and `s`.
pub fn query(key: &[u8], contact_id: &str, person: &str, expires_ms: i64) -> String {
    let s = sign(key, contact_id, person, expires_ms);
    serde_urlencoded::to_string([
        ("c", contact_id),
        ("p", person),
        ("e", &expires_ms.to_string()),
        ("s", &s),
    ])
    .expect("string pairs always encode")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let key = key_from("token");
        let s = sign(&key, "c_1", "dana", 1_000);
        assert_eq!(verify(&key, "c_1", "dana", 1_000, &s, 999), Ok(()));
        assert_eq!(
            verify(&key, "c_1", "dana", 1_000, &s, 1_000),
            Err(Refused::Expired)
        );
    }

    #[test]
    fn any_changed_field_breaks_the_signature() {
        let key = key_from("token");
        let s = sign(&key, "c_1", "dana", 1_000);
        for (c, p, e) in [
            ("c_2", "dana", 1_000),
            ("c_1", "luis", 1_000),
            ("c_1", "dana", 9_000),
        ] {
            assert_eq!(
                verify(&key, c, p, e, &s, 0),
                Err(Refused::BadSignature),
                "{c} {p} {e}"
            );
        }
        assert_eq!(
            verify(&key_from("other"), "c_1", "dana", 1_000, &s, 0),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            verify(&media_key_from("token"), "c_1", "dana", 1_000, &s, 0),
            Err(Refused::BadSignature),
            "an accept link's signature is no photo link's"
        );
        assert_eq!(
            verify(&key, "c_1", "dana", 1_000, "not base64!", 0),
            Err(Refused::BadSignature)
        );
    }
}
