-- One-time links e-mailed to a person: a password reset, or an invitation to a business (set a
-- password and sign in). Only the token's hash is kept; a link works once, until it expires.
CREATE TABLE account_links (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('reset', 'invite')),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX account_links_user ON account_links (user_id);
