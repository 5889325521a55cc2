//! The photos a caller texts, kept. Twilio deletes media with its
//! message, so each `MediaUrl` of an MMS becomes a `media` job, queued in
//! the webhook's transaction; the job fetches the file with the account's
//! auth, writes it under the data dir as `media/CONTACT/N.EXT` (a temp
//! file, then a rename) and records what happened as a `media` event,
//! which the receipt carries. Files are found again by contact and
//! number, never by a path from a request.

use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::record::receipt::MediaRef;
use crate::server::App;
use crate::store::{self, NewJob};

/// The largest file kept. Twilio's own MMS limit is 5 MB.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// Why a media job did not finish, and whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Twilio or the disk failed for now: retry later.
    #[error("{0}")]
    Retry(String),
    /// The photo will never be fetched; the receipt says why.
    #[error("{0}")]
    GiveUp(String),
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Self {
        Error::Retry(e.to_string())
    }
}

/// The jobs that fetch `urls`, the photos of one MMS, which take places
/// `first..` in the contact's photos. Queue them in the transaction that
/// stored the photos.
pub fn jobs(contact_id: &str, first: usize, urls: &[String], now: i64) -> Vec<NewJob> {
    urls.iter()
        .enumerate()
        .map(|(i, url)| NewJob {
            dedupe_key: format!("media:{contact_id}:{}", first + i),
            kind: "media".into(),
            contact_id: contact_id.to_string(),
            payload: json!({"n": first + i, "url": url}),
            run_at: now,
        })
        .collect()
}

/// The file extension of a content type nightdesk keeps: common photo
/// formats and PDF. SVG is refused: served from the dashboard's origin,
/// its scripts would run there.
pub fn extension(content_type: &str) -> Option<&'static str> {
    Some(match content_type {
        "image/jpeg" | "image/jpg" | "image/pjpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "image/heif" => "heif",
        "image/bmp" => "bmp",
        "image/tiff" => "tiff",
        "application/pdf" => "pdf",
        _ => return None,
    })
}

/// Contact ids are made by nightdesk (`c_` and hex); anything else is
/// never made into a path.
fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `media/CONTACT/N.EXT`, relative to the data dir.
fn relative(contact_id: &str, n: usize, ext: &str) -> PathBuf {
    Path::new("media")
        .join(contact_id)
        .join(format!("{n}.{ext}"))
}

/// Fetches photo `n` of a contact from `url` and keeps it. On the last
/// try, a failure that could pass is recorded as final.
///
/// # Errors
///
/// [`Error::Retry`] for a Twilio outage, a timeout, a disk or store
/// failure; [`Error::GiveUp`] for media Twilio no longer has (404), a
/// type that is not a photo, a file past [`MAX_BYTES`] or a URL that is
/// not Twilio's. Every give-up is first recorded in the receipt.
#[tracing::instrument(skip_all, fields(contact_id = %contact_id, n = n))]
pub async fn keep(
    app: &App,
    contact_id: &str,
    n: usize,
    url: &str,
    last_try: bool,
) -> Result<(), Error> {
    if !safe_id(contact_id) {
        return Err(Error::GiveUp("contact id is not a safe file name".into()));
    }
    // A retry of a job whose attempt recorded the outcome and then died.
    if recorded(app, contact_id, n).await? {
        return Ok(());
    }
    let Some(twilio) = &app.twilio else {
        return give_up(app, contact_id, n, url, "no Twilio credentials configured").await;
    };

    let media = match twilio.fetch_media(url, MAX_BYTES).await {
        Ok(media) => media,
        Err(e) if e.is_retryable() && !last_try => return Err(Error::Retry(e.to_string())),
        Err(crate::twilio::Error::NotFound) => {
            let note = "Twilio no longer has this photo (404)";
            return give_up(app, contact_id, n, url, note).await;
        }
        Err(e) => return give_up(app, contact_id, n, url, &e.to_string()).await,
    };
    let Some(ext) = extension(&media.content_type) else {
        let note = format!("not a photo (content type {:?})", media.content_type);
        return give_up(app, contact_id, n, url, &note).await;
    };

    let file = relative(contact_id, n, ext);
    write_atomically(&app.data_dir.join(&file), &media.bytes)
        .await
        .map_err(|e| Error::Retry(format!("could not write the photo: {e}")))?;
    let sha256: String = Sha256::digest(&media.bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stored = MediaRef {
        n,
        url: url.to_string(),
        status: "stored".into(),
        file: Some(file.to_string_lossy().replace('\\', "/")),
        content_type: Some(media.content_type.clone()),
        bytes: Some(media.bytes.len() as u64),
        sha256: Some(sha256),
        note: None,
    };
    record(app, contact_id, &stored).await?;
    tracing::info!(bytes = media.bytes.len(), "photo kept");
    Ok(())
}

/// Records that photo `n` will not be fetched, then gives the job up.
async fn give_up(
    app: &App,
    contact_id: &str,
    n: usize,
    url: &str,
    note: &str,
) -> Result<(), Error> {
    let failed = MediaRef {
        n,
        url: url.to_string(),
        status: "failed".into(),
        file: None,
        content_type: None,
        bytes: None,
        sha256: None,
        note: Some(note.to_string()),
    };
    record(app, contact_id, &failed).await?;
    Err(Error::GiveUp(format!("photo {n} not fetched: {note}")))
}

/// Whether photo `n` of a contact has an outcome already.
async fn recorded(app: &App, contact_id: &str, n: usize) -> Result<bool, store::Error> {
    Ok(app
        .store
        .events(contact_id, "media")
        .await?
        .iter()
        .any(|e| e.get("n").and_then(serde_json::Value::as_u64) == Some(n as u64)))
}

/// Writes the outcome as a `media` event, once, and a new receipt
/// version when the contact has a receipt already; an open dialog's
/// first receipt reads the event when it is written.
async fn record(app: &App, contact_id: &str, outcome: &MediaRef) -> Result<(), store::Error> {
    let now = app.clock.millis();
    let mut tx = app.store.begin().await?;
    let seen = tx.events(contact_id, "media").await?;
    if seen
        .iter()
        .any(|e| e.get("n").and_then(|v| v.as_u64()) == Some(outcome.n as u64))
    {
        return tx.commit().await;
    }
    tx.event(contact_id, "media", &serde_json::to_value(outcome)?, now)
        .await?;
    let contact = tx.contact(contact_id).await?;
    let business = contact
        .as_ref()
        .filter(|c| c.status != "open")
        .and_then(|c| app.config.business(&c.business));
    if let Some(business) = business {
        crate::dispatch::escalation::rewrite_receipt(&mut tx, business, contact_id, now).await?;
    }
    tx.commit().await?;
    app.jobs_ready.notify_one();
    Ok(())
}

/// Writes `bytes` to `path` through a temp file in the same folder and a
/// rename, so a reader never sees half a photo and a retry replaces the
/// file rather than adding one.
async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = path.parent().ok_or(std::io::ErrorKind::InvalidInput)?;
    tokio::fs::create_dir_all(folder).await?;
    let name = path.file_name().ok_or(std::io::ErrorKind::InvalidInput)?;
    let temp = folder.join(format!(
        ".{}.{:016x}.tmp",
        name.to_string_lossy(),
        rand::random::<u64>()
    ));
    let written = async {
        let mut file = tokio::fs::File::create(&temp).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        tokio::fs::rename(&temp, path).await
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(&temp).await;
    }
    written
}

/// A stored photo of a contact: its content type and bytes, found by
/// contact and number through the contact's `media` events; `None` when
/// photo `n` is not (or not yet) stored.
///
/// A file gone from the disk is logged and shown as not stored.
///
/// # Errors
///
/// When the store fails.
pub async fn open(
    app: &App,
    contact_id: &str,
    n: usize,
) -> Result<Option<(String, Vec<u8>)>, store::Error> {
    if !safe_id(contact_id) {
        return Ok(None);
    }
    let events = app.store.events(contact_id, "media").await?;
    let stored = events
        .into_iter()
        .filter_map(|e| serde_json::from_value::<MediaRef>(e).ok())
        .find(|m| m.n == n && m.status == "stored");
    let Some(content_type) = stored.and_then(|m| m.content_type) else {
        return Ok(None);
    };
    // The path is made again from the ids and the type, not read back.
    let Some(ext) = extension(&content_type) else {
        return Ok(None);
    };
    let path = app.data_dir.join(relative(contact_id, n, ext));
    match tokio::fs::read(&path).await {
        Ok(bytes) => Ok(Some((content_type, bytes))),
        Err(e) => {
            tracing::warn!(contact_id, n, error = %e, "a stored photo is unreadable");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_photos_and_pdfs_are_kept() {
        assert_eq!(extension("image/jpeg"), Some("jpg"));
        assert_eq!(extension("image/png"), Some("png"));
        assert_eq!(extension("application/pdf"), Some("pdf"));
        assert_eq!(extension("image/svg+xml"), None);
        assert_eq!(extension("text/html"), None);
        assert_eq!(extension(""), None);
    }

    #[test]
    fn paths_come_from_ids_only() {
        assert!(safe_id("c_0199ab12cd34ef56"));
        assert!(!safe_id("../etc"));
        assert!(!safe_id("c/1"));
        assert!(!safe_id(""));
        assert_eq!(
            relative("c_1", 2, "jpg"),
            Path::new("media").join("c_1").join("2.jpg")
        );
    }

    #[test]
    fn one_job_per_photo_with_its_place() {
        let urls = vec!["https://a/1".to_string(), "https://a/2".to_string()];
        let jobs = jobs("c_1", 3, &urls, 0);
        let keys: Vec<&str> = jobs.iter().map(|j| j.dedupe_key.as_str()).collect();
        assert_eq!(keys, ["media:c_1:3", "media:c_1:4"]);
        assert_eq!(jobs[1].payload["n"], 4);
    }

    #[tokio::test]
    async fn a_rewrite_replaces_the_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("media").join("c_1").join("0.jpg");
        write_atomically(&path, b"first").await.unwrap();
        write_atomically(&path, b"second").await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["0.jpg"]);
    }
}
