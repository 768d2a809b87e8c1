-- What was texted to one address lately, counted before each send: the cap on texts to one
-- person per hour reads this index, not the table.
CREATE INDEX text_messages_recipient ON text_messages (business_id, to_address, created_at);
