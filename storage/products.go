package storage

import (
	"context"

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

// Products lists the catalogue in display order.
func (db *DB) Products(ctx context.Context) ([]shop.Product, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT id, sku, name_zh, name_en, price FROM products ORDER BY sort, id`)
	if err != nil {
		return nil, mapErr(err, "products")
	}
	defer rows.Close()
	var out []shop.Product
	for rows.Next() {
		var p shop.Product
		var price int64
		if err := rows.Scan(&p.ID, &p.SKU, &p.NameZH, &p.NameEN, &price); err != nil {
			return nil, mapErr(err, "products")
		}
		p.Price = shop.Money(price)
		out = append(out, p)
	}
	return out, mapErr(rows.Err(), "products")
}
