-- Analytics reads what a business's callers wanted over a date range: only the messages read
-- with an intent, by time. A customer's page lists their conversations.
CREATE INDEX conversation_messages_business_intents ON conversation_messages (business_id, created_at)
    WHERE role = 'caller' AND intent IS NOT NULL;
CREATE INDEX conversations_business_customer ON conversations (business_id, customer_id, id);
