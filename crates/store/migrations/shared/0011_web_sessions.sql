-- Dashboard sign-ins: a browser holds a random session id in an HttpOnly cookie; only its hash
-- is kept here, with the token every form of the session must carry (CSRF).
CREATE TABLE web_sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
