-- The agent's records: conversations and their messages, and what the agent commits. Written
-- once for both engines (ids and JSON are TEXT, times BIGINT ms), so both run this same file.
CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    customer_id TEXT REFERENCES customers(id) ON DELETE SET NULL,
    address     TEXT,
    status      TEXT NOT NULL CHECK (status IN ('open', 'ended', 'handed_off')),
    state       TEXT NOT NULL,
    turns       BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX conversations_business ON conversations (business_id, id);

CREATE TABLE conversation_messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    business_id     TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('caller', 'agent')),
    text            TEXT NOT NULL,
    intent          TEXT,
    confidence      DOUBLE PRECISION,
    entities        TEXT,
    actions         TEXT,
    source          TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX conversation_messages_conversation ON conversation_messages (conversation_id, id);

CREATE TABLE appointments (
    id              TEXT PRIMARY KEY,
    business_id     TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_id     TEXT REFERENCES customers(id) ON DELETE SET NULL,
    conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
    service         TEXT NOT NULL,
    staff           TEXT,
    start_at        BIGINT NOT NULL,
    end_at          BIGINT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'completed', 'no_show')),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CHECK (end_at > start_at)
);
CREATE INDEX appointments_time ON appointments (business_id, start_at);

CREATE TABLE reservations (
    id                 TEXT PRIMARY KEY,
    business_id        TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_id        TEXT REFERENCES customers(id) ON DELETE SET NULL,
    conversation_id    TEXT REFERENCES conversations(id) ON DELETE SET NULL,
    unit_type          TEXT NOT NULL,
    move_in            TEXT NOT NULL,
    monthly_rate_cents BIGINT NOT NULL,
    promotion          TEXT,
    status             TEXT NOT NULL CHECK (status IN ('reserved', 'cancelled', 'moved_in')),
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX reservations_business ON reservations (business_id, id);

CREATE TABLE orders (
    id                 TEXT PRIMARY KEY,
    business_id        TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_id        TEXT REFERENCES customers(id) ON DELETE SET NULL,
    conversation_id    TEXT REFERENCES conversations(id) ON DELETE SET NULL,
    lines              TEXT NOT NULL,
    fulfillment        TEXT NOT NULL CHECK (fulfillment IN ('pickup', 'delivery')),
    address            TEXT,
    subtotal_cents     BIGINT NOT NULL,
    delivery_fee_cents BIGINT NOT NULL,
    total_cents        BIGINT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('received', 'preparing', 'ready', 'out_for_delivery', 'completed', 'cancelled')),
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX orders_business ON orders (business_id, id);

-- Messages callers leave for the business.
CREATE TABLE caller_messages (
    id              TEXT PRIMARY KEY,
    business_id     TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_id     TEXT REFERENCES customers(id) ON DELETE SET NULL,
    conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
    name            TEXT,
    phone           TEXT,
    text            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('new', 'done')),
    created_at      BIGINT NOT NULL
);
CREATE INDEX caller_messages_business ON caller_messages (business_id, id);

CREATE TABLE unanswered_questions (
    id              TEXT PRIMARY KEY,
    business_id     TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
    question        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'answered', 'dismissed')),
    created_at      BIGINT NOT NULL
);
CREATE INDEX unanswered_questions_business ON unanswered_questions (business_id, id);

-- A customer's timeline: one entry for everything the agent did for them.
CREATE TABLE activities (
    id              TEXT PRIMARY KEY,
    business_id     TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_id     TEXT REFERENCES customers(id) ON DELETE CASCADE,
    conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
    kind            TEXT NOT NULL,
    summary         TEXT NOT NULL,
    detail          TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX activities_customer ON activities (business_id, customer_id, id);
