-- Channels: phone calls, text messages (SMS and WhatsApp), and every inbound webhook as it
-- arrived. Written once for both engines.

-- Every webhook from a provider, stored before it is acted on; `processed_at` is set once it
-- was, `error` says why it was not.
CREATE TABLE webhook_events (
    id           TEXT PRIMARY KEY,
    business_id  TEXT REFERENCES businesses(id) ON DELETE CASCADE,
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    ref          TEXT,
    payload      TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    processed_at BIGINT,
    error        TEXT
);
CREATE INDEX webhook_events_ref ON webhook_events (ref);
CREATE INDEX webhook_events_unprocessed ON webhook_events (processed_at, received_at);

-- One row per phone call; its words are the transcript of `conversation_id`.
CREATE TABLE calls (
    id                      TEXT PRIMARY KEY,
    business_id             TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id         TEXT REFERENCES conversations(id) ON DELETE SET NULL,
    call_sid                TEXT NOT NULL UNIQUE,
    from_number             TEXT NOT NULL,
    to_number               TEXT NOT NULL,
    direction               TEXT NOT NULL,
    mode                    TEXT NOT NULL,
    status                  TEXT NOT NULL,
    outcome                 TEXT,
    silences                BIGINT NOT NULL DEFAULT 0,
    transfer_status         TEXT,
    duration_secs           BIGINT,
    price                   TEXT,
    price_unit              TEXT,
    recording_sid           TEXT,
    recording_url           TEXT,
    recording_duration_secs BIGINT,
    started_at              BIGINT NOT NULL,
    ended_at                BIGINT,
    updated_at              BIGINT NOT NULL
);
CREATE INDEX calls_business ON calls (business_id, id);

-- SMS and WhatsApp messages both ways. An inbound row is unique by the provider's sid, so a
-- retried webhook is recognised; an outbound row gets its sid once the provider accepted it.
CREATE TABLE text_messages (
    id              TEXT PRIMARY KEY,
    business_id     TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    purpose         TEXT NOT NULL,
    sid             TEXT UNIQUE,
    from_address    TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    body            TEXT NOT NULL,
    segments        BIGINT NOT NULL,
    status          TEXT NOT NULL,
    error_code      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX text_messages_business ON text_messages (business_id, id);

-- Addresses that texted STOP: nothing is sent to them until they text START.
CREATE TABLE opt_outs (
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (business_id, address)
);

-- The provider's id of the input a caller's message answers (a message sid, a call sid and turn
-- number): a retried webhook finds its turn already taken instead of taking it twice.
ALTER TABLE conversation_messages ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX conversation_messages_external ON conversation_messages (business_id, external_id);
