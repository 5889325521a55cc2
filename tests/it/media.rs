//! Photos texted by a caller (issue 7): fetched from the stand-in with
//! the account's auth and through its redirect, kept under the data dir
//! with their SHA-256, carried by the receipt, shown on the dashboard's
//! contact page and behind the technician's signed link; a deleted photo
//! and a passing Twilio outage.

use std::time::Duration;

use jiff::SignedDuration;
use nightdesk::conversation::{slot_for_prompt, OPENING};
use nightdesk::dashboard::auth::hash_password;
use nightdesk::intake::Channel;
use nightdesk::standin::{MediaHost, MediaRequest};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::helpers::{answer, corpus, message_text, Server};

const BIRCHLINE: &str = "+16125550100";
const OWNER: &str = "owner@birchline.example";
const PASSWORD: &str = "night shift 2026";

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Bytes that look like a JPEG or a PNG and differ per photo.
fn photo(magic: &[u8], seed: u8, len: usize) -> Vec<u8> {
    let mut bytes = magic.to_vec();
    bytes.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    bytes
}

/// The newest receipt of a contact, once `done` says it is complete.
async fn receipt_when(s: &Server, contact: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        if let Some(body) = s.store().receipt(contact).await.unwrap() {
            let r: Value = serde_json::from_str(&body).unwrap();
            if done(&r) {
                return r;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let last = s.store().receipt(contact).await.unwrap();
    panic!("{contact}: the receipt never got there: {last:?}");
}

fn media_statuses(r: &Value) -> Vec<String> {
    r["issue"]["media"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|x| x["status"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Every receipt version of a contact validates against the schema.
async fn assert_valid(s: &Server, contact: &str) {
    let validator = super::sinks::schema();
    let versions = s.store().receipts_since(i64::MIN).await.unwrap();
    let mut checked = 0;
    for (_, version, body) in versions.iter().filter(|(c, _, _)| c == contact) {
        let receipt: Value = serde_json::from_str(body).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&receipt)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{contact}:{version}: {errors:?}");
        checked += 1;
    }
    assert!(checked > 1, "{contact}: {checked} versions");
}

/// The requests for one media SID, on each host.
fn requests_for(all: &[MediaRequest], url: &str) -> Vec<MediaRequest> {
    let sid = url.rsplit('/').next().unwrap();
    all.iter()
        .filter(|r| r.media_sid.as_deref() == Some(sid))
        .cloned()
        .collect()
}

/// Plays a text dialog whose first message carries `media`, answering
/// each question from the corpus case; the contact's id.
async fn text_with_photos(s: &Server, entry_id: &str, media: Vec<String>) -> String {
    let entry = corpus().into_iter().find(|e| e.id == entry_id).unwrap();
    assert_eq!(entry.channel, Channel::Sms);
    let h = &s.harness;
    h.set_scene(&entry).unwrap();
    let mut body = answer(&entry, OPENING);
    let mut media = media;
    for _ in 0..20 {
        let xml = h
            .caller
            .text(
                &entry.from,
                &entry.business,
                &body,
                std::mem::take(&mut media),
            )
            .await
            .unwrap();
        match slot_for_prompt(&message_text(&xml)) {
            Some(slot) => body = answer(&entry, slot),
            None => break,
        }
    }
    s.store()
        .latest_contact_of(&entry.from)
        .await
        .unwrap()
        .expect("the texts made a contact")
}

/// Logs in through the form; the session's `Cookie` value.
async fn login(http: &reqwest::Client, s: &Server) -> String {
    let page = http.get(s.url("/login")).send().await.unwrap();
    let set = page.headers()["set-cookie"].to_str().unwrap().to_string();
    let token = set.split(';').next().unwrap().split_once('=').unwrap().1;
    let r = http
        .post(s.url("/login"))
        .header("cookie", format!("nd_login={token}"))
        .form(&[("csrf", token), ("email", OWNER), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the owner logs in");
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("nd_session="))
        .unwrap();
    session.split(';').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mms_with_two_photos_is_fetched_with_auth_kept_and_shown() {
    let s = Server::start().await;
    let h = &s.harness;
    let jpeg = photo(&[0xff, 0xd8, 0xff, 0xe0], 7, 40_000);
    let png = photo(b"\x89PNG\r\n\x1a\n", 91, 25_000);
    let a = h.standin.add_media(
        "MM10489f473e0b36e90dad3d6bcf9fb776",
        "image/jpeg",
        jpeg.clone(),
    );
    let b = h.standin.add_media(
        "MM10489f473e0b36e90dad3d6bcf9fb776",
        "image/png",
        png.clone(),
    );

    // An emergency by text (a furnace out, an 88-year-old at home), the
    // photos with the first message.
    let contact = text_with_photos(&s, "msp-011", vec![a.clone(), b.clone()]).await;
    let r = receipt_when(&s, &contact, |r| media_statuses(r) == ["stored", "stored"]).await;
    assert_eq!(r["lane"], "emergency", "{r:#}");
    assert_eq!(r["issue"]["photos"], serde_json::json!([a, b]));

    // Each was fetched with Basic auth at the API, then without it from
    // the storage host the API redirected to; each exactly once.
    let seen = h.standin.media_requests();
    for url in [&a, &b] {
        let got: Vec<(MediaHost, bool, u16)> = requests_for(&seen, url)
            .iter()
            .map(|r| (r.host, r.authorized, r.status))
            .collect();
        assert_eq!(
            got,
            [
                (MediaHost::Api, true, 307),
                (MediaHost::Storage, false, 200)
            ],
            "{url}"
        );
    }

    // Kept under the data dir with the right bytes, type and SHA-256.
    let media = r["issue"]["media"].as_array().unwrap();
    for (m, (bytes, ext, content_type)) in media
        .iter()
        .zip([(&jpeg, "jpg", "image/jpeg"), (&png, "png", "image/png")])
    {
        let n = m["n"].as_u64().unwrap();
        let file = format!("media/{contact}/{n}.{ext}");
        assert_eq!(m["file"], file.as_str());
        assert_eq!(m["content_type"], content_type);
        assert_eq!(m["bytes"], bytes.len() as u64);
        assert_eq!(m["sha256"], hex_sha256(bytes).as_str());
        let kept = std::fs::read(h.app.data_dir.join(&file)).unwrap();
        assert!(kept == *bytes, "{file} holds other bytes");
    }
    let folder = h.app.data_dir.join("media").join(&contact);
    assert_eq!(
        std::fs::read_dir(folder).unwrap().count(),
        2,
        "no temp files left"
    );
    assert_valid(&s, &contact).await;

    // The technician's alert links the photos through nightdesk, by a
    // signed link that serves the kept file.
    let tech = r["first_alert"]["phone"].as_str().unwrap().to_string();
    let alert = h
        .standin
        .messages()
        .into_iter()
        .find(|m| m.to == tech && m.body.contains("Photos:"))
        .expect("the technician's alert names the photos");
    assert!(
        !alert.body.contains(&a),
        "the alert links Twilio: {}",
        alert.body
    );
    let links: Vec<&str> = alert
        .body
        .split_whitespace()
        .filter(|w| w.contains("/team/media?"))
        .collect();
    assert_eq!(links.len(), 2, "{}", alert.body);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let got = http.get(links[0]).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    assert!(got.bytes().await.unwrap() == jpeg);
    let forged = links[1].replace("p=1", "p=0");
    assert_eq!(http.get(&forged).send().await.unwrap().status(), 403);

    // The contact page shows both as thumbnails; each image is served to
    // the owner with its type and nosniff, and to nobody logged out.
    let hash = hash_password(PASSWORD).unwrap();
    s.store()
        .put_user(OWNER, &hash, "owner", &[BIRCHLINE.into()], 0)
        .await
        .unwrap();
    let cookie = login(&http, &s).await;
    let page = http
        .get(s.url(&format!("/contacts/{contact}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for n in 0..2 {
        let img = format!("<img src=\"/contacts/{contact}/media/{n}\"");
        assert!(html.contains(&img), "no thumbnail {n}:\n{html}");
    }
    for (n, bytes, content_type) in [(0, &jpeg, "image/jpeg"), (1, &png, "image/png")] {
        let path = format!("/contacts/{contact}/media/{n}");
        let got = http
            .get(s.url(&path))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200, "{path}");
        assert_eq!(got.headers()["content-type"], content_type);
        assert_eq!(got.headers()["x-content-type-options"], "nosniff");
        assert!(got.bytes().await.unwrap() == *bytes, "{path}");
        let anonymous = http.get(s.url(&path)).send().await.unwrap();
        assert_eq!(
            (
                anonymous.status().as_u16(),
                anonymous.headers()["location"].to_str().unwrap()
            ),
            (303, "/login"),
            "{path} logged out"
        );
    }
    for path in [
        format!("/contacts/{contact}/media/2"),
        format!("/contacts/{contact}/media/..%2F..%2Fnightdesk.db"),
        "/contacts/..%2Fmedia/media/0".to_string(),
    ] {
        let got = http
            .get(s.url(&path))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert!(
            matches!(got.status().as_u16(), 400 | 404),
            "{path}: {}",
            got.status()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_photo_gives_up_and_a_passing_outage_stores_once() {
    let s = Server::start().await;
    let h = &s.harness;
    let jpeg = photo(&[0xff, 0xd8, 0xff, 0xe0], 3, 5_000);
    let gone = h
        .standin
        .media_url("MM5a1d", "ME00000000000000000000000000000404");
    let flaky = h.standin.add_media("MM5a1d", "image/jpeg", jpeg.clone());
    h.standin.fail_media(&flaky, &[500]);

    let contact = text_with_photos(&s, "msp-011", vec![gone.clone(), flaky.clone()]).await;

    // The 404 is final at once; the 500 waits for its retry, which the
    // test brings forward by moving the clock past the backoff.
    let r = receipt_when(&s, &contact, |r| {
        media_statuses(r).first().is_some_and(|x| x == "failed")
    })
    .await;
    let note = r["issue"]["media"][0]["note"].as_str().unwrap();
    assert!(note.contains("404"), "{note}");
    let mut stored = None;
    for _ in 0..20 {
        h.app.clock.advance(SignedDuration::from_secs(5));
        let body = s.store().receipt(&contact).await.unwrap().unwrap();
        let r: Value = serde_json::from_str(&body).unwrap();
        if media_statuses(&r) == ["failed", "stored"] {
            stored = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let r = stored.expect("the photo was stored after the outage");
    assert_eq!(r["issue"]["media"][1]["sha256"], hex_sha256(&jpeg).as_str());

    // The failed attempt, then one fetch through to storage; one file.
    let seen = h.standin.media_requests();
    let got: Vec<(MediaHost, u16)> = requests_for(&seen, &flaky)
        .iter()
        .map(|r| (r.host, r.status))
        .collect();
    assert_eq!(
        got,
        [
            (MediaHost::Api, 500),
            (MediaHost::Api, 307),
            (MediaHost::Storage, 200)
        ]
    );
    let folder = h.app.data_dir.join("media").join(&contact);
    let names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["1.jpg"]);
    assert_valid(&s, &contact).await;

    // One outcome a photo, and the deleted one's job is dead, not queued.
    let events = s.store().events(&contact, "media").await.unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    let row = sqlx::query("SELECT state, last_error FROM jobs WHERE dedupe_key = $1")
        .bind(format!("media:{contact}:0"))
        .fetch_one(s.store().pool())
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>(0), "dead");
    let error: String = row.get(1);
    assert!(error.contains("404") && !error.contains("http"), "{error}");
}
