package funbiz

import (
	"context"
	"net/http"
	"time"
)

// DefaultReturnWait is how long a ReturnHandler waits for the bank by
// default: a browser is waiting.
const DefaultReturnWait = 5 * time.Second

// ReturnHandler serves the ReturnURL of card orders: the bank's card page
// sends the buyer's browser there with a form POST of ShopNo and PayToken,
// whatever the outcome. Anyone can post that form, with any PayToken, so
// the handler believes only the bank: it parses the form (400 on bad
// input or another shop's ShopNo), confirms the token with ConfirmToken
// within Wait, hands the verdict to Apply, and sends the browser on with
// a 303 to the URL Apply returns (post, redirect, get).
//
// The verdict is always about the order the bank names, never one named
// by the ReturnURL: the PayToken of a paid cheap order posted to an
// expensive order's page confirms the cheap one again and nothing else.
// So the ReturnURL needs no order number at all.
//
// The post is cross-site: exempt this path from cross-origin protection
// (it changes nothing without the bank's word) and do not expect the
// buyer's session cookie on it (SameSite=Lax keeps it off); the page the
// 303 leads to, a plain GET, gets the cookie again.
//
// Client, Lookup and Apply are required. A ReturnHandler is safe for
// concurrent use once its fields are set.
type ReturnHandler struct {
	// Client asks the bank; its ShopNo is the only one accepted.
	Client *Client
	// Lookup finds the order the bank names, as for ConfirmToken.
	Lookup OrderLookup
	// Apply records the verdict on c.OrderNo (paid, failed, or a mismatch
	// to put before a person) and returns where to send the browser,
	// typically that order's page. It may be called again with the same
	// verdict (a reload, the notification of the same payment): make it
	// idempotent. Its error sends the browser to Unconfirmed.
	Apply func(ctx context.Context, c *Confirmation) (redirect string, err error)
	// Unconfirmed returns where to send the browser when there is no
	// verdict to apply: the bank did not answer within Wait or Lookup
	// failed (Temporary(err): show a page that waits and asks again, and
	// keep n.PayToken for a worker), the bank knows no such token
	// (ErrUnknownToken), the answer does not belong to this shop's orders
	// (ErrMismatch), or Apply failed. Nil answers those with a plain-text
	// 503 (temporary) or 400.
	Unconfirmed func(ctx context.Context, n Notification, err error) (redirect string)
	// Wait bounds the bank's answer and the lookup; 0 means
	// DefaultReturnWait.
	Wait time.Duration
}

// ServeHTTP handles one return.
func (h *ReturnHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.Client == nil || h.Lookup == nil || h.Apply == nil {
		http.Error(w, "funbiz.ReturnHandler: Client, Lookup and Apply are required", http.StatusInternalServerError)
		return
	}
	n, err := ParseReturn(r)
	if err == nil && n.ShopNo != h.Client.ShopNo() {
		err = invalid("ShopNo", "return is for shop %q, not ours", n.ShopNo)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	wait := h.Wait
	if wait <= 0 {
		wait = DefaultReturnWait
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	c, err := h.Client.ConfirmToken(ctx, n.PayToken, h.Lookup)
	cancel()
	if err == nil {
		var to string
		if to, err = h.Apply(r.Context(), c); err == nil {
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
	}
	if h.Unconfirmed != nil {
		http.Redirect(w, r, h.Unconfirmed(r.Context(), n, err), http.StatusSeeOther)
		return
	}
	if Temporary(err) {
		http.Error(w, "The payment is not confirmed yet; see your order page in a moment.", http.StatusServiceUnavailable)
		return
	}
	http.Error(w, "This payment could not be confirmed.", http.StatusBadRequest)
}
