-- The owner's dashboard: users, their sessions, login attempts, the
-- owner's marks on contacts and what the owner says a job is worth.

-- A dashboard user: an owner, or an agency user given several businesses.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Which businesses (by called number) a user may see.
CREATE TABLE user_businesses (
    user_id TEXT NOT NULL,
    business TEXT NOT NULL,
    PRIMARY KEY (user_id, business)
);

-- A signed-in browser. Only a hash of the cookie's token is kept, so a
-- copy of the database does not let anyone in.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Every login attempt, counted per email and per address to slow guessing.
CREATE TABLE login_attempts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL,
    ok BIGINT NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts (email, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);

-- The owner's verdict on a contact: a false escalation or a missed
-- emergency, with a note. The newest verdict stands; each is also an event.
CREATE TABLE marks (
    contact_id TEXT PRIMARY KEY,
    business TEXT NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX marks_business ON marks (business, at);

-- What the owner says a job and an answering service cost, in dollars.
CREATE TABLE worth (
    business TEXT PRIMARY KEY,
    average_ticket BIGINT NOT NULL,
    answering_service BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The contact list reads a business's contacts newest first.
CREATE INDEX contacts_opened ON contacts (business, opened_at);
