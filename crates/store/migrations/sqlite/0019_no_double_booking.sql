-- One staff member (or the business, when it has no staff) is never booked twice for
-- overlapping time, buffers included, whatever path wrote the row: the database refuses it.
-- SQLite has no exclusion constraints; these triggers are the same rule, checked under the
-- database's one writer, so no two writes can both pass it. Each appointment keeps the buffer
-- it was booked with and occupies [start, end + buffer), as on PostgreSQL.
-- `revision` counts the changes to an appointment (the calendar feed's SEQUENCE).
ALTER TABLE appointments ADD COLUMN buffer_ms BIGINT NOT NULL DEFAULT 0 CHECK (buffer_ms >= 0);
ALTER TABLE appointments ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER appointments_no_overlap_insert BEFORE INSERT ON appointments
WHEN NEW.status = 'booked' AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.business_id = NEW.business_id AND a.status = 'booked' AND a.id <> NEW.id
      AND COALESCE(a.staff, '') = COALESCE(NEW.staff, '')
      AND a.start_at < NEW.end_at + NEW.buffer_ms AND NEW.start_at < a.end_at + a.buffer_ms)
BEGIN
    SELECT RAISE(ABORT, 'appointments_no_overlap');
END;
CREATE TRIGGER appointments_no_overlap_update
BEFORE UPDATE OF business_id, staff, start_at, end_at, buffer_ms, status ON appointments
WHEN NEW.status = 'booked' AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.business_id = NEW.business_id AND a.status = 'booked' AND a.id <> NEW.id
      AND COALESCE(a.staff, '') = COALESCE(NEW.staff, '')
      AND a.start_at < NEW.end_at + NEW.buffer_ms AND NEW.start_at < a.end_at + a.buffer_ms)
BEGIN
    SELECT RAISE(ABORT, 'appointments_no_overlap');
END;
