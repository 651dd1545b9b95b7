package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// merchantDay is what a merchant does to open for business, end to end:
// they add a product with a photo and a stock of two; a customer on the
// scenario's screen finds it, buys both with a delivery address, and is
// written to (the outbox, with no SMTP server); the product is sold out;
// the merchant ships the order with a tracking number, and the customer
// sees it.
func merchantDay(t *testing.T, e *adminEnv, s *shots) {
	sku := "harness-" + strconv.FormatInt(int64(len(e.admin)+os.Getpid()), 36)
	photo := filepath.Join(t.TempDir(), "harness.png")
	img := image.NewRGBA(image.Rect(0, 0, 900, 600))
	for y := range 600 {
		for x := range 900 {
			img.Set(x, y, color.RGBA{uint8(x / 4), 90, uint8(y / 3), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	a := e.newTab(t, s, "merchant")
	a.logIn(e.app.URL, e.admin, "/admin/products")
	a.clickNav("new product", "#new-product", 200)
	a.fillInput("sku", sku)
	a.fillInput("price", "0")
	a.fillInput("name_zh", "反光胸背帶")
	a.fillInput("name_en", "Reflective harness")
	a.fillInput("stock", "2")
	a.do("describe it", chromedp.SendKeys(chromedp.ID("desc_zh"), "夜間散步更安全。\n尺寸 S–L。"))
	a.do("choose the photo", chromedp.SetUploadFiles(chromedp.ID("picture"), []string{photo}))
	a.clickNav("save with a price of 0", "#save", 400)
	a.waitFor("the price refused beside its field", `document.querySelector("#price.is-invalid") && document.getElementById("price-error")`)
	a.shot("product-refused")
	a.fillInput("price", "890")
	a.do("choose the photo again", chromedp.SetUploadFiles(chromedp.ID("picture"), []string{photo}))
	a.clickNav("save the product", "#save", 200)
	a.waitFor("the product listed", fmt.Sprintf(`document.querySelector('#products tr[data-sku=%q] [data-stock="2"]')`, sku))
	a.shot("products")

	c := e.newTab(t, s, "customer")
	c.signUp(e.app.URL, newEmail("harness"))
	c.open(e.app.URL+"/products/"+sku, 200)
	c.waitFor("the product's page with its photo", `document.getElementById("photo")?.complete && document.getElementById("photo").naturalWidth === 900`)
	c.shot("product-page")
	c.noSidewaysScroll("the product's page")
	qty, err := eval[string](c, `document.querySelector("#buy input[type=number]").id`)
	if err != nil {
		c.fatalf("no quantity on the product's page: %v", err)
	}
	c.fillInput(qty, "2")
	c.clickNav("buy two", `#buy button[type=submit]`, 200)
	no := c.payWith("card")
	c.clickNav("go to the bank's card page", "a#card-pay", 200)
	c.payByCard(cardSuccess, "-"+no)
	c.waitFor("the green result page", resultIs(e.app.URL, no, "success"))

	c.open(e.app.URL+"/products/"+sku, 200)
	c.waitFor("the product sold out", `document.getElementById("sold-out")`)
	c.shot("sold-out")

	a.open(e.app.URL+"/admin/mail", 200)
	a.reloadUntil("the customer's paid message", e.app.URL+"/admin/mail",
		fmt.Sprintf(`[...document.querySelectorAll('#mails tr[data-kind="paid"]')].some(r => r.innerText.includes(%s))`, jsString(no)))
	a.open(e.app.URL+"/admin/orders/"+no, 200)
	a.fillInput("carrier", "黑貓宅急便")
	a.fillInput("tracking", "6201-2233-4455")
	a.clickNav("mark shipped", "button#ship", 200)
	a.waitFor("shipped", `document.getElementById("shipped")`)

	c.open(e.app.URL+"/orders/"+no, 200)
	c.waitFor("the customer sees the tracking number", `document.getElementById("shipped")?.innerText.includes("6201-2233-4455")`)
	c.shot("order-shipped")
	c.noSidewaysScroll("the shipped order")
}
