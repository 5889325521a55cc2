//! The store: every contact, webhook, message, receipt and job, in SQLite
//! (the default, one file under `--data`) or PostgreSQL.
//!
//! One schema and one set of queries serve both through sqlx's `Any`
//! driver. Nothing about a contact lives only in memory: any instance can
//! take the next turn, and a restart loses nothing.

mod bookings;
mod dashboard;
mod escalation;
mod jobs;
mod sinks;

use std::borrow::Cow;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Row};

pub use bookings::Booked;
pub use dashboard::{AuditedContact, ListedContact, MarkRow, SessionRow, UserRow, WorthRow};
pub use escalation::EscalationRow;
pub use jobs::{Job, NewJob};
pub use sinks::{ReceiptFilter, SinkBacklog};

/// What the caller of the store can do about a failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database could not be reached or answered an error: retry.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrating the schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Another instance advanced the contact first: reload and retry.
    #[error("the contact changed under us")]
    Conflict,
    #[error("stored JSON is unreadable: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    pub backend: Backend,
}

/// The schema's migrations, in order: (version, name, SQL). Add a new
/// file under `migrations/` and a line here; never edit a shipped one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "contacts",
        include_str!("../../migrations/0001_contacts.sql"),
    ),
    (
        2,
        "dashboard",
        include_str!("../../migrations/0002_dashboard.sql"),
    ),
    (
        4,
        "escalation",
        include_str!("../../migrations/0004_escalation.sql"),
    ),
    (
        5,
        "sink order",
        include_str!("../../migrations/0005_sink_order.sql"),
    ),
    (
        6,
        "bookings",
        include_str!("../../migrations/0006_bookings.sql"),
    ),
];

fn migrator() -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(version, name, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(name),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`:
    /// `sqlite://PATH` or `postgres://…`. SQLite runs in WAL mode.
    ///
    /// # Errors
    ///
    /// When the database cannot be opened or migrated.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let url = match backend {
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        options = match backend {
            Backend::Sqlite => options.max_connections(4).after_connect(|conn, _| {
                Box::pin(async move {
                    use sqlx::Executor;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options.max_connections(16),
        };
        let pool = options.connect(&url).await?;
        migrator().run(&pool).await?;
        Ok(Store { pool, backend })
    }

    /// Opens the SQLite file under a data folder.
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub async fn open_data_dir(dir: &std::path::Path) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|e| Error::Database(sqlx::Error::Io(e)))?;
        Store::open(&format!("sqlite://{}", dir.join("nightdesk.db").display())).await
    }

    /// Starts a transaction; its first write takes the write lock.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn begin(&self) -> Result<Tx<'_>> {
        // SQLite: take the write lock at once. A deferred transaction that
        // reads and then writes fails outright (SQLITE_BUSY_SNAPSHOT) when
        // another connection wrote in between; waiting for the lock first
        // turns that into a short queue.
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx { tx, store: self })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Every version of every receipt written since `since` (ms), oldest
    /// first, as stored JSON text.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn receipts_since(&self, since: i64) -> Result<Vec<(String, i64, String)>> {
        let rows = sqlx::query(
            "SELECT contact_id, version, body FROM receipts WHERE written_at >= $1 ORDER BY written_at, contact_id, version",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    /// The newest version of each contact's receipt, newest contact first.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn latest_receipts(&self, limit: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT r.body FROM receipts r JOIN (SELECT contact_id, MAX(version) AS v FROM receipts GROUP BY contact_id) m \
             ON r.contact_id = m.contact_id AND r.version = m.v ORDER BY r.written_at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The newest receipt of one contact.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn receipt(&self, contact_id: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT body FROM receipts WHERE contact_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(contact_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// A contact's events of one kind, oldest first, outside any
    /// transaction (a read never waits for SQLite's write lock).
    ///
    /// # Errors
    ///
    /// When the database is unreachable or a body is not JSON.
    pub async fn events(&self, contact_id: &str, kind: &str) -> Result<Vec<serde_json::Value>> {
        let rows = sqlx::query(
            "SELECT body FROM events WHERE contact_id = $1 AND kind = $2 ORDER BY at, id",
        )
        .bind(contact_id)
        .bind(kind)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(serde_json::from_str(&r.try_get::<String, _>(0)?)?))
            .collect()
    }

    /// One version of a contact's receipt.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn receipt_version(&self, contact_id: &str, version: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT body FROM receipts WHERE contact_id = $1 AND version = $2")
            .bind(contact_id)
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The newest contact from a caller.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn latest_contact_of(&self, caller: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT id FROM contacts WHERE caller = $1 ORDER BY opened_at DESC, id DESC LIMIT 1",
        )
        .bind(caller)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The contact of a call.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn contact_of_call(&self, call_sid: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT id FROM contacts WHERE call_sid = $1 LIMIT 1")
            .bind(call_sid)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Jobs of a contact due by `now` and not yet done or given up,
    /// leaving out escalation timers, which wait minutes by design, and
    /// sink writes, which never hold up a contact.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn pending_jobs(&self, contact_id: &str, now: i64) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM jobs WHERE contact_id = $1 AND state IN ('queued', 'running') AND run_at <= $2 AND kind NOT IN ('escalate', 'sink')")
            .bind(contact_id)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// A contact's state, outside any transaction.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn contact(&self, id: &str) -> Result<Option<ContactRow>> {
        let row = sqlx::query(CONTACT_SELECT_BY_ID)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| contact_row(&r)).transpose()
    }

    /// Records a delivery status from the provider's callback.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn message_status(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<i64>,
        now: i64,
    ) -> Result<Option<String>> {
        let row = sqlx::query("UPDATE messages SET status = $1, error_code = $2, updated_at = $3 WHERE provider_sid = $4 RETURNING contact_id")
            .bind(status)
            .bind(error_code)
            .bind(now)
            .bind(sid)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Every message of a contact, oldest first.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn messages(&self, contact_id: &str) -> Result<Vec<MessageRow>> {
        let rows = sqlx::query(MESSAGE_SELECT)
            .bind(contact_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(message_row).collect())
    }
}

/// A contact's row: its conversation state as JSON and its version.
#[derive(Clone)]
pub struct ContactRow {
    pub id: String,
    pub business: String,
    pub channel: String,
    pub caller: String,
    pub call_sid: Option<String>,
    pub opened_at: i64,
    pub status: String,
    pub version: i64,
    pub state: String,
}

impl std::fmt::Debug for ContactRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactRow")
            .field("id", &self.id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// A text or call nightdesk asked the provider for.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MessageRow {
    pub id: String,
    pub contact_id: String,
    pub kind: String,
    pub recipient: String,
    pub role: String,
    pub body: String,
    pub provider_sid: Option<String>,
    pub status: String,
    pub error_code: Option<i64>,
    pub created_at: i64,
}

const MESSAGE_SELECT: &str = "SELECT id, contact_id, kind, recipient, role, body, provider_sid, status, error_code, created_at \
     FROM messages WHERE contact_id = $1 ORDER BY created_at, id";

fn message_row(r: &AnyRow) -> MessageRow {
    MessageRow {
        id: r.get(0),
        contact_id: r.get(1),
        kind: r.get(2),
        recipient: r.get(3),
        role: r.get(4),
        body: r.get(5),
        provider_sid: r.get(6),
        status: r.get(7),
        error_code: r.get(8),
        created_at: r.get(9),
    }
}

const CONTACT_COLUMNS: &str =
    "id, business, channel, caller, call_sid, opened_at, status, version, state";
const CONTACT_SELECT_BY_ID: &str =
    "SELECT id, business, channel, caller, call_sid, opened_at, status, version, state FROM contacts WHERE id = $1";

fn contact_row(r: &AnyRow) -> Result<ContactRow> {
    Ok(ContactRow {
        id: r.try_get(0)?,
        business: r.try_get(1)?,
        channel: r.try_get(2)?,
        caller: r.try_get(3)?,
        call_sid: r.try_get(4)?,
        opened_at: r.try_get(5)?,
        status: r.try_get(6)?,
        version: r.try_get(7)?,
        state: r.try_get(8)?,
    })
}

/// Whether a webhook is new, or one already answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    New,
    /// Seen before; the stored answer, if it was answered.
    Seen(Option<String>),
}

/// A transaction: the raw webhook and everything it changes commit
/// together or not at all.
pub struct Tx<'a> {
    tx: sqlx::Transaction<'static, Any>,
    store: &'a Store,
}

impl Tx<'_> {
    /// Stores the raw webhook under its idempotency key, first of all.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn claim_webhook(
        &mut self,
        key: &str,
        kind: &str,
        business: &str,
        body: &str,
        now: i64,
    ) -> Result<Claim> {
        let inserted = sqlx::query(
            "INSERT INTO webhooks (key, kind, business, received_at, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(kind)
        .bind(business)
        .bind(now)
        .bind(body)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Claim::New);
        }
        let row = sqlx::query("SELECT response FROM webhooks WHERE key = $1")
            .bind(key)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(Claim::Seen(row.try_get(0)?))
    }

    /// Stores the answer given to a webhook, for its retries.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn answer_webhook(&mut self, key: &str, response: &str) -> Result<()> {
        sqlx::query("UPDATE webhooks SET response = $1 WHERE key = $2")
            .bind(response)
            .bind(key)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// A contact by id.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn contact(&mut self, id: &str) -> Result<Option<ContactRow>> {
        let row = sqlx::query(CONTACT_SELECT_BY_ID)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|r| contact_row(&r)).transpose()
    }

    /// The contact of a voice call.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn contact_by_call(&mut self, call_sid: &str) -> Result<Option<ContactRow>> {
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE call_sid = $1 ORDER BY opened_at LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(call_sid)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|r| contact_row(&r)).transpose()
    }

    /// The newest contact from this caller to this business with one of
    /// the given statuses, opened after `since`.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn recent_contact(
        &mut self,
        business: &str,
        caller: &str,
        status: &str,
        since: i64,
    ) -> Result<Option<ContactRow>> {
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE business = $1 AND caller = $2 AND status = $3 AND opened_at >= $4 ORDER BY opened_at DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(business)
            .bind(caller)
            .bind(status)
            .bind(since)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|r| contact_row(&r)).transpose()
    }

    /// Creates a contact.
    ///
    /// # Errors
    ///
    /// When the database is unreachable or the id is taken.
    pub async fn insert_contact(&mut self, c: &ContactRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO contacts (id, business, channel, caller, call_sid, opened_at, status, version, state) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&c.id)
        .bind(&c.business)
        .bind(&c.channel)
        .bind(&c.caller)
        .bind(&c.call_sid)
        .bind(c.opened_at)
        .bind(&c.status)
        .bind(c.version)
        .bind(&c.state)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Saves a contact's new state if nobody else changed it since it was
    /// read at `c.version`; the stored version becomes `c.version + 1`.
    ///
    /// # Errors
    ///
    /// `Error::Conflict` when another writer got there first.
    pub async fn update_contact(&mut self, c: &ContactRow) -> Result<()> {
        let n = sqlx::query("UPDATE contacts SET status = $1, state = $2, version = $3 WHERE id = $4 AND version = $5")
            .bind(&c.status)
            .bind(&c.state)
            .bind(c.version + 1)
            .bind(&c.id)
            .bind(c.version)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        if n == 1 {
            Ok(())
        } else {
            Err(Error::Conflict)
        }
    }

    /// Appends an event to a contact's history.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn event(
        &mut self,
        contact_id: &str,
        kind: &str,
        body: &serde_json::Value,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO events (id, contact_id, at, kind, body) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id("ev"))
        .bind(contact_id)
        .bind(now)
        .bind(kind)
        .bind(body.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The version number the contact's next receipt takes.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn next_receipt_version(&mut self, contact_id: &str) -> Result<i64> {
        let row =
            sqlx::query("SELECT COALESCE(MAX(version), 0) FROM receipts WHERE contact_id = $1")
                .bind(contact_id)
                .fetch_one(&mut *self.tx)
                .await?;
        Ok(row.try_get::<i64, _>(0)? + 1)
    }

    /// Writes a version of a contact's receipt.
    ///
    /// # Errors
    ///
    /// When the database is unreachable or the version exists.
    pub async fn put_receipt(
        &mut self,
        contact_id: &str,
        version: i64,
        business: &str,
        lane: Option<&str>,
        body: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO receipts (contact_id, version, business, lane, written_at, body) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(contact_id)
            .bind(version)
            .bind(business)
            .bind(lane)
            .bind(now)
            .bind(body)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// A contact's events of one kind, oldest first, as JSON.
    ///
    /// # Errors
    ///
    /// When the database is unreachable or an event is not JSON.
    pub async fn events(&mut self, contact_id: &str, kind: &str) -> Result<Vec<serde_json::Value>> {
        let rows = sqlx::query(
            "SELECT body FROM events WHERE contact_id = $1 AND kind = $2 ORDER BY at, id",
        )
        .bind(contact_id)
        .bind(kind)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| Ok(serde_json::from_str(&r.try_get::<String, _>(0)?)?))
            .collect()
    }

    /// Every message of a contact, oldest first.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn messages(&mut self, contact_id: &str) -> Result<Vec<MessageRow>> {
        let rows = sqlx::query(MESSAGE_SELECT)
            .bind(contact_id)
            .fetch_all(&mut *self.tx)
            .await?;
        Ok(rows.iter().map(message_row).collect())
    }

    /// Updates a message after the provider answered.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn message_sent(
        &mut self,
        id: &str,
        sid: Option<&str>,
        status: &str,
        error_code: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE messages SET provider_sid = $1, status = $2, error_code = $3, updated_at = $4 WHERE id = $5")
            .bind(sid)
            .bind(status)
            .bind(error_code)
            .bind(now)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Records a text or call about to be sent, before it is sent.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn message(&mut self, m: &MessageRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO messages (id, contact_id, kind, recipient, role, body, provider_sid, status, error_code, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&m.id)
        .bind(&m.contact_id)
        .bind(&m.kind)
        .bind(&m.recipient)
        .bind(&m.role)
        .bind(&m.body)
        .bind(&m.provider_sid)
        .bind(&m.status)
        .bind(m.error_code)
        .bind(m.created_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Queues a job unless one with the same dedupe key exists.
    ///
    /// # Errors
    ///
    /// When the database is unreachable.
    pub async fn enqueue(&mut self, job: &NewJob, now: i64) -> Result<bool> {
        jobs::enqueue(&mut self.tx, job, now).await
    }

    /// Commits everything.
    ///
    /// # Errors
    ///
    /// When the commit fails; nothing was written.
    pub async fn commit(self) -> Result<()> {
        let _ = self.store;
        self.tx.commit().await?;
        Ok(())
    }
}

/// A fresh id with a readable prefix, ordered by time of creation.
pub fn new_id(prefix: &str) -> String {
    let now = jiff::Timestamp::now().as_millisecond();
    let random: u64 = rand::random();
    format!("{prefix}_{now:012x}{:08x}", random as u32)
}
