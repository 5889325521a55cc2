//! What the integration tests share: the fixtures of `../shared/data`, a
//! server on loopback with its stand-ins, signed raw webhooks, an XML
//! reader independent of nightdesk's own, and a caller that answers the
//! dialog from a corpus case.

use std::sync::Arc;

use nightdesk::config::Config;
use nightdesk::conversation::OPENING;
use nightdesk::intake::corpus::{self, Entry};
use nightdesk::replay::Harness;
use nightdesk::store::Store;
use nightdesk::twilio::signature;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use sqlx::Row;
use tempfile::TempDir;

/// The fixtures, beside the repository (see each folder's README).
pub const SHARED_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

/// A file of `../shared/data`, e.g. `calls/calls.jsonl`.
pub fn shared(relative: &str) -> String {
    let path = format!("{SHARED_DATA}/{relative}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("fixture {path} is unreadable ({e}); ../shared must sit beside the repository")
    })
}

/// Every case of the labelled call corpus, in file order.
pub fn corpus() -> Vec<Entry> {
    let entries = corpus::parse(&shared("calls/calls.jsonl")).expect("calls.jsonl parses");
    assert_eq!(entries.len(), 125, "calls/README.md counts 125 contacts");
    entries
}

/// What the case's caller says when asked for `slot`.
pub fn answer(entry: &Entry, slot: &str) -> String {
    if slot == OPENING {
        return entry.opening.clone();
    }
    entry
        .answers
        .get(slot)
        .and_then(|v| v.as_str())
        .unwrap_or("i don't know")
        .to_string()
}

/// A server with its stand-ins, on a fresh SQLite file in a temp dir that
/// lives as long as the server.
pub struct Server {
    pub harness: Harness,
    /// Kept so that the SQLite file outlives the server.
    _dir: TempDir,
}

impl Server {
    pub async fn start() -> Server {
        let dir = tempfile::tempdir().expect("a temp dir");
        let harness = Harness::start(Arc::new(Config::embedded()), dir.path(), None)
            .await
            .expect("the harness starts");
        Server { harness, _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.harness.addr)
    }

    pub fn token(&self) -> &str {
        self.harness.app.auth_token.expose()
    }

    pub fn store(&self) -> &Store {
        &self.harness.app.store
    }

    /// Signs `body` for `path` as Twilio would, with this server's token.
    pub fn sign(&self, path: &str, body: &str) -> String {
        let params = nightdesk::twilio::parse_form(body.as_bytes()).expect("a form body");
        signature::compute(self.token(), &self.url(path), &params)
    }
}

/// An answer from the server, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// Posts a form body as Twilio does, with `signature` when given and
/// `headers` besides.
pub async fn post(
    url: &str,
    body: impl Into<reqwest::Body>,
    signature: Option<&str>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = reqwest::Client::new()
        .post(url)
        .header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .header("User-Agent", "TwilioProxy/1.1")
        .body(body);
    if let Some(signature) = signature {
        request = request.header("X-Twilio-Signature", signature);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = response.text().await.expect("a readable answer");
    Answer {
        status,
        content_type,
        body,
    }
}

/// A form with the value of `name` replaced, re-encoded.
pub fn with_param(form: &str, name: &str, value: &str) -> String {
    let mut pairs = nightdesk::twilio::parse_form(form.trim().as_bytes()).expect("a form body");
    let mut found = false;
    for (k, v) in &mut pairs {
        if k == name {
            *v = value.to_string();
            found = true;
        }
    }
    assert!(found, "the form has no {name}");
    serde_urlencoded::to_string(&pairs).expect("pairs encode")
}

/// Rows in one of the store's tables.
pub async fn count(store: &Store, table: &str) -> i64 {
    let row = sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .expect("a count");
    row.try_get::<i64, _>(0).expect("an integer count")
}

/// One XML element as a strict reader sees it; independent of
/// `nightdesk::twilio::twiml_read`, which the server's tests already use.
#[derive(Debug, Default, Clone)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// This element and every element under it, depth first.
    pub fn walk(&self) -> Vec<&Node> {
        let mut all = vec![self];
        for child in &self.children {
            all.extend(child.walk());
        }
        all
    }
}

/// Parses a whole XML document: one root, balanced and matching tags,
/// no duplicate attributes, only the predefined entities.
pub fn parse_xml(xml: &str) -> Result<Node, String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut open: Vec<Node> = Vec::new();
    let mut roots: Vec<Node> = Vec::new();
    let place = |open: &mut Vec<Node>, roots: &mut Vec<Node>, node: Node| match open.last_mut() {
        Some(parent) => parent.children.push(node),
        None => roots.push(node),
    };
    loop {
        match reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.buffer_position()))?
        {
            Event::Start(start) => open.push(node(&start)?),
            Event::Empty(start) => {
                let n = node(&start)?;
                place(&mut open, &mut roots, n);
            }
            Event::End(_) => {
                let mut done = open.pop().ok_or("an end tag with nothing open")?;
                done.text = done.text.trim().to_string();
                place(&mut open, &mut roots, done);
            }
            Event::Text(text) => {
                let text = text.xml10_content();
                match open.last_mut() {
                    Some(current) => current.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(format!("text outside the root: {text:?}")),
                }
            }
            Event::GeneralRef(reference) => {
                let name = reference.xml10_content();
                let resolved = match reference.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("unknown entity &{name};"))?
                        .to_string(),
                };
                open.last_mut()
                    .ok_or("an entity outside the root")?
                    .text
                    .push_str(&resolved);
            }
            Event::CData(_) => return Err("CDATA in TwiML".into()),
            Event::Eof => break,
            _ => {}
        }
    }
    if !open.is_empty() {
        return Err(format!("unclosed <{}>", open[open.len() - 1].name));
    }
    match roots.len() {
        1 => Ok(roots.remove(0)),
        n => Err(format!("{n} root elements")),
    }
}

fn node(start: &BytesStart<'_>) -> Result<Node, String> {
    let mut attrs = Vec::new();
    for attr in start.attributes().with_checks(true) {
        let attr = attr.map_err(|e| e.to_string())?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        attrs.push((attr.key.as_ref().to_string(), value.into_owned()));
    }
    Ok(Node {
        name: start.name().as_ref().to_string(),
        attrs,
        ..Node::default()
    })
}

/// The text of the `<Message>` of an SMS reply, empty when there is none.
pub fn message_text(xml: &str) -> String {
    let root = parse_xml(xml).unwrap_or_else(|e| panic!("SMS reply is not XML ({e}): {xml}"));
    root.children
        .iter()
        .find(|c| c.name == "Message")
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

/// A fresh database on the machine's PostgreSQL server (trust auth, user
/// `postgres`; `NIGHTDESK_TEST_POSTGRES` names another server), named
/// `prefix` and a random suffix.
pub async fn fresh_postgres(prefix: &str) -> String {
    use sqlx::{Connection, Executor};
    let base = std::env::var("NIGHTDESK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!("{prefix}_{:016x}", rand::random::<u64>());
    let mut admin = sqlx::PgConnection::connect(&format!("{base}/postgres"))
        .await
        .expect("PostgreSQL is running (see .ci/run)");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("a database per test");
    format!("{base}/{name}")
}

/// Copies the bundled businesses and their geo files to `to`, for a test
/// that edits a config.
pub fn copy_data(to: &std::path::Path) {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    for sub in ["businesses", "geo"] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
        for f in std::fs::read_dir(from.join(sub)).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, to.join(sub).join(f.file_name().unwrap())).unwrap();
        }
    }
}
