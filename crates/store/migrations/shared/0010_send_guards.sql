-- Guards on what a business sends and spends:
-- - an e-mail handed to the relay is marked in flight first (sending_at), so a crash in the
--   middle is seen after the restart;
-- - a day of a business's calls is summed for its call budget;
-- - queued lead-alert digests take the name of the general owner-alert digest;
-- - a business's SMS segments are tallied per hour as they go, so its daily budget is a sum of
--   25 rows, not of a day's texts.
ALTER TABLE emails ADD COLUMN sending_at BIGINT;
-- Covering: the call budget sums a day of calls from the index alone.
CREATE INDEX calls_business_started ON calls (business_id, started_at, duration_secs, ended_at, status);
-- Lead-alert digests became digests of any batched owner alert.
UPDATE jobs SET kind = 'notify.alert_digest' WHERE kind = 'notify.lead_digest';
CREATE TABLE send_tallies (
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    hour        BIGINT NOT NULL,
    segments    BIGINT NOT NULL,
    PRIMARY KEY (business_id, hour)
);
INSERT INTO send_tallies (business_id, hour, segments)
    SELECT business_id, created_at / 3600000, SUM(segments) FROM text_messages
     WHERE direction = 'outbound' AND status NOT IN ('pending', 'failed', 'canceled')
     GROUP BY business_id, created_at / 3600000;
