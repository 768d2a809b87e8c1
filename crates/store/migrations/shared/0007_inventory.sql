-- Storage-unit inventory, out of the profile document: how many units of each type are free,
-- changed only by reservations, releases and explicit owner adjustments (an import that gives
-- `available` is one), each change recorded. A unit type with no row yet counts what its
-- profile says.
CREATE TABLE unit_inventory (
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    unit_type   TEXT NOT NULL,
    available   BIGINT NOT NULL CHECK (available >= 0),
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (business_id, unit_type)
);

CREATE TABLE inventory_adjustments (
    id          TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    unit_type   TEXT NOT NULL,
    -- What changed the count.
    reason      TEXT NOT NULL CHECK (reason IN ('reservation', 'release', 'owner', 'import')),
    -- The count before and after.
    before      BIGINT NOT NULL,
    after       BIGINT NOT NULL,
    -- The reservation, or who adjusted it ("user:…", "api_key:…", "cli").
    reference   TEXT,
    note        TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX inventory_adjustments_business ON inventory_adjustments (business_id, id);
