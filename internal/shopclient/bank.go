package shopclient

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

// Ack is the answer with which a shop acknowledges a notification.
var Ack = string(funbiz.Ack)

// Bank posts the bank's two callbacks to a shop: the notification, as the
// bank's server sends it, and the return, as the customer's browser
// brings it back from the bank's card page. Both go without cookies and
// cross-site; redirects are not followed. Safe for concurrent use.
type Bank struct {
	shopNo string
	hc     *http.Client
}

// NewBank posts callbacks for the merchant shopNo through a copy of hc
// that follows no redirect; a nil hc gives up on a request after 30
// seconds.
func NewBank(shopNo string, hc *http.Client) *Bank {
	return &Bank{shopNo: shopNo, hc: noRedirects(hc, 30*time.Second)}
}

// NotificationBody is the body of the bank's notification of payToken.
func NotificationBody(shopNo, payToken string) string {
	b, _ := json.Marshal(funbiz.Notification{ShopNo: shopNo, PayToken: payToken})
	return string(b)
}

// Notify posts the bank's notification of payToken to the shop at shopURL
// and returns the HTTP status and the body (Ack when the shop recorded
// it).
func (b *Bank) Notify(ctx context.Context, shopURL, payToken string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, shopURL+"/funbiz/notify", strings.NewReader(NotificationBody(b.shopNo, payToken)))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, body, err := b.send(req)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, body, nil
}

// Return posts the card page's return of payToken (a cross-site form post
// from the bank's page) to the shop at shopURL and returns the HTTP status
// and the Location it redirects to.
func (b *Bank) Return(ctx context.Context, shopURL, payToken string) (int, string, error) {
	form := url.Values{"ShopNo": {b.shopNo}, "PayToken": {payToken}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, shopURL+"/funbiz/return", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, _, err := b.send(req)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, resp.Header.Get("Location"), nil
}

func (b *Bank) send(req *http.Request) (*http.Response, string, error) {
	resp, err := b.hc.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(raw), err
}
