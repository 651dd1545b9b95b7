-- +goose Up
-- An order line keeps the product's name in both languages, so that its
-- pages show the name in the page's language. name stays what it was:
-- the name sent to the bank (the shop's primary language). Lines made
-- before this migration take both names from the catalogue; a version
-- still running during a rolling deploy writes neither, and its lines
-- show name in both languages.
ALTER TABLE order_items ADD COLUMN name_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE order_items ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
UPDATE order_items SET
    name_zh = COALESCE((SELECT p.name_zh FROM products p WHERE p.id = order_items.product_id), ''),
    name_en = COALESCE((SELECT p.name_en FROM products p WHERE p.id = order_items.product_id), '');

-- +goose Down
ALTER TABLE order_items DROP COLUMN name_en;
ALTER TABLE order_items DROP COLUMN name_zh;
