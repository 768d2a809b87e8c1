-- A queued job can be cancelled (an appointment's reminders, when the appointment is). SQLite
-- cannot change a CHECK constraint in place, so the table is rebuilt.
CREATE TABLE jobs_new (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    business_id     TEXT,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead', 'cancelled')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    max_attempts    BIGINT NOT NULL,
    run_at          BIGINT NOT NULL,
    locked_by       TEXT,
    locked_until    BIGINT,
    last_error      TEXT,
    idempotency_key TEXT UNIQUE,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    finished_at     BIGINT
);
INSERT INTO jobs_new SELECT id, kind, business_id, payload, status, attempts, max_attempts, run_at, locked_by, locked_until, last_error, idempotency_key, created_at, updated_at, finished_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE INDEX jobs_business_key ON jobs (business_id, idempotency_key);

-- E-mails to customers (confirmations, reminders) and owners (alerts), sent over SMTP by a job.
CREATE TABLE emails (
    id              TEXT PRIMARY KEY,
    business_id     TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
    purpose         TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    message_id      TEXT,
    error           TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX emails_business ON emails (business_id, id);
