-- +goose Up
-- A product's photo in the two sizes the shop serves, in the database so
-- that every instance on it serves the same; tag names the content (it
-- is in the picture's URL, cached for good).
CREATE TABLE product_pictures (
    product_id BIGINT NOT NULL PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    tag        TEXT   NOT NULL,
    thumb      BLOB   NOT NULL,
    page       BLOB   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE product_pictures;
