package sandbox

import (
	"encoding/json"
	"fmt"
	"time"
)

// Store keeps a durable copy of the sandbox's state, so that a restart
// picks up exactly where the last run stopped: pending deliveries go out,
// the clock offset holds. The sandbox works in memory and hands every
// changed record to Save in the same critical section that changed it, so
// the store always holds the latest state. Nonces, refusals and armed
// chaos rules are left out on purpose: they are short-lived by nature.
//
// Records are the sandbox's own JSON documents, keyed by their identity;
// a store never needs to read them. Package sqlitestore keeps them in a
// SQLite file (what `sinopay sandbox --db` uses); without a Store the
// sandbox keeps everything in memory, and this package imports no
// database driver.
type Store interface {
	// Load returns everything saved, deliveries in ID order.
	Load() (Snapshot, error)
	// Save writes the changed records (upserts by key) in one transaction.
	Save(Changes) error
	// Reset deletes everything.
	Reset() error
	Close() error
}

// Snapshot is the whole saved state.
type Snapshot struct {
	Orders      []OrderRecord
	Payments    []PaymentRecord
	Deliveries  []DeliveryRecord
	ClockOffset time.Duration
}

// Changes is what one change of the state touched.
type Changes struct {
	Orders     []OrderRecord
	Payments   []PaymentRecord
	Deliveries []DeliveryRecord
	// ClockOffset is set when the offset changed.
	ClockOffset *time.Duration
}

// OrderRecord is an order, keyed by shop and order number.
type OrderRecord struct {
	ShopNo, OrderNo string
	Doc             []byte
}

// PaymentRecord is a payment, keyed by its PayToken.
type PaymentRecord struct {
	PayToken string
	Doc      []byte
}

// DeliveryRecord is a notification delivery, keyed by its ID.
type DeliveryRecord struct {
	ID  int64
	Doc []byte
}

// snapshot is a loaded state, decoded.
type snapshot struct {
	orders     []*order
	payments   []*payment
	deliveries []*delivery
	offset     time.Duration
}

// writeSet is what one change touched.
type writeSet struct {
	orders     []*order
	payments   []*payment
	deliveries []*delivery
	offset     *time.Duration
}

// changes encodes a write set for the store.
func (w *writeSet) changes() (Changes, error) {
	c := Changes{ClockOffset: w.offset}
	for _, o := range w.orders {
		b, err := json.Marshal(o)
		if err != nil {
			return c, err
		}
		c.Orders = append(c.Orders, OrderRecord{ShopNo: o.ShopNo, OrderNo: o.OrderNo, Doc: b})
	}
	for _, p := range w.payments {
		b, err := json.Marshal(p)
		if err != nil {
			return c, err
		}
		c.Payments = append(c.Payments, PaymentRecord{PayToken: p.PayToken, Doc: b})
	}
	for _, d := range w.deliveries {
		b, err := json.Marshal(d)
		if err != nil {
			return c, err
		}
		c.Deliveries = append(c.Deliveries, DeliveryRecord{ID: d.ID, Doc: b})
	}
	return c, nil
}

// decode reads a store's snapshot back into records.
func decode(s Snapshot) (*snapshot, error) {
	out := &snapshot{offset: s.ClockOffset}
	for _, r := range s.Orders {
		if err := decodeDoc(r.Doc, &out.orders); err != nil {
			return nil, fmt.Errorf("sandbox: stored order %s/%s is unreadable: %w", r.ShopNo, r.OrderNo, err)
		}
	}
	for _, r := range s.Payments {
		if err := decodeDoc(r.Doc, &out.payments); err != nil {
			return nil, fmt.Errorf("sandbox: a stored payment is unreadable: %w", err)
		}
	}
	for _, r := range s.Deliveries {
		if err := decodeDoc(r.Doc, &out.deliveries); err != nil {
			return nil, fmt.Errorf("sandbox: stored delivery %d is unreadable: %w", r.ID, err)
		}
	}
	return out, nil
}

func decodeDoc[T any](doc []byte, out *[]*T) error {
	v := new(T)
	if err := json.Unmarshal(doc, v); err != nil {
		return err
	}
	*out = append(*out, v)
	return nil
}

// memStore keeps nothing: the in-memory state is all there is.
type memStore struct{}

func (memStore) Load() (Snapshot, error) { return Snapshot{}, nil }
func (memStore) Save(Changes) error      { return nil }
func (memStore) Reset() error            { return nil }
func (memStore) Close() error            { return nil }
