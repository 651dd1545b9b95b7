-- +goose Up
-- Where an order's goods go: the recipient, their mobile phone and the
-- address, as the customer gave them at checkout ('' on orders placed
-- before the checkout asked).
ALTER TABLE orders ADD COLUMN ship_name TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN ship_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN ship_postal TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN ship_city TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN ship_district TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN ship_street TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders DROP COLUMN ship_street;
ALTER TABLE orders DROP COLUMN ship_district;
ALTER TABLE orders DROP COLUMN ship_city;
ALTER TABLE orders DROP COLUMN ship_postal;
ALTER TABLE orders DROP COLUMN ship_phone;
ALTER TABLE orders DROP COLUMN ship_name;
