-- Time nobody can book: a staff member's time off, or the whole business's (a closure for an
-- afternoon, a team meeting), added in the dashboard or the API. Free times leave it out for
-- the agent, the API and the booking pages alike.
CREATE TABLE time_blocks (
    id          TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    staff       TEXT,
    start_at    BIGINT NOT NULL,
    end_at      BIGINT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    created_by  TEXT,
    created_at  BIGINT NOT NULL,
    CHECK (end_at > start_at)
);
CREATE INDEX time_blocks_business_end ON time_blocks (business_id, end_at);
