-- Analytics reads a business's callers' messages of a date range (what they wanted): the
-- index is in that order.
CREATE INDEX conversation_messages_business_created ON conversation_messages (business_id, created_at);
