-- +goose Up
-- The catalogue is the merchant's: a description in each language, and
-- whether the product is shown and sold (hidden products stay in old
-- orders, which keep their own names and prices).
ALTER TABLE products ADD COLUMN desc_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN desc_en TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN visible INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE products DROP COLUMN visible;
ALTER TABLE products DROP COLUMN desc_en;
ALTER TABLE products DROP COLUMN desc_zh;
