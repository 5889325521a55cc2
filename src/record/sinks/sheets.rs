//! Google Sheets: one row per receipt version, appended through the Sheets
//! API v4 with a service account.
//!
//! The account signs an RS256 JWT and trades it for an access token (RFC
//! 7523); the token is kept until shortly before it expires. Rows go in
//! with `valueInputOption=RAW`, so caller text is stored as text and never
//! parsed as a formula. Column A holds the receipt id: a retry reads that
//! column first, so a row that landed just before a timeout is not added
//! twice.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::{json, Value};

use super::{Delivery, Error, Written};

/// Where the rows go and who writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub spreadsheet_id: String,
    /// A1 notation of the table, e.g. `Receipts!A:O`.
    pub range: String,
    /// The service account's JSON key file.
    pub key_file: PathBuf,
    pub token_url: String,
    pub api_base: String,
}

pub const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const API_BASE: &str = "https://sheets.googleapis.com";
/// The audience Google expects, whatever token URL is used.
const AUDIENCE: &str = "https://oauth2.googleapis.com/token";
const SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets";
/// Refresh this long before a token expires, as google-auth does.
const REFRESH_EARLY_MS: i64 = 225_000;

/// The fields of a service-account key file nightdesk uses.
#[derive(Deserialize)]
pub struct ServiceAccount {
    pub client_email: String,
    pub private_key_id: String,
    pub private_key: String,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("private_key_id", &self.private_key_id)
            .finish_non_exhaustive()
    }
}

impl ServiceAccount {
    /// Reads a key file.
    ///
    /// # Errors
    ///
    /// [`Error::GiveUp`] when it is missing or not a key file.
    pub fn load(path: &std::path::Path) -> Result<ServiceAccount, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::GiveUp(format!("{}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| {
            Error::GiveUp(format!(
                "{}: not a service account key: {e}",
                path.display()
            ))
        })
    }

    /// The signed assertion for the token request, issued at `iat`.
    ///
    /// # Errors
    ///
    /// [`Error::GiveUp`] when the private key is unreadable.
    pub fn assertion(&self, iat: i64) -> Result<String, Error> {
        self.assertion_for(SCOPE, iat)
    }

    /// The signed assertion for a token of `scope`, issued at `iat`.
    ///
    /// # Errors
    ///
    /// [`Error::GiveUp`] when the private key is unreadable.
    pub fn assertion_for(&self, scope: &str, iat: i64) -> Result<String, Error> {
        let key = self.key()?;
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(self.private_key_id.clone());
        let claims = json!({"iss": self.client_email, "scope": scope, "aud": AUDIENCE, "iat": iat, "exp": iat + 3600});
        jsonwebtoken::encode(&header, &claims, &key)
            .map_err(|e| Error::GiveUp(format!("signing the token request: {e}")))
    }

    fn key(&self) -> Result<jsonwebtoken::EncodingKey, Error> {
        jsonwebtoken::EncodingKey::from_rsa_pem(self.private_key.as_bytes())
            .map_err(|e| Error::GiveUp(format!("the service account's private key: {e}")))
    }
}

/// Access tokens by (key file, token URL, scope), with their expiry in ms.
static TOKENS: Mutex<Option<HashMap<String, (String, i64)>>> = Mutex::new(None);

/// Which service account asks for which token, where: what a token is
/// cached under.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant<'a> {
    pub key_file: &'a std::path::Path,
    pub token_url: &'a str,
    pub scope: &'a str,
}

impl Grant<'_> {
    fn cache_key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.key_file.display(),
            self.token_url,
            self.scope
        )
    }
}

fn grant(s: &Settings) -> Grant<'_> {
    Grant {
        key_file: &s.key_file,
        token_url: &s.token_url,
        scope: SCOPE,
    }
}

async fn token(http: &reqwest::Client, s: &Settings, now_ms: i64) -> Result<String, Error> {
    access_token(http, &grant(s), now_ms).await
}

/// An access token for the grant: the cached one while it is fresh, else
/// a new one from the token endpoint (RFC 7523 JWT bearer grant).
///
/// # Errors
///
/// [`Error::Retry`] when the endpoint is unreachable or busy;
/// [`Error::GiveUp`] when the key or the grant is refused.
pub async fn access_token(
    http: &reqwest::Client,
    g: &Grant<'_>,
    now_ms: i64,
) -> Result<String, Error> {
    let cached = TOKENS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert_default()
        .get(&g.cache_key())
        .cloned();
    if let Some((token, until)) = cached {
        if now_ms < until {
            return Ok(token);
        }
    }
    let account = ServiceAccount::load(g.key_file)?;
    let assertion = account.assertion_for(g.scope, now_ms.div_euclid(1000))?;
    let form = [
        ("assertion", assertion.as_str()),
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
    ];
    let r = http
        .post(g.token_url)
        .form(&form)
        .send()
        .await
        .map_err(|e| Error::from_reqwest("google token", &e))?;
    let status = r.status();
    let hint = super::retry_after(&r);
    let body: Value = r.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let error = body["error"].as_str().unwrap_or("");
        if matches!(
            error,
            "internal_failure" | "server_error" | "temporarily_unavailable"
        ) {
            return Err(Error::retry(format!("google token: {error}")));
        }
        return Err(Error::from_status(
            &format!("google token {error}"),
            status,
            hint.as_deref(),
        ));
    }
    let token = body["access_token"]
        .as_str()
        .ok_or_else(|| Error::retry("google token: no access_token"))?
        .to_string();
    let lifetime = body["expires_in"].as_i64().unwrap_or(3600) * 1000;
    let until = now_ms + lifetime - REFRESH_EARLY_MS;
    TOKENS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert_default()
        .insert(g.cache_key(), (token.clone(), until));
    Ok(token)
}

/// Drops the grant's cached token, after the API refused it.
pub fn forget(g: &Grant<'_>) {
    TOKENS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert_default()
        .remove(&g.cache_key());
}

fn forget_token(s: &Settings) {
    forget(&grant(s));
}

/// A1 notation percent-encoded for a path segment.
///
/// ```
/// use nightdesk::record::sinks::sheets::encode_range;
/// assert_eq!(encode_range("Receipts!A:I"), "Receipts%21A%3AI");
/// assert_eq!(encode_range("'Night Receipts'!A1"), "%27Night%20Receipts%27%21A1");
/// ```
pub fn encode_range(range: &str) -> String {
    range
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The id column of the configured table: column A of its sheet.
pub fn id_column(range: &str) -> String {
    match range.rsplit_once('!') {
        Some((sheet, _)) => format!("{sheet}!A:A"),
        None => "A:A".into(),
    }
}

/// The row of a receipt: text stays text (RAW), the score a number.
pub fn row(d: &Delivery<'_>) -> Vec<Value> {
    let cells = super::csv_log::row(d.receipt);
    let urgency = super::csv_log::COLUMNS.iter().position(|c| *c == "urgency");
    cells
        .into_iter()
        .enumerate()
        .map(|(i, cell)| {
            if Some(i) == urgency {
                json!(d.receipt.urgency.score)
            } else {
                Value::String(cell)
            }
        })
        .collect()
}

/// Appends the receipt's row, after looking for its id on a retry.
///
/// # Errors
///
/// [`Error::Retry`] on no answer, 5xx, 429 or an expired token;
/// [`Error::GiveUp`] on a wrong range, sheet or key.
pub async fn append(
    http: &reqwest::Client,
    s: &Settings,
    d: &Delivery<'_>,
) -> Result<Written, Error> {
    let token = token(http, s, d.now_ms).await?;
    let base = format!(
        "{}/v4/spreadsheets/{}/values",
        s.api_base.trim_end_matches('/'),
        s.spreadsheet_id
    );
    if d.attempt > 1 && has_id(http, s, &base, &token, &d.receipt.receipt_id).await? {
        return Ok(Written::AlreadyThere);
    }
    let url = format!(
        "{base}/{}:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS",
        encode_range(&s.range)
    );
    let body = json!({"majorDimension": "ROWS", "values": [row(d)]});
    let r = http
        .post(url)
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .map_err(|e| Error::from_reqwest("sheets append", &e))?;
    check(s, &r, "sheets append")?;
    Ok(Written::New)
}

async fn has_id(
    http: &reqwest::Client,
    s: &Settings,
    base: &str,
    token: &str,
    id: &str,
) -> Result<bool, Error> {
    let url = format!("{base}/{}", encode_range(&id_column(&s.range)));
    let r = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| Error::from_reqwest("sheets lookup", &e))?;
    check(s, &r, "sheets lookup")?;
    let body: Value = r
        .json()
        .await
        .map_err(|e| Error::retry(format!("sheets lookup: {e}")))?;
    let rows = body["values"].as_array().cloned().unwrap_or_default();
    Ok(rows
        .iter()
        .any(|row| row.get(0).and_then(Value::as_str) == Some(id)))
}

fn check(s: &Settings, r: &reqwest::Response, what: &str) -> Result<(), Error> {
    let status = r.status();
    if status.is_success() {
        return Ok(());
    }
    // An expired token is the one 4xx a retry fixes: fetch a new one.
    if status == reqwest::StatusCode::UNAUTHORIZED {
        forget_token(s);
        return Err(Error::retry(format!("{what}: HTTP 401, token refreshed")));
    }
    Err(Error::from_status(
        what,
        status,
        super::retry_after(r).as_deref(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(path: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/../shared/data/google/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    /// PKCS#1 v1.5 is deterministic: the test key must sign google-auth's
    /// signing input to its signature byte for byte.
    #[test]
    fn signs_the_recorded_jwt_byte_for_byte() {
        let exchange: Value = serde_json::from_str(&shared("oauth-token.json")).unwrap();
        let account: ServiceAccount =
            serde_json::from_str(&shared("service-account/TEST-ONLY-service-account.json"))
                .unwrap();
        let jwt = &exchange["jwt"];
        let input = jwt["signing_input"].as_str().unwrap();
        let signature = jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &account.key().unwrap(),
            jsonwebtoken::Algorithm::RS256,
        )
        .unwrap();
        assert_eq!(signature, jwt["signature_b64url"].as_str().unwrap());
        assert_eq!(
            format!("{input}.{signature}"),
            jwt["assertion"].as_str().unwrap()
        );
    }

    #[test]
    fn our_assertion_verifies_with_the_public_key_and_has_googles_claims() {
        let account: ServiceAccount =
            serde_json::from_str(&shared("service-account/TEST-ONLY-service-account.json"))
                .unwrap();
        let jwt = account.assertion(1_768_378_364).unwrap();
        let public = jsonwebtoken::DecodingKey::from_rsa_pem(
            shared("service-account/TEST-ONLY-public-key.pem").as_bytes(),
        )
        .unwrap();
        let mut check = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        check.set_audience(&[AUDIENCE]);
        check.validate_exp = false;
        let got = jsonwebtoken::decode::<Value>(&jwt, &public, &check).unwrap();
        assert_eq!(
            got.header.kid.as_deref(),
            Some(account.private_key_id.as_str())
        );
        assert_eq!(got.claims["iss"], account.client_email.as_str());
        assert_eq!(
            got.claims["exp"].as_i64().unwrap() - got.claims["iat"].as_i64().unwrap(),
            3600
        );
        assert_eq!(got.claims["scope"], SCOPE);
    }

    #[test]
    fn ranges_encode_as_the_client_library_does() {
        let recorded: Value = serde_json::from_str(&shared("sheets-values-append.json")).unwrap();
        for call in recorded["calls"].as_array().unwrap() {
            let path = call["request"]["path_and_query"]
                .as_str()
                .unwrap_or_else(|| call["request"]["url"].as_str().unwrap());
            let encoded = path
                .split("/values/")
                .nth(1)
                .unwrap()
                .split(":append")
                .next()
                .unwrap();
            let range = url::form_urlencoded::parse(
                format!("r={}", encoded.replace('+', "%2B")).as_bytes(),
            )
            .next()
            .unwrap()
            .1
            .into_owned();
            assert_eq!(encode_range(&range), encoded);
        }
        assert_eq!(id_column("'Night Receipts'!A1"), "'Night Receipts'!A:A");
    }
}
