-- The escalation chain of each emergency contact: the ladder of people
-- and steps frozen when it started, the step it is on, and who accepted.
-- Every change is made at the version it was read, so two instances that
-- fire the same timer, or two technicians who accept at once, change it
-- once.
CREATE TABLE escalations (
    contact_id TEXT PRIMARY KEY,
    business TEXT NOT NULL,
    trade TEXT NOT NULL,
    -- The steps, as JSON: who is alerted, by text or call, and how long
    -- each waits for an acceptance.
    ladder TEXT NOT NULL,
    -- What the technician is told and read on the call.
    summary TEXT NOT NULL,
    step BIGINT NOT NULL,
    -- open, accepted or gave_up.
    status TEXT NOT NULL,
    accepted_by TEXT,
    version BIGINT NOT NULL,
    opened_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX escalations_business ON escalations (business, opened_at);
