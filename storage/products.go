package storage

import (
	"context"
	"database/sql"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// SeedProducts are the shop's five products (KummyShop 庫米狗屋).
var SeedProducts = []shop.Product{
	{SKU: "bone-matcha", NameZH: "抹茶狗骨頭", NameEN: "Matcha dog bone", Price: 750},
	{SKU: "suit-dachshund", NameZH: "臘腸狗專用晚宴西裝", NameEN: "Dachshund dinner suit", Price: 4900},
	{SKU: "bowl-hiphop", NameZH: "潮流嘻哈喝水碗", NameEN: "Hip-hop water bowl", Price: 1200},
	{SKU: "food-chicken-10kg", NameZH: "小型屁孩犬雞肉飼料(10KG裝)", NameEN: "Chicken food for small rascals (10 kg)", Price: 3500},
	{SKU: "blanket-allseason", NameZH: "冬涼夏熱毛孩專用萬用毯", NameEN: "All-season pet blanket", Price: 1799},
}

// SeedProducts inserts the catalogue's products that are missing, by SKU.
func (db *DB) SeedProducts(ctx context.Context, products []shop.Product) error {
	for i, p := range products {
		_, err := db.q().ExecContext(ctx, `INSERT INTO products (sku, name_zh, name_en, price, sort)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sku) DO NOTHING`, p.SKU, p.NameZH, p.NameEN, int64(p.Price), i)
		if err != nil {
			return mapErr(err, "seed products")
		}
	}
	return nil
}

const productColumns = `id, sku, name_zh, name_en, price, desc_zh, desc_en, visible, sort, stock`

func scanProduct(row interface{ Scan(...any) error }) (shop.Product, error) {
	var p shop.Product
	var price int64
	var visible int
	var stock sql.NullInt64
	err := row.Scan(&p.ID, &p.SKU, &p.NameZH, &p.NameEN, &price, &p.DescZH, &p.DescEN, &visible, &p.Sort, &stock)
	p.Price, p.Hidden, p.Counted, p.Stock = shop.Money(price), visible == 0, stock.Valid, int(stock.Int64)
	return p, err
}

// Products lists the catalogue as sold, in display order: the visible
// products only. Checkout prices a cart from it, so a hidden product
// cannot be bought.
func (db *DB) Products(ctx context.Context) ([]shop.Product, error) {
	return db.products(ctx, `WHERE visible <> 0`)
}

// AllProducts lists every product, hidden ones too, for the back office.
func (db *DB) AllProducts(ctx context.Context) ([]shop.Product, error) {
	return db.products(ctx, ``)
}

func (db *DB) products(ctx context.Context, where string) ([]shop.Product, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT `+productColumns+` FROM products `+where+` ORDER BY sort, id`)
	if err != nil {
		return nil, mapErr(err, "products")
	}
	defer rows.Close()
	var out []shop.Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, mapErr(err, "products")
		}
		out = append(out, p)
	}
	return out, mapErr(rows.Err(), "products")
}

// Product returns one product by id, hidden or not; NotFound when there
// is none.
func (db *DB) Product(ctx context.Context, id int64) (shop.Product, error) {
	p, err := scanProduct(db.q().QueryRowContext(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1`, id))
	return p, mapErr(err, "product")
}

// ProductBySKU returns one product by SKU, hidden or not; NotFound when
// there is none.
func (db *DB) ProductBySKU(ctx context.Context, sku string) (shop.Product, error) {
	p, err := scanProduct(db.q().QueryRowContext(ctx, `SELECT `+productColumns+` FROM products WHERE sku = $1`, sku))
	return p, mapErr(err, "product")
}

func visibleInt(p shop.Product) int {
	if p.Hidden {
		return 0
	}
	return 1
}

// CreateProduct adds a product (checked by the caller); a taken SKU is a
// Conflict (product.sku_taken).
func (db *DB) CreateProduct(ctx context.Context, p shop.Product) (int64, error) {
	var id int64
	err := db.q().QueryRowContext(ctx, `INSERT INTO products (sku, name_zh, name_en, price, desc_zh, desc_en, visible, sort, stock)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		p.SKU, p.NameZH, p.NameEN, int64(p.Price), p.DescZH, p.DescEN, visibleInt(p), p.Sort, stockArg(p)).Scan(&id)
	if err != nil {
		err = mapErr(err, "create product")
		if shop.IsCode(err, shop.Conflict) {
			return 0, shop.Wrap(shop.Conflict, "product.sku_taken", err, "SKU %s taken", p.SKU)
		}
		return 0, err
	}
	return id, nil
}

// UpdateProduct changes a product's names, descriptions, price, order,
// visibility and stock (its SKU stays): the stock given is what is left
// to sell from now on, orders already placed holding theirs. Orders placed before keep the names and
// prices they were bought at: order lines hold their own.
func (db *DB) UpdateProduct(ctx context.Context, p shop.Product) error {
	res, err := db.q().ExecContext(ctx, `UPDATE products SET name_zh = $1, name_en = $2, price = $3, desc_zh = $4, desc_en = $5,
		visible = $6, sort = $7, stock = $8 WHERE id = $9`,
		p.NameZH, p.NameEN, int64(p.Price), p.DescZH, p.DescEN, visibleInt(p), p.Sort, stockArg(p), p.ID)
	if err != nil {
		return mapErr(err, "update product")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return shop.Errorf(shop.NotFound, "error.not_found", "product %d", p.ID)
	}
	return nil
}

// SetProductPicture stores a product's photo (both sizes), replacing the
// one it had.
func (db *DB) SetProductPicture(ctx context.Context, productID int64, tag string, thumb, page []byte, now time.Time) error {
	_, err := db.q().ExecContext(ctx, `INSERT INTO product_pictures (product_id, tag, thumb, page, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (product_id) DO UPDATE SET tag = excluded.tag, thumb = excluded.thumb, page = excluded.page, updated_at = excluded.updated_at`,
		productID, tag, thumb, page, ms(now))
	return mapErr(err, "store product picture")
}

// PictureTags returns the tag of every product's photo, by product id:
// the catalogue's pages name the pictures by it.
func (db *DB) PictureTags(ctx context.Context) (map[int64]string, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT product_id, tag FROM product_pictures`)
	if err != nil {
		return nil, mapErr(err, "picture tags")
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var tag string
		if err := rows.Scan(&id, &tag); err != nil {
			return nil, mapErr(err, "picture tags")
		}
		out[id] = tag
	}
	return out, mapErr(rows.Err(), "picture tags")
}

// ProductPicture returns one size ("thumb" or "page") of a product's
// photo and its tag; NotFound when it has none.
func (db *DB) ProductPicture(ctx context.Context, productID int64, size string) ([]byte, string, error) {
	col := "thumb"
	if size == "page" {
		col = "page"
	}
	var b []byte
	var tag string
	err := db.q().QueryRowContext(ctx, `SELECT `+col+`, tag FROM product_pictures WHERE product_id = $1`, productID).Scan(&b, &tag)
	return b, tag, mapErr(err, "product picture")
}

// stockArg is the stock column's value: NULL when not counted.
func stockArg(p shop.Product) any {
	if !p.Counted {
		return nil
	}
	return int64(p.Stock)
}
