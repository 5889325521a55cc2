//! Who may see the dashboard: argon2 password hashes, session cookies
//! whose token is kept only as a hash, a CSRF token per session carried
//! back by every form, and failed logins counted per email and per
//! address so that guessing is slow.

use std::net::SocketAddr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Error;
use crate::server::App;
use crate::store::UserRow;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "nd_session";
/// The cookie that carries the login form's CSRF token before any session.
pub const LOGIN_COOKIE: &str = "nd_login";
/// How long a session lasts: a week of nights.
pub const SESSION_MS: i64 = 7 * 24 * 3600 * 1000;
/// The window over which failed logins are counted.
pub const LOGIN_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failed logins allowed per email in the window.
pub const MAX_FAILS_PER_EMAIL: i64 = 5;
/// Failed logins allowed per address in the window.
pub const MAX_FAILS_PER_IP: i64 = 20;

/// Hashes a password with argon2id and a fresh salt.
///
/// # Errors
///
/// Only when argon2 refuses its own parameters, which it never should.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A fresh random token, safe in a cookie or a form field.
pub fn new_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What the store keeps of a session token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a form's token is the expected one, in constant time.
pub fn csrf_ok(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly and SameSite=Strict always, Secure
/// when the dashboard is reached over https.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age_s: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; Max-Age={max_age_s}; HttpOnly; SameSite=Strict{secure}")
}

/// Whether cookies must be Secure: the public URL is https.
pub fn secure(app: &App) -> bool {
    app.public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
}

/// Whether another login may be tried, given the failures counted in the
/// window for the email and for the address (`None` when unknown).
pub fn may_try(fails_by_email: i64, fails_by_ip: Option<i64>) -> bool {
    fails_by_email < MAX_FAILS_PER_EMAIL && fails_by_ip.is_none_or(|n| n < MAX_FAILS_PER_IP)
}

/// The address a request came from, when the server was started with
/// connection info.
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(ClientIp(ip))
    }
}

/// A signed-in user, taken from the session cookie. A handler that asks
/// for one refuses everyone else (a redirect to the login page).
#[derive(Clone)]
pub struct Session {
    pub user: UserRow,
    pub csrf: String,
    pub token_hash: String,
}

impl Session {
    /// Whether the user may see this business.
    pub fn may_see(&self, business: &str) -> bool {
        self.user.businesses.iter().any(|b| b == business)
    }

    /// Refuses a form whose CSRF token is not this session's.
    ///
    /// # Errors
    ///
    /// `Error::Csrf` when the token is missing or wrong.
    pub fn check_csrf(&self, given: &str) -> Result<(), Error> {
        if csrf_ok(&self.csrf, given) {
            Ok(())
        } else {
            Err(Error::Csrf)
        }
    }
}

impl FromRequestParts<App> for Session {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(Error::LoginNeeded)?;
        let hash = token_hash(token);
        let session = app
            .store
            .session(&hash, app.clock.millis())
            .await?
            .ok_or(Error::LoginNeeded)?;
        let user = app
            .store
            .user(&session.user_id)
            .await?
            .ok_or(Error::LoginNeeded)?;
        Ok(Session {
            user,
            csrf: session.csrf,
            token_hash: hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct hors", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(
            hash,
            hash_password("correct horse").unwrap(),
            "each hash has its own salt"
        );
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        let t = new_token();
        assert_eq!(t.len(), 43);
        assert!(csrf_ok(&t, &t));
        assert!(!csrf_ok(&t, ""));
        assert!(!csrf_ok(&t, &t[..42]));
        assert!(
            !csrf_ok("", ""),
            "a session without a token accepts nothing"
        );
        assert_ne!(new_token(), new_token());
    }

    #[test]
    fn only_the_hash_of_a_token_is_kept() {
        let t = new_token();
        assert_eq!(token_hash(&t).len(), 64);
        assert_ne!(token_hash(&t), t);
        assert_eq!(token_hash(&t), token_hash(&t));
    }

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; nd_session=abc".parse().unwrap());
        h.append(header::COOKIE, "nd_login=xyz".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, LOGIN_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "nd"), None);
    }

    #[test]
    fn session_cookies_are_strict_and_secure_over_https() {
        let c = set_cookie(SESSION_COOKIE, "t", "/", 60, true);
        assert_eq!(
            c,
            "nd_session=t; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!set_cookie(SESSION_COOKIE, "t", "/", 60, false).contains("Secure"));
    }

    #[test]
    fn logins_are_limited_per_email_and_per_address() {
        assert!(may_try(0, None));
        assert!(may_try(MAX_FAILS_PER_EMAIL - 1, Some(MAX_FAILS_PER_IP - 1)));
        assert!(!may_try(MAX_FAILS_PER_EMAIL, Some(0)));
        assert!(!may_try(0, Some(MAX_FAILS_PER_IP)));
        assert!(
            may_try(0, None),
            "an unknown address is not one shared bucket"
        );
    }
}
