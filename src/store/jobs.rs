//! The job queue: alerts, escalation timers and sink writes, all rows in
//! the store so that a restart neither drops nor repeats a step.
//!
//! A worker claims the oldest due job with a lease; on PostgreSQL the
//! claim skips rows another instance holds (`FOR UPDATE SKIP LOCKED`),
//! on SQLite the single writer lock serialises claims.

use sqlx::{Any, Row};

use super::{new_id, Backend, Result, Store};

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// One step is queued once: e.g. `alert:CONTACT:1`.
    pub dedupe_key: String,
    pub kind: String,
    pub contact_id: String,
    pub payload: serde_json::Value,
    /// When it is due, ms since the epoch.
    pub run_at: i64,
}

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub contact_id: String,
    pub payload: serde_json::Value,
    pub run_at: i64,
    pub attempts: i64,
}

pub(super) async fn enqueue(
    tx: &mut sqlx::Transaction<'static, Any>,
    job: &NewJob,
    now: i64,
) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO jobs (id, dedupe_key, kind, contact_id, payload, run_at, state, attempts, leased_until, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, 0, $7) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(new_id("job"))
    .bind(&job.dedupe_key)
    .bind(&job.kind)
    .bind(&job.contact_id)
    .bind(job.payload.to_string())
    .bind(job.run_at)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

impl Store {
    /// Queues a job outside any other transaction.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn enqueue(&self, job: &NewJob, now: i64) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        let fresh = enqueue(&mut tx, job, now).await?;
        tx.commit().await?;
        Ok(fresh)
    }

    /// Claims the oldest job due at `now`, leasing it for `lease_ms`. A job
    /// whose lease ran out (its worker died) is due again.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    /// With `sinks_too` false, sink writes are left for later: the outbox
    /// has no room for another, and claiming one would only put it back.
    /// A contact's sink writes run one at a time, on every instance: two
    /// versions written at once to a CRM would each find no record and
    /// each create one.
    pub async fn claim_job(&self, now: i64, lease_ms: i64, sinks_too: bool) -> Result<Option<Job>> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let kinds = if sinks_too {
            ""
        } else {
            " AND j.kind <> 'sink'"
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, leased_until = $1 \
             WHERE id = (SELECT j.id FROM jobs j \
               WHERE ((j.state = 'queued' AND j.run_at <= $2) OR (j.state = 'running' AND j.leased_until < $2)){kinds} \
               AND NOT (j.kind = 'sink' AND EXISTS (SELECT 1 FROM jobs b WHERE b.contact_id = j.contact_id \
                 AND b.kind = 'sink' AND b.state = 'running' AND b.leased_until >= $2 AND b.id <> j.id)) \
             ORDER BY j.run_at, j.id LIMIT 1{lock}) \
             RETURNING id, kind, contact_id, payload, run_at, attempts"
        );
        let row = sqlx::query(&sql)
            .bind(now + lease_ms)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let payload: String = row.try_get(3)?;
        Ok(Some(Job {
            id: row.try_get(0)?,
            kind: row.try_get(1)?,
            contact_id: row.try_get(2)?,
            payload: serde_json::from_str(&payload)?,
            run_at: row.try_get(4)?,
            attempts: row.try_get(5)?,
        }))
    }

    /// Marks a job done.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn finish_job(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE jobs SET state = 'done', done_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Puts a job back to run again at `run_at`, keeping the error.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn retry_job(&self, id: &str, run_at: i64, error: &str) -> Result<()> {
        sqlx::query("UPDATE jobs SET state = 'queued', run_at = $1, last_error = $2 WHERE id = $3")
            .bind(run_at)
            .bind(error)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Gives a job up: it stays visible as dead, with its error.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn bury_job(&self, id: &str, error: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE jobs SET state = 'dead', last_error = $1, done_at = $2 WHERE id = $3")
            .bind(error)
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// How many jobs wait, by state, for the owner's backlog view.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn job_counts(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state ORDER BY kind, state",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    /// The soonest time a queued job is due, to sleep until then.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn next_due(&self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MIN(run_at) FROM jobs WHERE state = 'queued'")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get(0)?)
    }
}
