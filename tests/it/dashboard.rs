//! The owner's dashboard against a server loaded by a corpus replay: in
//! headless Chromium (Debian's `chromium`, driven over the DevTools
//! protocol) for what an owner does and sees, and over plain HTTP for
//! the access rules. Screenshots at a phone and a desk width go to
//! `target/screenshots` and are checked to be more than a blank page.

use std::io::BufRead;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use nightdesk::dashboard::auth::hash_password;
use nightdesk::intake::corpus::Entry;
use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use super::helpers::{corpus, Server};

const OWNER: &str = "owner@birchline.example";
const PASSWORD: &str = "night shift 2026";
const BIRCHLINE: &str = "+16125550100";
const PALMETTO: &str = "+18135550100";

/// Words no page may run: each would set `window.__pwned` if it did.
const HOSTILE: &str = "water <script>window.__pwned=1</script> everywhere <img src=x onerror=\"window.__pwned=2\"> & it's \"bad\"";

/// A replayed server with an owner of Birchline and an agency user of
/// both businesses.
async fn loaded(cases: usize) -> (Server, Vec<Entry>) {
    let server = Server::start().await;
    let mut played = Vec::new();
    let mut entries: Vec<Entry> = corpus()
        .into_iter()
        .filter(|e| e.business == BIRCHLINE)
        .take(cases)
        .collect();
    let mut hostile = entries
        .iter()
        .find(|e| e.channel == nightdesk::intake::Channel::Voice)
        .expect("a voice case")
        .clone();
    hostile.id = "hostile".into();
    hostile.from = "+16125550199".into();
    hostile.opening = HOSTILE.into();
    hostile
        .answers
        .insert("name".into(), json!("<b>Bobby</b> Tables"));
    // Last and latest, so that it heads the list and the server's clock
    // ends after every other case.
    hostile.at = "2026-12-31T23:00:00-06:00".into();
    entries.extend(
        corpus()
            .into_iter()
            .filter(|e| e.business == PALMETTO)
            .take(2),
    );
    entries.push(hostile);
    for e in &entries {
        if server
            .harness
            .play(e)
            .await
            .unwrap_or_else(|err| panic!("{}: {err:#}", e.id))
            .is_some()
        {
            played.push(e.clone());
        }
    }
    let store = server.store();
    let hash = hash_password(PASSWORD).unwrap();
    store
        .put_user(OWNER, &hash, "owner", &[BIRCHLINE.into()], 0)
        .await
        .unwrap();
    store
        .put_user(
            "agency@example.com",
            &hash,
            "agency",
            &[BIRCHLINE.into(), PALMETTO.into()],
            0,
        )
        .await
        .unwrap();
    (server, played)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_reviews_contacts_marks_one_and_audits_a_draft() {
    let (server, _) = loaded(24).await;
    let base = server.url("");
    tokio::task::spawn_blocking(move || owner_session(&base))
        .await
        .expect("the browser session");
}

fn owner_session(base: &str) {
    let mut chrome = Chrome::start();
    let shots = screenshot_dir();

    // Logging in.
    chrome.goto(&format!("{base}/contacts"));
    assert!(
        chrome.url().ends_with("/login"),
        "a stranger is sent to the login page, not {}",
        chrome.url()
    );
    chrome.eval(&format!(
        "document.querySelector('#email').value = {}; document.querySelector('#password').value = {};",
        json!(OWNER),
        json!(PASSWORD)
    ));
    chrome.click_and_wait("#login");
    assert!(
        chrome.url().ends_with("/contacts"),
        "after login: {}",
        chrome.url()
    );

    // The contact list, newest first, with lanes.
    let list = chrome.text("main");
    assert!(list.contains("Contacts"), "{list}");
    let rows = chrome
        .eval("document.querySelectorAll('table.list tbody tr').length")
        .as_u64()
        .unwrap();
    assert!(rows >= 20, "{rows} rows listed");
    assert!(list.contains("emergency"), "an emergency is listed: {list}");
    assert!(
        !list.contains("+18135550100"),
        "the owner sees no other business"
    );
    chrome.screenshot(390, 844, &shots.join("contacts-phone.png"));
    chrome.screenshot(1280, 900, &shots.join("contacts-desk.png"));

    // The numbers before any mark.
    chrome.goto(&format!("{base}/numbers?days=366"));
    let before = chrome.text("#false-escalations .big");
    assert_eq!(before.trim(), "0");
    assert!(
        chrome.text("#on-call").contains("plumbing"),
        "on-call table"
    );
    assert!(
        chrome
            .eval("document.querySelectorAll('svg rect').length")
            .as_u64()
            .unwrap()
            > 0,
        "charts are drawn"
    );
    chrome.screenshot(390, 844, &shots.join("numbers-phone.png"));
    chrome.screenshot(1280, 900, &shots.join("numbers-desk.png"));

    // Opening an emergency and marking it a false escalation.
    chrome.goto(&format!("{base}/contacts"));
    chrome.eval("window.__nd = 1; [...document.querySelectorAll('table.list tbody tr')].find(r => r.querySelector('.lane-emergency')).querySelector('a').click()");
    chrome.wait("window.__nd === undefined && document.readyState === 'complete'");
    let page = chrome.text("main");
    for part in [
        "What the caller said",
        "Facts",
        "Urgency",
        "Route",
        "Messages",
        "Handoff",
        "Your verdict",
    ] {
        assert!(page.contains(part), "the contact page shows {part}: {page}");
    }
    chrome.screenshot(390, 844, &shots.join("contact-phone.png"));
    chrome.screenshot(1280, 900, &shots.join("contact-desk.png"));
    chrome.eval("document.querySelector('input[value=false_escalation]').checked = true; document.querySelector('#note').value = 'a dripping tap, <not> urgent';");
    chrome.click_and_wait("#save-mark");
    let marked = chrome.text("#mark");
    assert!(
        marked.contains("false escalation") && marked.contains("a dripping tap, <not> urgent"),
        "{marked}"
    );
    chrome.goto(&format!("{base}/numbers?days=366"));
    assert_eq!(
        chrome.text("#false-escalations .big").trim(),
        "1",
        "the number counts the mark"
    );

    // The hostile caller's words show as text and run nothing.
    chrome.goto(&format!("{base}/contacts"));
    chrome.click_and_wait("table.list tbody tr a");
    let words = chrome.text("#words");
    assert!(
        words.contains("<script>window.__pwned=1</script>"),
        "the newest contact is the hostile one, its words as text: {words}"
    );
    assert!(chrome.text("h1").contains("<b>Bobby</b> Tables"));
    assert_eq!(chrome.eval("typeof window.__pwned"), json!("undefined"));
    assert_eq!(
        chrome.eval("document.querySelectorAll('main script, main img, main b').length"),
        json!(0)
    );

    // A draft that sends emergencies to the priority lane.
    chrome.goto(&format!("{base}/audit?days=366"));
    chrome.eval("const t = document.querySelector('#draft'); t.value = t.value.replace('lane = \"emergency\"', 'lane = \"priority\"');");
    chrome.click_and_wait("#run-audit");
    let changes = chrome.text("#changes");
    assert!(changes.contains("would change lane"), "{changes}");
    let changed = chrome
        .eval("document.querySelectorAll('#changes tr.changed').length")
        .as_u64()
        .unwrap();
    assert!(changed > 0, "{changes}");
    let first = chrome.text("#changes tr.changed");
    assert!(
        first.contains("emergency") && first.contains("priority"),
        "side by side: {first}"
    );
    chrome.screenshot(390, 844, &shots.join("audit-phone.png"));
    chrome.screenshot(1280, 900, &shots.join("audit-desk.png"));

    // A draft with a typo shows its problem in place.
    chrome.eval("const t = document.querySelector('#draft'); t.value = t.value.replace('lane = \"priority\"', 'lane = \"emergncy\"');");
    chrome.click_and_wait("#run-audit");
    let problems = chrome.text("#problems");
    assert!(
        problems.contains("unknown lane \"emergncy\"") && problems.contains("draft:"),
        "{problems}"
    );
    assert!(
        chrome
            .eval("document.querySelector('#draft').value")
            .as_str()
            .unwrap()
            .contains("emergncy"),
        "the draft is kept"
    );

    for shot in std::fs::read_dir(&shots).unwrap() {
        assert_not_blank(&shot.unwrap().path());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_is_per_business_with_csrf_and_limited_logins() {
    let (server, _) = loaded(3).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Every page but the login page wants a session.
    for path in ["/contacts", "/numbers", "/audit", "/worth"] {
        let r = http.get(server.url(path)).send().await.unwrap();
        assert_eq!(
            (
                r.status().as_u16(),
                r.headers()["location"].to_str().unwrap()
            ),
            (303, "/login"),
            "{path}"
        );
    }

    let owner = login(&http, &server, OWNER, PASSWORD)
        .await
        .expect("the owner logs in");
    let agency = login(&http, &server, "agency@example.com", PASSWORD)
        .await
        .expect("the agency user logs in");

    // The session cookie is HttpOnly and strict.
    let (cookie, set_cookie) = owner;
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    assert!(!set_cookie.contains("Secure"), "http in tests: not Secure");

    let palmetto = server
        .store()
        .listed_contacts(PALMETTO, 0, i64::MAX, 1, 0)
        .await
        .unwrap()
        .remove(0)
        .id;
    let get = |cookie: String, path: String| {
        let http = http.clone();
        let url = server.url(&path);
        async move { http.get(url).header("cookie", cookie).send().await.unwrap() }
    };
    assert_eq!(
        get(cookie.clone(), format!("/contacts/{palmetto}"))
            .await
            .status(),
        404,
        "an owner cannot open another business's contact"
    );
    assert_eq!(
        get(cookie.clone(), format!("/numbers?b=%2B18135550100"))
            .await
            .status(),
        403
    );
    assert_eq!(
        get(agency.0.clone(), format!("/contacts/{palmetto}"))
            .await
            .status(),
        200,
        "the agency user was given Palmetto"
    );

    // A form without the session's token changes nothing.
    let birch = server
        .store()
        .listed_contacts(BIRCHLINE, 0, i64::MAX, 1, 0)
        .await
        .unwrap()
        .remove(0)
        .id;
    let r = http
        .post(server.url(&format!("/contacts/{birch}/mark")))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", "forged"),
            ("kind", "false_escalation"),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(server.store().mark(&birch).await.unwrap().is_none());

    // /metrics carries the same numbers, labelled by business id.
    let metrics = http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("# TYPE nightdesk_false_escalations gauge"),
        "{metrics}"
    );
    assert!(
        metrics.contains("nightdesk_contacts{business=\"birchline\"}"),
        "{metrics}"
    );

    // Five wrong passwords, then even the right one waits.
    for _ in 0..5 {
        assert!(login(&http, &server, OWNER, "wrong password")
            .await
            .is_none());
    }
    let r = login_response(&http, &server, OWNER, PASSWORD).await;
    assert_eq!(r.status(), 429);
}

async fn login_response(
    http: &reqwest::Client,
    server: &Server,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let page = http.get(server.url("/login")).send().await.unwrap();
    let set = page.headers()["set-cookie"].to_str().unwrap().to_string();
    let token = set
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string();
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("value=\"{token}\"")),
        "the form carries the cookie's token"
    );
    http.post(server.url("/login"))
        .header("cookie", format!("nd_login={token}"))
        .form(&[
            ("csrf", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// Logs in; the session's `Cookie` value and its `Set-Cookie` header.
async fn login(
    http: &reqwest::Client,
    server: &Server,
    email: &str,
    password: &str,
) -> Option<(String, String)> {
    let r = login_response(http, server, email, password).await;
    if r.status() != 303 {
        return None;
    }
    let set = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("nd_session="))?;
    Some((set.split(';').next().unwrap().to_string(), set))
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A screenshot shows a page, not a blank: many colours, none covering
/// almost everything.
fn assert_not_blank(path: &Path) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let step = info.color_type.samples();
    let mut counts = std::collections::HashMap::new();
    for px in bytes.chunks(step) {
        *counts.entry(px[..3.min(step)].to_vec()).or_insert(0usize) += 1;
    }
    let pixels = bytes.len() / step;
    let most = counts.values().max().copied().unwrap_or(0);
    assert!(
        counts.len() >= 16,
        "{}: only {} colours",
        path.display(),
        counts.len()
    );
    assert!(
        most * 100 < pixels * 97,
        "{}: one colour covers {most} of {pixels} pixels",
        path.display()
    );
}

/// Chromium, headless, driven over the DevTools protocol on loopback.
struct Chrome {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next: u64,
    _profile: tempfile::TempDir,
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Chrome {
    fn start() -> Chrome {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-quic",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium runs (apt-get install -y chromium)");

        // Chromium says where its DevTools socket is on standard error; the
        // rest of its chatter is drained so that it never blocks on a pipe.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("chromium opened its DevTools socket");
        let (ws, _) = tungstenite::connect(url.as_str()).expect("a DevTools connection");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        }
        let mut chrome = Chrome {
            child,
            ws,
            session: String::new(),
            next: 0,
            _profile: profile,
        };
        let target = chrome.call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = chrome.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        chrome.session = attached["sessionId"].as_str().unwrap().to_string();
        chrome.call("Page.enable", json!({}));
        chrome
    }

    /// Sends one command and waits for its answer, skipping events.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let mut msg = json!({"id": self.next, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap();
        loop {
            let Message::Text(text) = self.ws.read().unwrap_or_else(|e| panic!("{method}: {e}"))
            else {
                continue;
            };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["id"] == json!(self.next) {
                assert!(v.get("error").is_none(), "{method}: {}", v["error"]);
                return v["result"].clone();
            }
        }
    }

    fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(
            r.get("exceptionDetails").is_none(),
            "{js}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    fn wait(&mut self, condition: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.eval(condition) != json!(true) {
            assert!(Instant::now() < deadline, "waited 20 s for {condition}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn goto(&mut self, url: &str) {
        self.eval("window.__nd = 1");
        self.call("Page.navigate", json!({"url": url}));
        self.wait("window.__nd === undefined && document.readyState === 'complete'");
    }

    fn click_and_wait(&mut self, selector: &str) {
        self.eval(&format!(
            "window.__nd = 1; document.querySelector({}).click()",
            json!(selector)
        ));
        self.wait("window.__nd === undefined && document.readyState === 'complete'");
    }

    fn url(&mut self) -> String {
        self.eval("location.href")
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    fn text(&mut self, selector: &str) -> String {
        let js = format!(
            "(document.querySelector({}) || {{innerText: ''}}).innerText",
            json!(selector)
        );
        self.eval(&js).as_str().unwrap_or("").to_string()
    }

    fn screenshot(&mut self, width: u32, height: u32, path: &Path) {
        let metrics = json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600});
        self.call("Emulation.setDeviceMetricsOverride", metrics);
        // Let the page lay itself out at the new width before the capture;
        // otherwise the shot shows the old layout scaled into the new size.
        let frames =
            "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))";
        self.call(
            "Runtime.evaluate",
            json!({"expression": frames, "awaitPromise": true}),
        );
        let clip = json!({"x": 0, "y": 0, "width": width, "height": height, "scale": 1});
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "clip": clip}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}
