-- Which language model read a caller's turn or phrased an agent's reply (LLM mode); NULL when
-- the built-in engine did.
ALTER TABLE conversation_messages ADD COLUMN model TEXT;
