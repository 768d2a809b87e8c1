-- Private iCalendar feeds a business subscribes its own calendar app to: the whole business's
-- appointments or one staff member's. The URL's secret is never stored, only its hash; a feed
-- works until it is revoked.
CREATE TABLE calendar_feeds (
    id          TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    staff       TEXT,
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  TEXT,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX calendar_feeds_business ON calendar_feeds (business_id, created_at);
