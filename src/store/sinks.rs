//! What the record stage asks of the store: the sink jobs' backlog, a
//! sink job put back without counting an attempt, delivery statuses that
//! only move forward, and receipts by filter for the command line.

use sqlx::Row;

use super::{Result, Store, Tx};

/// Sink jobs of one sink in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkBacklog {
    pub sink: String,
    pub state: String,
    pub jobs: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
}

/// Which receipts to list.
#[derive(Debug, Clone, Default)]
pub struct ReceiptFilter {
    /// Written at or after, ms since the epoch.
    pub since: Option<i64>,
    pub lane: Option<String>,
    /// The business's called number.
    pub business: Option<String>,
    pub limit: i64,
}

/// How far along a text's delivery status is; a callback that arrives
/// late with an earlier status does not undo a later one.
fn progress(status: &str) -> i32 {
    match status {
        "accepted" | "scheduled" | "queued" => 1,
        "sending" => 2,
        "sent" => 3,
        "delivered" | "undelivered" | "failed" | "canceled" => 4,
        "read" => 5,
        _ => 0,
    }
}

impl Store {
    /// Puts a claimed job back to run at `run_at` without counting the
    /// claim as an attempt (no slot was free to run it).
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn defer_job(&self, id: &str, run_at: i64) -> Result<()> {
        sqlx::query("UPDATE jobs SET state = 'queued', run_at = $1, attempts = attempts - 1 WHERE id = $2 AND state = 'running'")
            .bind(run_at)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Sink jobs by sink and state: how many, the most attempts any has
    /// made, and one recent error. The sink's name is the second part of
    /// the dedupe key (`sink:NAME:RECEIPT`).
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn sink_backlog(&self) -> Result<Vec<SinkBacklog>> {
        let rows = sqlx::query("SELECT dedupe_key, state, attempts, last_error FROM jobs WHERE kind = 'sink' ORDER BY created_at")
            .fetch_all(self.pool())
            .await?;
        let mut out: Vec<SinkBacklog> = Vec::new();
        for r in &rows {
            let key: String = r.try_get(0)?;
            let sink = key.split(':').nth(1).unwrap_or("").to_string();
            let state: String = r.try_get(1)?;
            let attempts: i64 = r.try_get(2)?;
            let error: Option<String> = r.try_get(3)?;
            match out.iter_mut().find(|b| b.sink == sink && b.state == state) {
                Some(b) => {
                    b.jobs += 1;
                    b.max_attempts = b.max_attempts.max(attempts);
                    b.last_error = error.or(b.last_error.take());
                }
                None => out.push(SinkBacklog {
                    sink,
                    state,
                    jobs: 1,
                    max_attempts: attempts,
                    last_error: error,
                }),
            }
        }
        out.sort_by(|a, b| (&a.sink, &a.state).cmp(&(&b.sink, &b.state)));
        Ok(out)
    }

    /// The newest version of each contact's receipt that passes the
    /// filter, newest first, as stored JSON.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn find_receipts(&self, f: &ReceiptFilter) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT r.body FROM receipts r JOIN (SELECT contact_id, MAX(version) AS v FROM receipts GROUP BY contact_id) m \
             ON r.contact_id = m.contact_id AND r.version = m.v \
             WHERE r.written_at >= $1 AND ($2 = '' OR r.lane = $2) AND ($3 = '' OR r.business = $3) \
             ORDER BY r.written_at DESC, r.contact_id LIMIT $4",
        )
        .bind(f.since.unwrap_or(i64::MIN))
        .bind(f.lane.clone().unwrap_or_default())
        .bind(f.business.clone().unwrap_or_default())
        .bind(if f.limit > 0 { f.limit } else { i64::MAX })
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

impl Tx<'_> {
    /// Records a delivery status from the provider's callback when it
    /// moves the text forward; the contact's id when it did, so that a
    /// new receipt version can show it.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn message_status_moved(
        &mut self,
        sid: &str,
        status: &str,
        error_code: Option<i64>,
        now: i64,
    ) -> Result<Option<String>> {
        let row = sqlx::query("SELECT contact_id, status FROM messages WHERE provider_sid = $1")
            .bind(sid)
            .fetch_optional(&mut *self.tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let (contact_id, current): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        if progress(status) <= progress(&current) {
            return Ok(None);
        }
        sqlx::query("UPDATE messages SET status = $1, error_code = $2, updated_at = $3 WHERE provider_sid = $4")
            .bind(status)
            .bind(error_code)
            .bind(now)
            .bind(sid)
            .execute(&mut *self.tx)
            .await?;
        Ok(Some(contact_id))
    }
}
