package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The bank notifies a BackendURL with a POST of {"ShopNo","PayToken"} and
// counts it received only on HTTP 200 with a JSON body whose Status is
// "S"; otherwise it resends every NotifyInterval and gives up after
// NotifyAttempts failures (PROTOCOL §9.1). The sandbox notifies for every
// payment attempt, failed ones too, because a merchant's handler must
// cope with a token whose payment failed.

// scheduleLocked creates the delivery of a PayToken, applying any armed
// notification chaos. It returns the deliveries it created.
func (s *Sandbox) scheduleLocked(o *order, payToken string, at time.Time, note string) []*delivery {
	if o.BackendURL == "" {
		return nil
	}
	d := s.newDeliveryLocked(o, payToken, at, note)
	out := []*delivery{d}
	if c, ok := s.chaos.takeNotify(o.key()); ok {
		switch c.Mode {
		case chaosNotifyDelay:
			d.NextAt = at.Add(c.Delay)
			d.Note = fmt.Sprintf("delayed %s (chaos)", c.Delay)
		case chaosNotifyDrop:
			d.State, d.NextAt = deliveryDropped, time.Time{}
			d.Note = "dropped (chaos): never sent; the merchant must find the payment with OrderQuery"
		case chaosNotifyDuplicate:
			dup := s.newDeliveryLocked(o, payToken, at, "duplicate (chaos)")
			out = append(out, dup)
		case chaosNotifyReorder:
			wait := c.Delay
			if wait <= 0 {
				wait = s.opts.NotifyInterval
			}
			d.Held, d.NextAt = true, at.Add(wait)
			d.Note = "held for reorder (chaos): sent after the next notification of this order"
		}
	}
	return out
}

func (s *Sandbox) newDeliveryLocked(o *order, payToken string, at time.Time, note string) *delivery {
	s.nextDelivery++
	d := &delivery{
		ID: s.nextDelivery, ShopNo: o.ShopNo, OrderNo: o.OrderNo, PayToken: payToken, URL: o.BackendURL,
		Created: at, NextAt: at, State: deliveryPending, Note: note,
	}
	s.deliveries = append(s.deliveries, d)
	return d
}

// loop runs due work whenever woken or when the next due time comes. The
// wait is capped so that a clock that is not the wall clock is still
// looked at now and then.
func (s *Sandbox) loop() {
	defer close(s.done)
	for {
		s.RunDue()
		wait := time.Minute
		if next, ok := s.nextDue(); ok {
			wait = min(max(next.Sub(s.Now()), 5*time.Millisecond), time.Minute)
		}
		t := time.NewTimer(wait)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (s *Sandbox) nextDue() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next, ok := s.nextTimedLocked()
	for _, d := range s.deliveries {
		if d.State == deliveryPending && (!ok || d.NextAt.Before(next)) {
			next, ok = d.NextAt, true
		}
	}
	return next, ok
}

// RunDue does, now, everything the sandbox clock has made due: ATM
// auto-payments, scheduled captures, and notification attempts. It returns
// when every due attempt has been made. The background loop calls it; so
// do Advance and tests that want notifications sent before they look.
func (s *Sandbox) RunDue() {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	// Sending can make more work due (a held "reorder" delivery is released
	// by its sibling), so go round until nothing is left, a few times at most.
	for range 8 {
		if s.ctx.Err() != nil {
			return
		}
		now := s.Now()
		s.mu.Lock()
		s.runTimedLocked(now)
		var due []*delivery
		for _, d := range s.deliveries {
			if d.State == deliveryPending && !d.NextAt.After(now) {
				due = append(due, d)
			}
		}
		// Copies go to the senders: the originals are only touched under mu.
		batches := map[orderKey][]delivery{}
		var keys []orderKey
		slices.SortStableFunc(due, func(a, b *delivery) int { return a.NextAt.Compare(b.NextAt) })
		for _, d := range due {
			k := orderKey{d.ShopNo, d.OrderNo}
			if _, ok := batches[k]; !ok {
				keys = append(keys, k)
			}
			batches[k] = append(batches[k], *d)
		}
		s.mu.Unlock()
		if len(due) == 0 {
			return
		}
		// One goroutine per order: an order's notifications go in order,
		// and a slow receiver holds up only its own orders.
		var wg sync.WaitGroup
		for _, k := range keys {
			wg.Go(func() {
				for _, d := range batches[k] {
					if !s.attemptDelivery(d) {
						return
					}
				}
			})
		}
		wg.Wait()
	}
}

// attemptDelivery sends one delivery and records the attempt. It reports
// false when the sandbox is closing: the attempt is then not recorded, so
// the delivery stays pending in the database and goes out after a restart.
func (s *Sandbox) attemptDelivery(d delivery) bool {
	at := s.Now()
	a, aborted := s.send(d)
	if aborted {
		return false
	}
	a.At = at
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.deliveries, func(x *delivery) bool { return x.ID == d.ID })
	if i < 0 { // reset while sending
		return true
	}
	cur := s.deliveries[i]
	cur.Attempts = append(cur.Attempts, a)
	changed := []*delivery{cur}
	if a.OK {
		cur.State, cur.NextAt = deliveryDelivered, time.Time{}
	} else {
		cur.Failures++
		if cur.Failures >= s.opts.NotifyAttempts {
			cur.State, cur.NextAt = deliveryGaveUp, time.Time{}
		} else {
			cur.NextAt = at.Add(s.opts.NotifyInterval)
		}
	}
	cur.Held = false
	// A notification of this order went out: release any held for reorder.
	for _, x := range s.deliveries {
		if x.Held && x.ID != cur.ID && x.ShopNo == cur.ShopNo && x.OrderNo == cur.OrderNo && x.State == deliveryPending {
			x.Held, x.NextAt = false, at
			changed = append(changed, x)
		}
	}
	s.persist(writeSet{deliveries: changed})
	s.log.Info("sandbox notification", "shop", d.ShopNo, "order", d.OrderNo, "delivery", d.ID,
		"attempt", len(cur.Attempts), "ok", a.OK, "http_status", a.HTTPStatus, "latency", a.Latency, "problem", a.Problem)
	return true
}

// maxKeptBody is how much of a receiver's answer an attempt keeps.
const maxKeptBody = 512

// send posts one notification and judges the answer. aborted reports an
// attempt cut off because the sandbox is closing: it did not happen.
func (s *Sandbox) send(d delivery) (a attempt, aborted bool) {
	body, _ := json.Marshal(struct{ ShopNo, PayToken string }{d.ShopNo, d.PayToken})
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return attempt{Error: err.Error(), Problem: "the BackendURL cannot be requested: " + err.Error()}, false
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Sinopay-Sandbox", "true")
	req.Header.Set("User-Agent", "sinopay-sandbox")
	start := time.Now()
	resp, err := s.httpc.Do(req)
	if err != nil {
		if s.ctx.Err() != nil {
			return attempt{}, true
		}
		return attempt{Latency: time.Since(start), Error: err.Error(), Problem: "the receiver could not be reached or did not answer in time: " + err.Error()}, false
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	a = attempt{HTTPStatus: resp.StatusCode, Latency: time.Since(start), Body: keepBody(raw)}
	a.OK, a.Problem = judge(resp, raw)
	return a, false
}

func keepBody(b []byte) string {
	if len(b) <= maxKeptBody {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	cut := maxKeptBody
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return strings.ToValidUTF8(string(b[:cut]), "\uFFFD") + "…"
}

// judge decides whether an answer acknowledges a notification, and if not,
// says in words what the bank saw, so a merchant can fix the receiver.
func judge(resp *http.Response, body []byte) (ok bool, problem string) {
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	looksHTML := mt == "text/html" || bytes.HasPrefix(trimmed, []byte("<"))
	const want = `only HTTP 200 with the JSON body {"Status":"S"} counts as received`
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return false, fmt.Sprintf("answered a redirect (HTTP %d to %q): the bank does not follow redirects; serve the BackendURL itself (check http→https, a trailing slash or a login redirect)", resp.StatusCode, resp.Header.Get("Location"))
	case resp.StatusCode != http.StatusOK && looksHTML:
		return false, fmt.Sprintf("answered HTTP %d with an HTML page: %s", resp.StatusCode, want)
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Sprintf("answered HTTP %d: %s", resp.StatusCode, want)
	case looksHTML:
		return false, fmt.Sprintf("answered HTTP 200 with HTML (Content-Type %q), not JSON: is the BackendURL a page, or behind a login? %s", ct, want)
	case len(trimmed) == 0:
		return false, "answered HTTP 200 with an empty body: " + want
	}
	var ack struct{ Status any }
	if err := json.Unmarshal(trimmed, &ack); err != nil {
		return false, "answered HTTP 200, but the body is not a JSON object: " + want
	}
	if ack.Status != "S" {
		return false, fmt.Sprintf("answered Status %v: %s", jsonText(ack.Status), want)
	}
	return true, ""
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Resend sends a PayToken's notification again, now, as a new delivery
// (the bank's merchant portal has such a button). It returns the delivery
// after its first attempt. It fails (*Error) for an unknown token or an
// order without a BackendURL.
func (s *Sandbox) Resend(payToken string) (DeliveryView, error) {
	s.mu.Lock()
	p := s.payments[payToken]
	if p == nil {
		s.mu.Unlock()
		return DeliveryView{}, errNotFound("no payment has PayToken %s", payToken)
	}
	o := s.orders[orderKey{p.ShopNo, p.OrderNo}]
	if o.BackendURL == "" {
		s.mu.Unlock()
		return DeliveryView{}, errConflict("no-backend-url", "order %s has no BackendURL to notify", o.OrderNo)
	}
	d := s.newDeliveryLocked(o, payToken, s.Now(), "resend")
	s.persist(writeSet{deliveries: []*delivery{d}})
	s.mu.Unlock()
	s.RunDue()
	s.mu.Lock()
	defer s.mu.Unlock()
	return deliveryView(d), nil
}
