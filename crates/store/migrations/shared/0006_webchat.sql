-- The public key that the web chat widget on a business's site carries: it allows chatting with
-- that business and nothing else. Set on first use; replaced to revoke a leaked one.
ALTER TABLE businesses ADD COLUMN widget_key TEXT;
CREATE UNIQUE INDEX businesses_widget_key ON businesses (widget_key);
