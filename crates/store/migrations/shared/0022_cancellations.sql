-- Who called an appointment off (the caller through the agent, the customer by their link, or
-- staff in the dashboard or the API) and why, when they said.
ALTER TABLE appointments ADD COLUMN cancelled_by TEXT CHECK (cancelled_by IN ('caller', 'customer', 'staff'));
ALTER TABLE appointments ADD COLUMN cancel_reason TEXT;
