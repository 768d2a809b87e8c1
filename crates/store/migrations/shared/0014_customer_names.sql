-- The dashboard lists customers by name a page at a time: the index is in that order.
CREATE INDEX customers_business_name ON customers (business_id, (lower(coalesce(name, ''))), id);
