package web

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sinopay/sinopay/shop"
)

// pageStatus is the answer of the status URLs the waiting pages ask (see
// view.Poll): Version changes whenever what the page shows would, and
// Next, when set, is where the browser goes on to.
type pageStatus struct {
	Version string `json:"version"`
	Next    string `json:"next,omitempty"`
}

// orderVersion is what an order's pages show of its state, in one string.
func orderVersion(o *shop.Order) string {
	return fmt.Sprintf("%s.%s.%d.%d", o.Status, o.Bank.State, o.Refunded, o.UpdatedAt.UnixMilli())
}

// orderStatus answers GET /orders/{no}/status: the version of one of the
// customer's orders, for its pages to follow the payment. Like the pages,
// it is the owner's only: anyone else, logged in or not, gets 404.
func (s *Server) orderStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	c, err := s.who(ctx, r)
	if err != nil {
		s.statusError(w, err)
		return
	}
	o, err := s.db.CustomerOrderHead(ctx, c.ID, r.PathValue("no"))
	if err != nil {
		s.statusError(w, err)
		return
	}
	writeStatus(w, pageStatus{Version: orderVersion(o)})
}

// paymentStatus answers GET /payments/{ref}/status for the page that
// waits for a card return's confirmation: once the bank has answered
// about an order, the order's result is next.
func (s *Server) paymentStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	delivery, err := s.db.PayTokenByRef(ctx, r.PathValue("ref"))
	if err != nil {
		s.statusError(w, err)
		return
	}
	st := pageStatus{Version: "waiting"}
	switch {
	case delivery.Processed() && delivery.OrderNo != "":
		st.Version, st.Next = "done", s.resultURL(ctx, delivery.OrderNo)
	case delivery.Processed():
		st.Version = "unconfirmed"
	}
	writeStatus(w, st)
}

func writeStatus(w http.ResponseWriter, st pageStatus) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(st)
}

// statusError answers a status request that failed: 404 for what is not
// the visitor's (or not logged in), 503 for the rest, with no body worth
// reading: the page keeps what it shows and asks again later.
func (s *Server) statusError(w http.ResponseWriter, err error) {
	status := http.StatusServiceUnavailable
	switch shop.ErrorCode(err) {
	case shop.NotFound, shop.Unauthorized:
		status = http.StatusNotFound
	default:
		s.log.Warn("status request failed", "error", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte("{}\n"))
}
