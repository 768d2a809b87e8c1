-- An e-mail handed to the relay is marked in flight first (sending_at), so a crash in the
-- middle is seen after the restart; and a call's minutes are summed per business and day.
ALTER TABLE emails ADD COLUMN sending_at BIGINT;
CREATE INDEX calls_business_started ON calls (business_id, started_at);
