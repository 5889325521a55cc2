-- Sink writes of one contact run one at a time (see store::jobs::claim_job):
-- the claim looks for a running sink job of the same contact.
CREATE INDEX jobs_contact ON jobs (contact_id, kind, state);
