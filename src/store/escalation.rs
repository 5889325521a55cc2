//! Escalation rows: one per emergency contact, changed only at the
//! version it was read, so that a step fires once however many workers
//! hold its timer and however many technicians accept at once.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Backend, Error, Result, Tx};

/// A contact's escalation as stored.
#[derive(Clone)]
pub struct EscalationRow {
    pub contact_id: String,
    pub business: String,
    pub trade: String,
    /// The ladder of steps, JSON (see `dispatch::escalation::Rung`).
    pub ladder: String,
    pub summary: String,
    /// The index of the step the chain is on.
    pub step: i64,
    /// `open`, `accepted` or `gave_up`.
    pub status: String,
    /// The person id of whoever accepted.
    pub accepted_by: Option<String>,
    pub version: i64,
    pub opened_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for EscalationRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EscalationRow")
            .field("contact_id", &self.contact_id)
            .field("step", &self.step)
            .field("status", &self.status)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str =
    "contact_id, business, trade, ladder, summary, step, status, accepted_by, version, opened_at, updated_at";

fn escalation_row(r: &AnyRow) -> Result<EscalationRow> {
    Ok(EscalationRow {
        contact_id: r.try_get(0)?,
        business: r.try_get(1)?,
        trade: r.try_get(2)?,
        ladder: r.try_get(3)?,
        summary: r.try_get(4)?,
        step: r.try_get(5)?,
        status: r.try_get(6)?,
        accepted_by: r.try_get(7)?,
        version: r.try_get(8)?,
        opened_at: r.try_get(9)?,
        updated_at: r.try_get(10)?,
    })
}

impl Tx<'_> {
    /// Starts a contact's escalation; a second start for the same contact
    /// changes nothing and returns false.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn insert_escalation(&mut self, e: &EscalationRow) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO escalations (contact_id, business, trade, ladder, summary, step, status, accepted_by, version, opened_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (contact_id) DO NOTHING",
        )
        .bind(&e.contact_id)
        .bind(&e.business)
        .bind(&e.trade)
        .bind(&e.ladder)
        .bind(&e.summary)
        .bind(e.step)
        .bind(&e.status)
        .bind(&e.accepted_by)
        .bind(e.version)
        .bind(e.opened_at)
        .bind(e.updated_at)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// A contact's escalation, if it has one.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn escalation(&mut self, contact_id: &str) -> Result<Option<EscalationRow>> {
        let sql = format!("SELECT {COLUMNS} FROM escalations WHERE contact_id = $1");
        let row = sqlx::query(&sql)
            .bind(contact_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|r| escalation_row(&r)).transpose()
    }

    /// A business's escalations opened since `since`, newest first: where
    /// a technician's reply is looked up.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn recent_escalations(
        &mut self,
        business: &str,
        since: i64,
    ) -> Result<Vec<EscalationRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM escalations WHERE business = $1 AND opened_at >= $2 ORDER BY opened_at DESC, contact_id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(business)
            .bind(since)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(escalation_row).collect()
    }

    /// Holds a contact's row until the transaction ends, so that two
    /// instances writing the same contact's next receipt version take
    /// turns instead of colliding. SQLite's single writer already does.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn lock_contact(&mut self, contact_id: &str) -> Result<()> {
        if self.store.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM contacts WHERE id = $1 FOR UPDATE")
                .bind(contact_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Moves an escalation to `e.step`, `e.status` and `e.accepted_by` if
    /// nobody changed it since it was read at `e.version`; the stored
    /// version becomes `e.version + 1`.
    ///
    /// # Errors
    ///
    /// `Error::Conflict` when another writer got there first.
    pub async fn update_escalation(&mut self, e: &EscalationRow, now: i64) -> Result<()> {
        let n = sqlx::query(
            "UPDATE escalations SET step = $1, status = $2, accepted_by = $3, version = $4, updated_at = $5 \
             WHERE contact_id = $6 AND version = $7",
        )
        .bind(e.step)
        .bind(&e.status)
        .bind(&e.accepted_by)
        .bind(e.version + 1)
        .bind(now)
        .bind(&e.contact_id)
        .bind(e.version)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if n == 1 {
            Ok(())
        } else {
            Err(Error::Conflict)
        }
    }
}
