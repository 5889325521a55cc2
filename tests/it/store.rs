//! The store on both of its backends: a real SQLite file in a temp dir
//! and a fresh database on the machine's PostgreSQL server. The same
//! migrations, the same answers, the same guarantees: a webhook key is
//! claimed once, a contact is updated only at the version it was read,
//! and the same calls leave the same receipts.

use std::sync::Arc;

use nightdesk::config::Config;
use nightdesk::intake::Channel;
use nightdesk::replay::Harness;
use nightdesk::store::{Claim, ContactRow, Error, Store};

use super::helpers::{corpus, count, fresh_postgres};

/// Both backends, each on fresh storage; the temp dir lives as long as
/// the SQLite store.
async fn backends() -> Vec<(&'static str, Option<String>, tempfile::TempDir)> {
    vec![
        ("sqlite", None, tempfile::tempdir().unwrap()),
        (
            "postgres",
            Some(fresh_postgres("nd_store").await),
            tempfile::tempdir().unwrap(),
        ),
    ]
}

async fn open(url: &Option<String>, dir: &tempfile::TempDir) -> Store {
    match url {
        Some(url) => Store::open(url)
            .await
            .expect("PostgreSQL opens and migrates"),
        None => Store::open_data_dir(dir.path())
            .await
            .expect("SQLite opens and migrates"),
    }
}

fn contact(id: &str) -> ContactRow {
    ContactRow {
        id: id.into(),
        business: "+16125550100".into(),
        channel: "voice".into(),
        caller: "+16125550177".into(),
        call_sid: Some(format!("CA{id}")),
        opened_at: 1_770_000_000_000,
        status: "open".into(),
        version: 1,
        state: "{}".into(),
    }
}

#[tokio::test]
async fn migrations_run_once_and_reopening_changes_nothing() {
    for (name, url, dir) in backends().await {
        let store = open(&url, &dir).await;
        let mut tx = store.begin().await.unwrap();
        tx.insert_contact(&contact("c_keep")).await.unwrap();
        tx.commit().await.unwrap();
        drop(store);

        let again = open(&url, &dir).await;
        assert_eq!(
            count(&again, "contacts").await,
            1,
            "{name}: reopening lost or repeated something"
        );
        let applied = count(&again, "_sqlx_migrations").await;
        let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
            .unwrap()
            .count();
        assert_eq!(
            applied, shipped as i64,
            "{name}: each shipped migration applied once"
        );
    }
}

#[tokio::test]
async fn a_webhook_key_is_claimed_once_and_its_answer_kept() {
    for (name, url, dir) in backends().await {
        let store = open(&url, &dir).await;
        let mut tx = store.begin().await.unwrap();
        assert!(matches!(
            tx.claim_webhook("voice:CA1:start", "voice", "+16125550100", "a=b", 1)
                .await
                .unwrap(),
            Claim::New
        ));
        tx.answer_webhook("voice:CA1:start", "<Response/>")
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.begin().await.unwrap();
        match tx
            .claim_webhook("voice:CA1:start", "voice", "+16125550100", "a=b", 2)
            .await
            .unwrap()
        {
            Claim::Seen(answer) => assert_eq!(answer.as_deref(), Some("<Response/>"), "{name}"),
            Claim::New => panic!("{name}: a key was claimed twice"),
        }
        drop(tx);

        // A transaction that rolls back leaves its key unclaimed.
        let mut tx = store.begin().await.unwrap();
        assert!(matches!(
            tx.claim_webhook("voice:CA2:start", "voice", "+16125550100", "", 3)
                .await
                .unwrap(),
            Claim::New
        ));
        drop(tx);
        let mut tx = store.begin().await.unwrap();
        assert!(
            matches!(
                tx.claim_webhook("voice:CA2:start", "voice", "+16125550100", "", 4)
                    .await
                    .unwrap(),
                Claim::New
            ),
            "{name}"
        );
        tx.commit().await.unwrap();
        assert_eq!(count(&store, "webhooks").await, 2, "{name}");
    }
}

#[tokio::test]
async fn a_contact_is_updated_only_at_the_version_it_was_read() {
    for (name, url, dir) in backends().await {
        let store = open(&url, &dir).await;
        let mut tx = store.begin().await.unwrap();
        tx.insert_contact(&contact("c_race")).await.unwrap();
        tx.commit().await.unwrap();

        let read = store.contact("c_race").await.unwrap().expect("the contact");
        let mut first = read.clone();
        first.status = "closed".into();
        let mut tx = store.begin().await.unwrap();
        tx.update_contact(&first).await.unwrap();
        tx.commit().await.unwrap();

        // A second writer that read the same version loses, and changes
        // nothing.
        let mut stale = read.clone();
        stale.state = r#"{"stale":true}"#.into();
        let mut tx = store.begin().await.unwrap();
        assert!(
            matches!(tx.update_contact(&stale).await, Err(Error::Conflict)),
            "{name}"
        );
        drop(tx);
        let now = store.contact("c_race").await.unwrap().unwrap();
        assert_eq!(
            (now.status.as_str(), now.version, now.state.as_str()),
            ("closed", 2, "{}"),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_calls_leave_the_same_receipts_on_both_backends() {
    let config = Arc::new(Config::embedded());
    // A few of each door the phone line has: calls, texts, missed calls.
    let mut picked = Vec::new();
    for channel in [Channel::Voice, Channel::Sms, Channel::MissedCall] {
        picked.extend(
            corpus()
                .into_iter()
                .filter(|e| e.channel == channel)
                .take(4),
        );
    }
    let mut results = Vec::new();
    for (name, url, dir) in backends().await {
        let h = Harness::start(config.clone(), dir.path(), url.as_deref())
            .await
            .unwrap();
        let mut lanes = Vec::new();
        for entry in &picked {
            let out = h
                .play(entry)
                .await
                .unwrap_or_else(|e| panic!("{name} {}: {e:#}", entry.id))
                .expect("replayed");
            lanes.push((
                entry.id.clone(),
                out.lane.clone(),
                out.urgency,
                out.rule.clone(),
            ));
        }
        let receipts = count(&h.app.store, "receipts").await;
        assert!(
            receipts >= picked.len() as i64,
            "{name}: {receipts} receipt versions for {} contacts",
            picked.len()
        );
        results.push((name, lanes));
    }
    assert_eq!(results[0].1, results[1].1, "SQLite and PostgreSQL disagree");
}
