-- The dashboard's day at a glance counts a business's records by when they were made: each
-- count reads only the day's rows.
CREATE INDEX conversations_business_created ON conversations (business_id, created_at, channel);
CREATE INDEX appointments_business_created ON appointments (business_id, created_at);
CREATE INDEX reservations_business_created ON reservations (business_id, created_at);
CREATE INDEX orders_business_created ON orders (business_id, created_at, status, total_cents);
CREATE INDEX caller_messages_business_created ON caller_messages (business_id, created_at);
CREATE INDEX unanswered_business_created ON unanswered_questions (business_id, created_at);
