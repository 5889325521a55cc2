//! `X-Twilio-Signature`: computing it (for the stand-in, which signs as
//! Twilio does) and checking it (for every webhook nightdesk receives). The
//! rules follow the official RequestValidator, port variants included, and
//! `../shared/data/twilio/signatures.json` holds the vectors that pin them.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Digest as _;
use subtle::ConstantTimeEq;

/// The HMAC behind a signature. Twilio uses SHA-1 keyed with the Auth Token
/// unless a Webhook Rule with a SharedKey asks for SHA-256.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    HmacSha1,
    HmacSha256,
}

/// The text Twilio signs: the URL exactly as requested, then each distinct
/// parameter name in byte order, each followed by each of its distinct
/// values in byte order, with no separators.
///
/// ```
/// # use nightdesk::twilio::signature::string_to_sign;
/// let params = [("b".into(), "2".into()), ("a".into(), "1".into())];
/// assert_eq!(string_to_sign("https://x.test/h?q=1", &params), "https://x.test/h?q=1a1b2");
/// ```
pub fn string_to_sign(url: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    // Sorting the pairs sorts names first and values within a name; the
    // official libraries drop exact duplicates, so do the same.
    pairs.sort_unstable();
    pairs.dedup();

    let mut text = String::from(url);
    for (name, value) in pairs {
        text.push_str(name);
        text.push_str(value);
    }
    text
}

/// The `X-Twilio-Signature` value for a form-encoded request to `url`.
pub fn compute(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    compute_with(Algorithm::HmacSha1, auth_token, url, params)
}

/// Like [`compute`], with the HMAC chosen by `algorithm`.
pub fn compute_with(
    algorithm: Algorithm,
    key: &str,
    url: &str,
    params: &[(String, String)],
) -> String {
    let text = string_to_sign(url, params);
    let mac = match algorithm {
        Algorithm::HmacSha1 => hmac_bytes::<Hmac<sha1::Sha1>>(key, &text),
        Algorithm::HmacSha256 => hmac_bytes::<Hmac<sha2::Sha256>>(key, &text),
    };
    BASE64.encode(mac)
}

fn hmac_bytes<M: Mac + hmac::digest::KeyInit>(key: &str, text: &str) -> Vec<u8> {
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key.as_bytes())
        .expect("an HMAC accepts keys of any length");
    mac.update(text.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Whether `signature` is Twilio's signature of a form-encoded request.
///
/// `url` is the public URL Twilio called, query included, byte for byte
/// (behind a proxy, the https URL, not the one the server sees). Twilio is
/// not consistent about ports, so like the official validators this also
/// accepts a signature over `url` without its port or with the scheme's
/// default port spelled out. The comparison is constant-time.
pub fn validate(auth_token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    validate_with(Algorithm::HmacSha1, auth_token, url, params, signature)
}

/// Like [`validate`], with the HMAC chosen by `algorithm`.
pub fn validate_with(
    algorithm: Algorithm,
    key: &str,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    let variants = [
        Some(url.to_string()),
        without_port(url),
        with_default_port(url),
    ];
    let mut valid = false;
    // Every variant is checked, so the time taken does not say which one
    // matched.
    for variant in variants.iter().flatten() {
        let expected = compute_with(algorithm, key, variant, params);
        valid |= bool::from(expected.as_bytes().ct_eq(signature.as_bytes()));
    }
    valid
}

/// Whether `signature` is Twilio's signature of a request with a JSON
/// body: the URL carries `bodySHA256`, the hex SHA-256 of the raw body, and
/// the signature covers the URL alone.
pub fn validate_body(auth_token: &str, url: &str, body: &[u8], signature: &str) -> bool {
    let Some(claimed) = query_value(url, "bodySHA256") else {
        return false;
    };
    let actual = hex(&sha2::Sha256::digest(body));
    let body_ok = bool::from(
        actual
            .as_bytes()
            .ct_eq(claimed.to_ascii_lowercase().as_bytes()),
    );
    let url_ok = validate(auth_token, url, &[], signature);
    body_ok & url_ok
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Where the host and optional port sit in `url`: (host start, host end,
/// authority end). Found by hand because URL parsers drop default ports,
/// and the bytes outside the authority must stay exactly as they were.
fn authority(url: &str) -> Option<(usize, usize, usize)> {
    let start = url.find("://")? + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let host_start = url[start..end].rfind('@').map_or(start, |i| start + i + 1);
    // An IPv6 literal has colons of its own; a port can only follow `]`.
    let search_from = url[host_start..end]
        .find(']')
        .map_or(host_start, |i| host_start + i);
    let host_end = match url[search_from..end].rfind(':') {
        Some(i) => search_from + i,
        None => end,
    };
    Some((host_start, host_end, end))
}

fn without_port(url: &str) -> Option<String> {
    let (_, host_end, end) = authority(url)?;
    (host_end < end).then(|| format!("{}{}", &url[..host_end], &url[end..]))
}

fn with_default_port(url: &str) -> Option<String> {
    let (_, host_end, end) = authority(url)?;
    if host_end < end {
        return None;
    }
    let port = match url.split_once("://")?.0.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    Some(format!("{}:{port}{}", &url[..end], &url[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn data(path: &str) -> String {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/twilio/");
        std::fs::read_to_string(format!("{root}{path}")).expect("shared fixture")
    }

    fn pairs(value: &Value) -> Vec<(String, String)> {
        let pairs = value.as_array().expect("params array");
        pairs
            .iter()
            .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
            .collect()
    }

    #[test]
    fn all_signature_vectors() {
        let file: Value = serde_json::from_str(&data("signatures.json")).unwrap();
        let vectors = file["vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 27);

        for v in vectors {
            let id = v["id"].as_str().unwrap();
            let token = v["auth_token"].as_str().unwrap();
            let url = v["url"].as_str().unwrap();
            let signature = v["signature"].as_str().unwrap();
            let algorithm = match v["algorithm"].as_str() {
                Some("HMAC_SHA256") => Algorithm::HmacSha256,
                _ => Algorithm::HmacSha1,
            };
            let params = pairs(&v["params"]);
            let body = v["body"].as_str().unwrap();

            let valid = if v["content_type"] == "application/json" {
                validate_body(token, url, body.as_bytes(), signature)
            } else {
                assert_eq!(
                    crate::twilio::parse_form(body.as_bytes()).unwrap(),
                    params,
                    "{id}"
                );
                validate_with(algorithm, token, url, &params, signature)
            };
            assert_eq!(valid, v["valid"].as_bool().unwrap(), "{id}");

            if let Some(expected) = v["string_to_sign"].as_str() {
                let signed = v["url_twilio_signed"].as_str().unwrap_or(url);
                assert_eq!(string_to_sign(signed, &params), expected, "{id}");
                assert_eq!(
                    compute_with(algorithm, token, signed, &params),
                    signature,
                    "{id}"
                );
            }
        }
    }

    #[test]
    fn every_webhook_fixture_validates() {
        let index: Value = serde_json::from_str(&data("webhooks/index.json")).unwrap();
        let token = index["auth_token"].as_str().unwrap();
        let fixtures = index["fixtures"].as_array().unwrap();
        assert!(fixtures.len() >= 33);

        for fixture in fixtures {
            let file = fixture["file"].as_str().unwrap();
            let url = fixture["url"].as_str().unwrap();
            let signature = fixture["x_twilio_signature"].as_str().unwrap();
            let params =
                crate::twilio::parse_form(data(&format!("webhooks/{file}")).as_bytes()).unwrap();

            assert!(validate(token, url, &params, signature), "{file}");
            assert_eq!(compute(token, url, &params), signature, "{file}");
            assert!(!validate("wrong-token", url, &params, signature), "{file}");
        }
    }

    #[test]
    fn port_variants() {
        let check = |url: &str, without: Option<&str>, with: Option<&str>| {
            assert_eq!(without_port(url).as_deref(), without, "{url}");
            assert_eq!(with_default_port(url).as_deref(), with, "{url}");
        };
        check(
            "https://h.test/a?b=c:1",
            None,
            Some("https://h.test:443/a?b=c:1"),
        );
        check("http://h.test", None, Some("http://h.test:80"));
        check("https://h.test:8443/a", Some("https://h.test/a"), None);
        check("http://u:p@h.test:80/x", Some("http://u:p@h.test/x"), None);
        check("http://[::1]:8080/x", Some("http://[::1]/x"), None);
        check("http://[::1]/x", None, Some("http://[::1]:80/x"));
    }

    #[test]
    fn signature_of_other_length_is_rejected() {
        let params = vec![("CallSid".to_string(), "CA1".to_string())];
        assert!(!validate("t", "https://h.test/", &params, ""));
        assert!(!validate("t", "https://h.test/", &params, "short"));
    }
}
