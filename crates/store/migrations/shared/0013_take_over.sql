-- Take-over: a member of the business replies by hand on a text or chat thread and the agent
-- stays silent on it until handed back. `held_by` is who holds the thread; a message a person
-- wrote carries its author (NULL: the agent wrote it, or the caller).
ALTER TABLE conversations ADD COLUMN held_by TEXT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN held_at BIGINT;
ALTER TABLE conversation_messages ADD COLUMN author_id TEXT REFERENCES users(id) ON DELETE SET NULL;
