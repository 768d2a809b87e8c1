-- An e-mail handed to the relay is marked in flight first (sending_at), so a crash in the
-- middle is seen after the restart; a call's minutes are summed per business and day; and
-- queued lead-alert digests take the name of the general owner-alert digest.
ALTER TABLE emails ADD COLUMN sending_at BIGINT;
CREATE INDEX calls_business_started ON calls (business_id, started_at);
-- Lead-alert digests became digests of any batched owner alert.
UPDATE jobs SET kind = 'notify.alert_digest' WHERE kind = 'notify.lead_digest';
