//! A generic webhook for Zapier, Make, n8n or the owner's own code, signed
//! per Standard Webhooks (spec 1.0.0, symmetric `v1`).
//!
//! `webhook-id` is the receipt id, the same on every retry, so a receiver
//! can drop a repeat; `webhook-timestamp` is this attempt's time in Unix
//! seconds; `webhook-signature` is `v1,` and the base64 HMAC-SHA256 of
//! `id.timestamp.body` keyed with the bytes the `whsec_` secret encodes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Delivery, Error, Written};
use crate::twilio::Secret;

/// The event type of every delivery.
pub const EVENT: &str = "receipt.written";

/// The HMAC key a `whsec_…` secret stands for.
///
/// # Errors
///
/// When the text after `whsec_` is not padded standard base64.
pub fn key(secret: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD.decode(
        secret
            .trim()
            .strip_prefix("whsec_")
            .unwrap_or(secret.trim()),
    )
}

/// The `v1,…` signature of one delivery.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Whether any `v1` entry of a `webhook-signature` header matches, in
/// constant time; the stand-in receiver and the tests use it. The
/// timestamp tolerance is the receiver's to check.
pub fn verify(key: &[u8], id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    use subtle::ConstantTimeEq;
    let Ok(ts) = timestamp.parse::<i64>() else {
        return false;
    };
    if !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let expected = sign(key, id, ts, body);
    header
        .split(' ')
        .filter(|entry| entry.starts_with("v1,"))
        .any(|entry| bool::from(entry.as_bytes().ct_eq(expected.as_bytes())))
}

/// The body of a delivery: the stored receipt, byte for byte, inside the
/// envelope the spec suggests.
pub fn body(d: &Delivery<'_>) -> String {
    let at = jiff::Timestamp::from_millisecond(d.now_ms)
        .map(|t| t.to_string())
        .unwrap_or_default();
    format!(
        r#"{{"type":"{EVENT}","timestamp":"{at}","data":{}}}"#,
        d.body
    )
}

/// Posts one receipt version.
///
/// # Errors
///
/// [`Error::Retry`] on no answer, 5xx, 408 or 429 (with its
/// `Retry-After`); [`Error::GiveUp`] on a bad secret, a 410 or another
/// 4xx.
pub async fn post(
    http: &reqwest::Client,
    url: &str,
    secret: &Secret,
    d: &Delivery<'_>,
) -> Result<Written, Error> {
    let key = key(secret.expose())
        .map_err(|_| Error::GiveUp("the webhook secret is not whsec_ and base64".into()))?;
    let body = body(d);
    let timestamp = d.now_ms.div_euclid(1000);
    let id = &d.receipt.receipt_id;
    let signature = sign(&key, id, timestamp, body.as_bytes());
    let sent = http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| Error::from_reqwest("webhook", &e))?;
    if sent.status().is_success() {
        return Ok(Written::New);
    }
    Err(Error::from_status(
        "webhook",
        sent.status(),
        super::retry_after(&sent).as_deref(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors() -> Vec<Value> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/standard-webhooks/vectors.json"
        );
        let text =
            std::fs::read_to_string(path).expect("the Standard Webhooks vectors in ../shared/data");
        let all: Value = serde_json::from_str(&text).unwrap();
        all["vectors"].as_array().unwrap().clone()
    }

    fn s<'a>(v: &'a Value, name: &str) -> &'a str {
        v[name].as_str().unwrap_or("")
    }

    #[test]
    fn signs_every_vector_as_the_reference_library() {
        let mut signed = 0;
        for v in vectors() {
            let Ok(key) = key(s(&v, "signing_secret")) else {
                continue;
            };
            let Some(ts) = v["timestamp"].as_i64() else {
                continue;
            };
            assert_eq!(hex(&key), s(&v, "signing_key_hex"), "{}", s(&v, "name"));
            let got = sign(&key, s(&v, "msg_id"), ts, s(&v, "signed_body").as_bytes());
            assert_eq!(
                got,
                s(&v, "signature_by_signing_secret"),
                "{}",
                s(&v, "name")
            );
            signed += 1;
        }
        assert!(signed >= 20, "only {signed} vectors signed");
    }

    /// The signature part of each vector's verdict: a row the reference
    /// library rejects only for its timestamp still has a good signature.
    #[test]
    fn verifies_every_vector_as_the_reference_library() {
        for v in vectors() {
            let name = s(&v, "name");
            let h = |n: &str| {
                v["request_headers"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(n))
                    .and_then(|(_, v)| v.as_str())
                    .unwrap_or("")
            };
            let ts = h("webhook-timestamp");
            let key = key(s(&v, "verify_secret"));
            let good = key.is_ok_and(|k| {
                verify(
                    &k,
                    h("webhook-id"),
                    ts,
                    s(&v, "request_body").as_bytes(),
                    h("webhook-signature"),
                )
            });
            let fresh = ts
                .parse::<i64>()
                .is_ok_and(|t| (v["verify_now"].as_i64().unwrap() - t).abs() <= 300);
            let valid = v["valid"].as_bool().unwrap();
            assert_eq!(
                good && fresh,
                valid,
                "{name}: signature {good}, fresh {fresh}"
            );
        }
    }

    /// An independent implementation: the `standardwebhooks` package from
    /// PyPI verifies a delivery signed here, caller text and all.
    #[test]
    fn the_python_reference_library_accepts_our_signature() {
        let secret = format!("whsec_{}", STANDARD.encode([7u8; 32]));
        let body = r#"{"type":"receipt.written","data":{"said":"=HYPERLINK(\"x\") café ☃"}}"#;
        let ts = jiff::Timestamp::now().as_second();
        let id = "c_0193abc:2";
        let signature = sign(&key(&secret).unwrap(), id, ts, body.as_bytes());
        let script = "import sys\n\
                      try:\n    from standardwebhooks.webhooks import Webhook\n\
                      except ImportError:\n    sys.exit(3)\n\
                      body = sys.stdin.buffer.read()\n\
                      headers = {'webhook-id': sys.argv[2], 'webhook-timestamp': sys.argv[3], 'webhook-signature': sys.argv[4]}\n\
                      Webhook(sys.argv[1]).verify(body, headers)\n\
                      print('verified')";
        let mut child = std::process::Command::new("python3")
            .args(["-c", script, &secret, id, &ts.to_string(), &signature])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python3 must be installed");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_ne!(
            out.status.code(),
            Some(3),
            "the PyPI package standardwebhooks is not installed: `pip install standardwebhooks` (.ci/run installs it)"
        );
        assert!(
            out.status.success(),
            "standardwebhooks rejected our signature: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "verified");
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
