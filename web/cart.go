package web

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/sinopay/sinopay/shop"
)

// qtyPrefix starts the form field of a product's quantity: q_<productID>.
const qtyPrefix = "q_"

// parseCart reads the cart lines from form values q_<productID>=n. Empty
// quantities are skipped; anything else that is not a whole number is an
// error. Unknown product ids and ranges are left to shop.PriceCart.
func parseCart(form url.Values) ([]shop.CartLine, error) {
	var lines []shop.CartLine
	for name, vals := range form {
		idText, ok := strings.CutPrefix(name, qtyPrefix)
		if !ok {
			continue
		}
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			return nil, shop.Errorf(shop.Invalid, "cart.unknown_product", "product %q", idText)
		}
		for _, v := range vals {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, shop.Errorf(shop.Invalid, "cart.bad_quantity", "quantity %q", v)
			}
			lines = append(lines, shop.CartLine{ProductID: id, Qty: n})
		}
	}
	// Map order is random; the catalogue order of PriceCart's result must
	// not depend on it, so sort by product.
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].ProductID < lines[j].ProductID })
	return lines, nil
}

// backToCart is the checkout page of the cart in form, for the link on an
// error page: the visitor goes back to the same cart and chooses again.
func backToCart(form url.Values) string {
	q := url.Values{}
	for name, vals := range form {
		if strings.HasPrefix(name, qtyPrefix) {
			q[name] = vals
		}
	}
	if len(q) == 0 {
		return "/"
	}
	return "/checkout?" + q.Encode()
}

// cartQuery is the query string of a cart, q_<productID>=n, so the
// catalogue can be shown again with the same quantities.
func cartQuery(items []shop.Item) string {
	q := url.Values{}
	for _, it := range items {
		q.Set(qtyPrefix+strconv.FormatInt(it.ProductID, 10), strconv.Itoa(it.Qty))
	}
	return q.Encode()
}
