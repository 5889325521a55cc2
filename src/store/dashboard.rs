//! What the owner's dashboard keeps: users and the businesses they may
//! see, sessions, login attempts, the owner's marks on contacts and the
//! figures behind "what it is worth". Contacts are read here in the
//! shapes the dashboard shows them, newest first.

use sqlx::Row;

use super::{new_id, Result, Store};

/// A dashboard user. The password hash never leaves the store except to
/// be verified.
#[derive(Clone)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub businesses: Vec<String>,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A live session: who, and the token every form must carry back.
#[derive(Clone)]
pub struct SessionRow {
    pub user_id: String,
    pub csrf: String,
    pub expires_at: i64,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// One contact as the dashboard lists it: its row, its newest receipt
/// (none while the dialog is still going) and the owner's mark.
#[derive(Debug, Clone)]
pub struct ListedContact {
    pub id: String,
    pub opened_at: i64,
    pub channel: String,
    pub receipt: Option<String>,
    pub mark: Option<String>,
}

/// A contact's conversation state and newest receipt, for re-running
/// its triage against a draft route table.
#[derive(Debug, Clone)]
pub struct AuditedContact {
    pub id: String,
    pub opened_at: i64,
    pub state: String,
    pub receipt: Option<String>,
}

/// The owner's mark on a contact.
#[derive(Debug, Clone)]
pub struct MarkRow {
    pub kind: String,
    pub note: String,
    pub at: i64,
}

/// What the owner entered for "what it is worth", in whole dollars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorthRow {
    pub average_ticket: i64,
    pub answering_service: i64,
}

const LISTED: &str = "SELECT c.id, c.opened_at, c.channel, \
     (SELECT r.body FROM receipts r WHERE r.contact_id = c.id ORDER BY r.version DESC LIMIT 1), m.kind \
     FROM contacts c LEFT JOIN marks m ON m.contact_id = c.id \
     WHERE c.business = $1 AND c.opened_at >= $2 AND c.opened_at < $3 ORDER BY c.opened_at DESC, c.id DESC";

impl Store {
    /// Adds a user, or replaces the password, role and businesses of the
    /// user with that email.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn put_user(
        &self,
        email: &str,
        password_hash: &str,
        role: &str,
        businesses: &[String],
        now: i64,
    ) -> Result<String> {
        // Through `begin`, which takes SQLite's write lock first: a read
        // then a write in a deferred transaction fails when a worker writes
        // in between.
        let mut t = self.begin().await?;
        let existing = sqlx::query("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut *t.tx)
            .await?;
        let id = match existing {
            Some(row) => {
                let id: String = row.try_get(0)?;
                sqlx::query("UPDATE users SET password_hash = $1, role = $2 WHERE id = $3")
                    .bind(password_hash)
                    .bind(role)
                    .bind(&id)
                    .execute(&mut *t.tx)
                    .await?;
                sqlx::query("DELETE FROM user_businesses WHERE user_id = $1")
                    .bind(&id)
                    .execute(&mut *t.tx)
                    .await?;
                id
            }
            None => {
                let id = new_id("usr");
                sqlx::query("INSERT INTO users (id, email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&id)
                    .bind(email)
                    .bind(password_hash)
                    .bind(role)
                    .bind(now)
                    .execute(&mut *t.tx)
                    .await?;
                id
            }
        };
        for b in businesses {
            sqlx::query("INSERT INTO user_businesses (user_id, business) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(&id)
                .bind(b)
                .execute(&mut *t.tx)
                .await?;
        }
        t.commit().await?;
        Ok(id)
    }

    /// A user by email (stored lower-case) or by id.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn user(&self, email_or_id: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query(
            "SELECT id, email, password_hash, role FROM users WHERE email = $1 OR id = $1",
        )
        .bind(email_or_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row.try_get(0)?;
        let businesses = sqlx::query(
            "SELECT business FROM user_businesses WHERE user_id = $1 ORDER BY business",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<Vec<String>, _>>()?;
        Ok(Some(UserRow {
            id,
            email: row.try_get(1)?,
            password_hash: row.try_get(2)?,
            role: row.try_get(3)?,
            businesses,
        }))
    }

    /// Stores a new session under the hash of its token.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn put_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The session with this token hash, if it has not expired.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn session(&self, token_hash: &str, now: i64) -> Result<Option<SessionRow>> {
        let row = sqlx::query("SELECT user_id, csrf, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(SessionRow {
                user_id: r.try_get(0)?,
                csrf: r.try_get(1)?,
                expires_at: r.try_get(2)?,
            })
        })
        .transpose()
    }

    /// Ends a session.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a login attempt.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn login_attempt(&self, email: &str, ip: &str, ok: bool, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_attempts (id, email, ip, at, ok) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id("la"))
        .bind(email)
        .bind(ip)
        .bind(now)
        .bind(i64::from(ok))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Failed login attempts since `since` for this email and from this
    /// address.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn failed_logins(&self, email: &str, ip: &str, since: i64) -> Result<(i64, i64)> {
        let by_email = sqlx::query(
            "SELECT COUNT(*) FROM login_attempts WHERE email = $1 AND at >= $2 AND ok = 0",
        )
        .bind(email)
        .bind(since)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        let by_ip = sqlx::query(
            "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND at >= $2 AND ok = 0",
        )
        .bind(ip)
        .bind(since)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        Ok((by_email, by_ip))
    }

    /// A business's contacts opened in `[from, until)`, newest first,
    /// `limit` of them after skipping `offset`.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn listed_contacts(
        &self,
        business: &str,
        from: i64,
        until: i64,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ListedContact>> {
        let sql = format!("{LISTED} LIMIT $4 OFFSET $5");
        let rows = sqlx::query(&sql)
            .bind(business)
            .bind(from)
            .bind(until)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ListedContact {
                    id: r.try_get(0)?,
                    opened_at: r.try_get(1)?,
                    channel: r.try_get(2)?,
                    receipt: r.try_get(3)?,
                    mark: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// A business's contacts opened in `[from, until)` with their
    /// conversation state, newest first, at most `limit`.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn audited_contacts(
        &self,
        business: &str,
        from: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<AuditedContact>> {
        let rows = sqlx::query(
            "SELECT c.id, c.opened_at, c.state, \
             (SELECT r.body FROM receipts r WHERE r.contact_id = c.id ORDER BY r.version DESC LIMIT 1) \
             FROM contacts c WHERE c.business = $1 AND c.opened_at >= $2 AND c.opened_at < $3 \
             ORDER BY c.opened_at DESC, c.id DESC LIMIT $4",
        )
        .bind(business)
        .bind(from)
        .bind(until)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditedContact {
                    id: r.try_get(0)?,
                    opened_at: r.try_get(1)?,
                    state: r.try_get(2)?,
                    receipt: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Marks a contact a false escalation or a missed emergency; the mark
    /// replaces any earlier one and is kept as an event too.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn mark_contact(
        &self,
        contact_id: &str,
        business: &str,
        kind: &str,
        note: &str,
        user_id: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO marks (contact_id, business, kind, note, user_id, at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (contact_id) DO UPDATE SET kind = excluded.kind, note = excluded.note, user_id = excluded.user_id, at = excluded.at",
        )
        .bind(contact_id)
        .bind(business)
        .bind(kind)
        .bind(note)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx.tx)
        .await?;
        let body = serde_json::json!({"kind": kind, "note": note, "user_id": user_id});
        tx.event(contact_id, "mark", &body, now).await?;
        tx.commit().await
    }

    /// The owner's mark on a contact.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn mark(&self, contact_id: &str) -> Result<Option<MarkRow>> {
        let row = sqlx::query("SELECT kind, note, at FROM marks WHERE contact_id = $1")
            .bind(contact_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(MarkRow {
                kind: r.try_get(0)?,
                note: r.try_get(1)?,
                at: r.try_get(2)?,
            })
        })
        .transpose()
    }

    /// What the owner entered for a business, if anything.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn worth(&self, business: &str) -> Result<Option<WorthRow>> {
        let row =
            sqlx::query("SELECT average_ticket, answering_service FROM worth WHERE business = $1")
                .bind(business)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok(WorthRow {
                average_ticket: r.try_get(0)?,
                answering_service: r.try_get(1)?,
            })
        })
        .transpose()
    }

    /// Stores what the owner entered for a business.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn put_worth(&self, business: &str, w: WorthRow, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO worth (business, average_ticket, answering_service, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (business) DO UPDATE SET average_ticket = excluded.average_ticket, \
             answering_service = excluded.answering_service, updated_at = excluded.updated_at",
        )
        .bind(business)
        .bind(w.average_ticket)
        .bind(w.answering_service)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The raw webhooks that may carry a contact's recording or photos:
    /// its recording callbacks, and the texts to the business in
    /// `[from, until)` (the caller's photos arrive as texts).
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn media_webhooks(
        &self,
        contact_id: &str,
        business: &str,
        from: i64,
        until: i64,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT body FROM webhooks WHERE key LIKE $1 OR (kind = 'sms' AND business = $2 AND received_at >= $3 AND received_at < $4) \
             ORDER BY received_at",
        )
        .bind(format!("recording:{contact_id}:%"))
        .bind(business)
        .bind(from)
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }
}
