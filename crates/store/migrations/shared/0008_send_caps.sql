-- Read before every send: what was texted to one address lately (the hourly cap, and the
-- order of a conversation's texts), answered from the index alone.
CREATE INDEX text_messages_recipient
    ON text_messages (business_id, to_address, created_at, direction, status, segments);
-- When a notice of one kind last went out (new-lead alerts go at most once in a while).
CREATE INDEX text_messages_purpose ON text_messages (business_id, purpose, created_at);
CREATE INDEX emails_purpose ON emails (business_id, purpose, created_at);
-- What one business sent lately (its daily budget).
CREATE INDEX text_messages_sent
    ON text_messages (business_id, created_at, direction, status, segments);
