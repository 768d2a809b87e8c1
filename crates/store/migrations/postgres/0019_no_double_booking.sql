-- One staff member (or the business, when it has no staff) is never booked twice for
-- overlapping time, buffers included, whatever path wrote the row: the database refuses it.
-- Each appointment keeps the buffer it was booked with, and occupies [start, end + buffer):
-- two of them are apart enough exactly when those spans do not meet.
-- `revision` counts the changes to an appointment (the calendar feed's SEQUENCE).
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE appointments ADD COLUMN buffer_ms BIGINT NOT NULL DEFAULT 0 CHECK (buffer_ms >= 0);
ALTER TABLE appointments ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
    business_id WITH =,
    (COALESCE(staff, '')) WITH =,
    int8range(start_at, end_at + buffer_ms) WITH &&
) WHERE (status = 'booked');
