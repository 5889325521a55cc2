//! Twilio's official Python library (`twilio` from PyPI, installed by
//! `.ci/run`) as a client nightdesk did not write: its RequestValidator
//! signs a webhook that the server accepts, and the same request with one
//! byte changed is refused.

use std::process::Command;

use super::helpers::{count, parse_xml, shared, with_param, Server};

/// Signs `body` for `url` with the Python library and posts it with
/// Python's own HTTP client, `tamper` applied after signing; prints the
/// status and the answer.
const SCRIPT: &str = r#"
import sys, urllib.parse, urllib.request, urllib.error
from twilio.request_validator import RequestValidator
token, url, body, tamper = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
validator = RequestValidator(token)
signature = validator.compute_signature(url, params)
assert validator.validate(url, params, signature)
if tamper == "yes":
    params["From"] = params["From"][:-1] + ("8" if params["From"][-1] != "8" else "9")
data = urllib.parse.urlencode(params).encode()
request = urllib.request.Request(url, data=data, headers={
    "X-Twilio-Signature": signature,
    "Content-Type": "application/x-www-form-urlencoded",
})
try:
    with urllib.request.urlopen(request, timeout=10) as response:
        print(response.status)
        print(response.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)
"#;

fn python(token: &str, url: &str, body: &str, tamper: bool) -> (u16, String) {
    let out = Command::new("python3")
        .args([
            "-c",
            SCRIPT,
            token,
            url,
            body,
            if tamper { "yes" } else { "no" },
        ])
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the Python client failed (pip install twilio; .ci/run installs it):\n{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let (status, rest) = stdout.split_once('\n').unwrap_or((&stdout, ""));
    (
        status.trim().parse().expect("a status line"),
        rest.to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilios_python_library_signs_a_call_the_server_takes() {
    let s = Server::start().await;
    let body = with_param(
        &shared("twilio/webhooks/voice-incoming-call.form"),
        "To",
        "+16125550100",
    );
    let url = s.url("/twilio/voice");
    let token = s.token().to_string();

    let (forged, _) = {
        let (url, body, token) = (url.clone(), body.clone(), token.clone());
        tokio::task::spawn_blocking(move || python(&token, &url, &body, true))
            .await
            .unwrap()
    };
    assert_eq!(
        forged, 403,
        "a one-byte change after signing must be refused"
    );
    assert_eq!(count(s.store(), "contacts").await, 0);

    let (status, xml) = tokio::task::spawn_blocking(move || python(&token, &url, &body, false))
        .await
        .unwrap();
    assert_eq!(status, 200, "{xml}");
    let root = parse_xml(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    assert_eq!(root.name, "Response");
    assert!(
        root.walk().iter().any(|n| n.name == "Gather"),
        "the greeting asks a question: {xml}"
    );
    assert_eq!(count(s.store(), "contacts").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilios_python_library_signs_a_text_the_server_takes() {
    let s = Server::start().await;
    let body = with_param(
        &shared("twilio/webhooks/sms-incoming.form"),
        "To",
        "+16125550100",
    );
    let url = s.url("/twilio/sms");
    let token = s.token().to_string();
    let (status, xml) = tokio::task::spawn_blocking(move || python(&token, &url, &body, false))
        .await
        .unwrap();
    assert_eq!(status, 200, "{xml}");
    let root = parse_xml(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    assert_eq!(root.name, "Response");
    assert_eq!(count(s.store(), "contacts").await, 1);
}
