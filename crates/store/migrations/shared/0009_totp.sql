-- An optional second factor per user (RFC 6238 TOTP): the secret, sealed by the server; whether
-- it is confirmed and required at sign-in; and the last time step used, so no code works twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
