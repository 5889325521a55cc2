-- Booking windows as they fill: one row per (business, trade, window
-- start), taken only by a conditional update, so two callers who pick the
-- last place in a window at once cannot both get it.
CREATE TABLE booking_slots (
    business TEXT NOT NULL,
    trade TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    taken BIGINT NOT NULL,
    PRIMARY KEY (business, trade, starts_at)
);

-- One booking per contact: the window it holds.
CREATE TABLE bookings (
    contact_id TEXT PRIMARY KEY,
    business TEXT NOT NULL,
    trade TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX bookings_window ON bookings (business, trade, starts_at);
