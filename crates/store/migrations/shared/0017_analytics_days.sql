-- Analytics kept per closed day of a business's clock: the counts of what never changes once
-- written (conversations by half-hour and channel, bookings, reservations, orders, messages
-- taken, intents, unanswered questions by topic), so a month's charts read 30 rows instead of
-- every conversation. A day is kept only once it has ended (with an hour's grace for writes in
-- flight); a business that changes its time zone gets new days, and the old rows are unused.
CREATE TABLE analytics_days (
    business_id  TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    day_start    BIGINT NOT NULL,
    day_end      BIGINT NOT NULL,
    data         TEXT NOT NULL,
    computed_at  BIGINT NOT NULL,
    PRIMARY KEY (business_id, day_start, day_end)
);
