//! The outbox: one job per (receipt version, sink), queued in the same
//! transaction that writes the version, and run apart from the calls.
//!
//! The job worker hands each claimed sink job to [`start`], which runs
//! the write on its own task (a few at a time per store) and returns at
//! once, so a sink that hangs until its timeout never holds up a text to
//! a technician. A failed write comes back after an exponential backoff
//! with jitter (or the sink's `Retry-After`); past the sink's maximum age,
//! or on a failure no retry can fix, the job is left dead and visible.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tracing::{info, instrument, warn};

use super::sinks::{self, Delivery, Error, Written};
use super::Receipt;
use crate::config::Business;
use crate::server::App;
use crate::store::{self, Job, NewJob};

/// Sink writes in flight at once, per store.
const SLOTS: usize = 8;
/// The first retry waits this long; each next one twice as long.
const FIRST_BACKOFF_MS: i64 = 2_000;
/// No retry waits longer than this (before jitter).
const MAX_BACKOFF_MS: i64 = 3_600_000;

/// The sink jobs of one receipt version, one per sink the business has.
/// The dedupe key makes queuing the same version twice a no-op.
pub fn jobs(
    business: &Business,
    contact_id: &str,
    receipt_id: &str,
    version: i64,
    now: i64,
) -> Vec<NewJob> {
    business
        .sinks
        .iter()
        .map(|sink| NewJob {
            dedupe_key: format!("sink:{}:{receipt_id}", sink.name),
            kind: "sink".into(),
            contact_id: contact_id.to_string(),
            payload: json!({"sink": sink.name, "business": business.number, "receipt_id": receipt_id, "version": version, "queued_at": now}),
            run_at: now,
        })
        .collect()
}

/// How long to wait before attempt `attempts + 1`: doubling from 2 s,
/// capped at an hour, plus up to a quarter more at random so that many
/// jobs failed by one outage do not all come back in the same instant.
/// A sink's own `Retry-After` is waited out in full.
pub fn backoff_ms(attempts: i64, retry_after: Option<Duration>) -> i64 {
    let doubling = FIRST_BACKOFF_MS.saturating_mul(1 << attempts.clamp(1, 30).saturating_sub(1));
    let base = doubling.min(MAX_BACKOFF_MS);
    let jitter = rand::random::<u32>() as i64 % (base / 4 + 1);
    let asked = retry_after.map_or(0, |d| d.as_millis() as i64);
    (base + jitter).max(asked)
}

/// Writes in flight for one store, keyed by its data folder.
struct Slots {
    free: Arc<Semaphore>,
    busy: AtomicUsize,
    idle: Notify,
    /// Jobs being written now. A job whose lease ran out while its write
    /// is still under way here (a clock moved forward, a sink slower than
    /// the lease) is claimed again; it must not be written twice.
    running: Mutex<HashSet<String>>,
}

static ALL_SLOTS: Mutex<Option<HashMap<PathBuf, Arc<Slots>>>> = Mutex::new(None);

fn slots(app: &App) -> Arc<Slots> {
    let mut all = ALL_SLOTS.lock().unwrap();
    all.get_or_insert_default()
        .entry(app.data_dir.clone())
        .or_insert_with(|| {
            Arc::new(Slots {
                free: Arc::new(Semaphore::new(SLOTS)),
                busy: AtomicUsize::new(0),
                idle: Notify::new(),
                running: Mutex::new(HashSet::new()),
            })
        })
        .clone()
}

/// Counts a write in flight until dropped, even if its task is cancelled.
struct Busy {
    slots: Arc<Slots>,
    job_id: String,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.slots
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.job_id);
        self.slots.busy.fetch_sub(1, Ordering::SeqCst);
        self.slots.idle.notify_waiters();
    }
}

/// Whether a sink write could start now. The worker claims no sink job
/// while every slot is busy (a finished write wakes it), so that a long
/// outage does not turn into claiming and putting back the same jobs.
pub fn has_room(app: &App) -> bool {
    slots(app).free.available_permits() > 0
}

/// Runs a claimed sink job on its own task and returns at once. When all
/// slots are busy the job goes back to the queue for a moment, its
/// attempt not counted.
///
/// # Errors
///
/// When the store cannot be reached to put the job back.
pub async fn start(app: &App, job: Job) -> Result<bool, store::Error> {
    let slots = slots(app);
    let already = !slots
        .running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(job.id.clone());
    if already {
        // The write under way settles the job; look again after it.
        app.store
            .defer_job(&job.id, app.clock.millis() + 1_000)
            .await?;
        return Ok(true);
    }
    let Ok(permit) = slots.free.clone().try_acquire_owned() else {
        slots
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&job.id);
        let later = app.clock.millis() + 200 + rand::random::<u32>() as i64 % 300;
        app.store.defer_job(&job.id, later).await?;
        return Ok(true);
    };
    slots.busy.fetch_add(1, Ordering::SeqCst);
    let busy = Busy {
        slots,
        job_id: job.id.clone(),
        _permit: permit,
    };
    let app = app.clone();
    tokio::spawn(async move {
        let _busy = busy;
        if let Err(e) = run(&app, &job).await {
            // The lease runs out and the job is claimed again.
            warn!(job_id = %job.id, error = %e, "sink job could not be settled in the store");
        }
    });
    Ok(true)
}

/// Waits until no sink write of this app is in flight: what a test does
/// after [`crate::dispatch::worker::run_one`] to see the job's outcome.
pub async fn settle(app: &App) {
    let slots = slots(app);
    loop {
        let idle = slots.idle.notified();
        tokio::pin!(idle);
        idle.as_mut().enable();
        if slots.busy.load(Ordering::SeqCst) == 0 {
            return;
        }
        idle.await;
    }
}

/// One attempt and its bookkeeping: done, back to the queue, or dead.
#[instrument(skip_all, fields(job_id = %job.id, contact_id = %job.contact_id, sink, attempt = job.attempts))]
async fn run(app: &App, job: &Job) -> Result<(), store::Error> {
    let sink_name = job.payload["sink"].as_str().unwrap_or("");
    tracing::Span::current().record("sink", sink_name);
    let outcome = attempt(app, job).await;
    let now = app.clock.millis();
    match outcome {
        Ok(written) => {
            let mut tx = app.store.begin().await?;
            let note = json!({
                "sink": sink_name, "receipt_id": job.payload["receipt_id"], "attempt": job.attempts,
                "written": if written == Written::New { "new" } else { "already_there" },
            });
            tx.event(&job.contact_id, "sink", &note, now).await?;
            tx.commit().await?;
            app.store.finish_job(&job.id, now).await?;
            info!("receipt written to sink");
        }
        Err(Error::Retry { what, after }) => {
            let queued_at = job.payload["queued_at"].as_i64().unwrap_or(now);
            let max_age = sink_of(app, job).map_or(sinks::DEFAULT_MAX_AGE, |s| s.max_age);
            if now - queued_at > max_age.as_millis() as i64 {
                tracing::error!(error = %what, "sink job past its maximum age, given up");
                app.store
                    .bury_job(
                        &job.id,
                        &format!("{what}; gave up after {} h", max_age.as_secs() / 3600),
                        now,
                    )
                    .await?;
            } else {
                warn!(error = %what, "sink write failed, will retry");
                app.store
                    .retry_job(&job.id, now + backoff_ms(job.attempts, after), &what)
                    .await?;
            }
        }
        Err(Error::GiveUp(what)) => {
            tracing::error!(error = %what, "sink write given up");
            app.store.bury_job(&job.id, &what, now).await?;
        }
    }
    app.jobs_ready.notify_one();
    Ok(())
}

fn sink_of(app: &App, job: &Job) -> Option<sinks::Sink> {
    let name = job.payload["sink"].as_str()?;
    let number = job.payload["business"].as_str().map(str::to_string);
    let business = match number {
        Some(n) => app.config.business(&n)?,
        None => app
            .config
            .businesses
            .iter()
            .find(|b| b.sinks.iter().any(|s| s.name == name))?,
    };
    business.sinks.iter().find(|s| s.name == name).cloned()
}

async fn attempt(app: &App, job: &Job) -> Result<Written, Error> {
    let version = job.payload["version"].as_i64().unwrap_or(0);
    let name = job.payload["sink"].as_str().unwrap_or("");
    let store_err = |e: store::Error| Error::retry(e.to_string());
    let body = app
        .store
        .receipt_version(&job.contact_id, version)
        .await
        .map_err(store_err)?;
    let body = body
        .ok_or_else(|| Error::GiveUp(format!("receipt version {version} is not in the store")))?;
    let receipt: Receipt = serde_json::from_str(&body)
        .map_err(|e| Error::GiveUp(format!("stored receipt unreadable: {e}")))?;
    let business = app
        .config
        .business(&receipt.business.number)
        .ok_or_else(|| Error::GiveUp("the receipt's business is no longer configured".into()))?;
    let sink = business.sinks.iter().find(|s| s.name == name);
    let sink =
        sink.ok_or_else(|| Error::GiveUp(format!("the business has no sink named {name:?}")))?;
    let delivery = Delivery {
        receipt: &receipt,
        body: &body,
        attempt: job.attempts,
        now_ms: app.clock.millis(),
        data_dir: &app.data_dir,
    };
    sinks::deliver(sink, &delivery).await
}

/// Sink jobs not yet done, by sink and state, with the oldest error: the
/// backlog an owner or installer looks at.
///
/// # Errors
///
/// When the store cannot be reached.
pub async fn backlog(store: &store::Store) -> Result<Vec<Value>, store::Error> {
    let rows = store.sink_backlog().await?;
    Ok(rows
        .into_iter()
        .map(|b| json!({"sink": b.sink, "state": b.state, "jobs": b.jobs, "max_attempts": b.max_attempts, "last_error": b.last_error}))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after() {
        for attempts in 1..=12 {
            let base = (FIRST_BACKOFF_MS << (attempts - 1)).min(MAX_BACKOFF_MS);
            for _ in 0..50 {
                let wait = backoff_ms(attempts, None);
                assert!(
                    wait >= base && wait <= base + base / 4,
                    "attempt {attempts}: {wait}"
                );
            }
        }
        assert!(backoff_ms(40, None) <= MAX_BACKOFF_MS + MAX_BACKOFF_MS / 4);
        assert!(backoff_ms(1, Some(Duration::from_secs(30))) >= 30_000);
    }
}
