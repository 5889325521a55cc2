-- nightdesk's store: one schema for SQLite and PostgreSQL.
-- Ids are text made by the application; times are milliseconds since the
-- Unix epoch (UTC); JSON is text; flags are 0 or 1.

-- Every webhook as it arrived, before anything acts on it. The key makes
-- a retried webhook recognisable; the response is what it was answered.
CREATE TABLE webhooks (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    business TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    body TEXT NOT NULL,
    response TEXT
);

-- One row a contact: its conversation state, advanced with a version
-- check so two instances never both take the same turn.
CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    business TEXT NOT NULL,
    channel TEXT NOT NULL,
    caller TEXT NOT NULL,
    call_sid TEXT,
    opened_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX contacts_call_sid ON contacts (call_sid);
CREATE INDEX contacts_caller ON contacts (business, caller, status);

-- What happened to a contact, in order; never updated.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX events_contact ON events (contact_id, at);

-- Each version of each contact's receipt.
CREATE TABLE receipts (
    contact_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    business TEXT NOT NULL,
    lane TEXT,
    written_at BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (contact_id, version)
);
CREATE INDEX receipts_written ON receipts (business, written_at);

-- Every text and call nightdesk asked the provider for, and its status.
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    role TEXT NOT NULL,
    body TEXT NOT NULL,
    provider_sid TEXT,
    status TEXT NOT NULL,
    error_code BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX messages_sid ON messages (provider_sid);
CREATE INDEX messages_contact ON messages (contact_id);

-- Work to do, now or later: alerts, escalation steps, sink writes. A job
-- is claimed with a lease, so a crashed worker's job is taken up again,
-- and the dedupe key keeps one step from being queued twice.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    leased_until BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE INDEX jobs_due ON jobs (state, run_at);
