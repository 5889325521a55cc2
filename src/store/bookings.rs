//! Booking windows as they fill. A place in a window is taken by one
//! conditional update of its row, so the window's capacity holds however
//! many callers pick it at once, on SQLite or PostgreSQL.

use std::collections::HashMap;

use sqlx::Row;

use super::{Result, Tx};

/// The window a contact booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    pub trade: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

impl Tx<'_> {
    /// How many places are taken in each window of `trade` starting at or
    /// after `from`, by the window's start in milliseconds.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn slots_taken(
        &mut self,
        business: &str,
        trade: &str,
        from: i64,
    ) -> Result<HashMap<i64, u32>> {
        let rows = sqlx::query(
            "SELECT starts_at, taken FROM booking_slots WHERE business = $1 AND trade = $2 AND starts_at >= $3",
        )
        .bind(business)
        .bind(trade)
        .bind(from)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                let taken: i64 = r.try_get(1)?;
                Ok((r.try_get(0)?, u32::try_from(taken).unwrap_or(u32::MAX)))
            })
            .collect()
    }

    /// Takes a place in the window for the contact, if the window has
    /// fewer than `capacity` taken; false when it is full. A contact that
    /// already holds a booking keeps it and gets false.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn take_slot(
        &mut self,
        business: &str,
        contact_id: &str,
        slot: &Booked,
        capacity: u32,
        now: i64,
    ) -> Result<bool> {
        if self.booking(contact_id).await?.is_some() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO booking_slots (business, trade, starts_at, taken) VALUES ($1, $2, $3, 0) \
             ON CONFLICT DO NOTHING",
        )
        .bind(business)
        .bind(&slot.trade)
        .bind(slot.starts_at)
        .execute(&mut *self.tx)
        .await?;
        let took = sqlx::query(
            "UPDATE booking_slots SET taken = taken + 1 \
             WHERE business = $1 AND trade = $2 AND starts_at = $3 AND taken < $4",
        )
        .bind(business)
        .bind(&slot.trade)
        .bind(slot.starts_at)
        .bind(i64::from(capacity))
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if took != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO bookings (contact_id, business, trade, starts_at, ends_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(contact_id)
        .bind(business)
        .bind(&slot.trade)
        .bind(slot.starts_at)
        .bind(slot.ends_at)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(true)
    }

    /// The windows booked with this business, of any trade, that end
    /// after `from`: what the owner's calendar shows of nightdesk's own.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn booked_windows(&mut self, business: &str, from: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT starts_at, ends_at FROM bookings WHERE business = $1 AND ends_at > $2",
        )
        .bind(business)
        .bind(from)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// The window the contact booked, if it did.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn booking(&mut self, contact_id: &str) -> Result<Option<Booked>> {
        let row =
            sqlx::query("SELECT trade, starts_at, ends_at FROM bookings WHERE contact_id = $1")
                .bind(contact_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        row.map(|r| {
            Ok(Booked {
                trade: r.try_get(0)?,
                starts_at: r.try_get(1)?,
                ends_at: r.try_get(2)?,
            })
        })
        .transpose()
    }
}
