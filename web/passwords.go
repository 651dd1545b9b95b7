package web

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sinopay/sinopay/shop"
)

// passwords hashes and checks passwords with bcrypt. A hash costs a
// quarter of a second of one core at the shop's cost, so at most one runs
// per core: a burst of sign-ups or log-ins queues here instead of starving
// payments of CPU. The wait and the hash take no database deadline; the
// handlers start theirs after. It is safe for concurrent use.
type passwords struct {
	cost  int
	slots chan struct{}
	// maxWait bounds the wait for a slot; past it the form answers 503.
	maxWait time.Duration

	dummyOnce sync.Once
	dummyHash []byte
}

// newPasswords makes a hasher at cost running at most n hashes at once
// (n < 1: one per core).
func newPasswords(cost, n int) *passwords {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	return &passwords{cost: cost, slots: make(chan struct{}, n), maxWait: 30 * time.Second}
}

// errBusyHashing is wrapped in the Unavailable error of a wait that
// timed out.
var errBusyHashing = errors.New("too many passwords being hashed")

// run runs f in a slot, waiting for one as long as ctx and maxWait allow.
func (p *passwords) run(ctx context.Context, f func()) error {
	wait := time.NewTimer(p.maxWait)
	defer wait.Stop()
	select {
	case p.slots <- struct{}{}:
	case <-wait.C:
		return shop.Wrap(shop.Unavailable, "error.unavailable", errBusyHashing, "waiting %s for a password slot", p.maxWait)
	case <-ctx.Done():
		return shop.Wrap(shop.Unavailable, "error.unavailable", ctx.Err(), "waiting for a password slot")
	}
	defer func() { <-p.slots }()
	f()
	return nil
}

// hash hashes a new password.
func (p *passwords) hash(ctx context.Context, pw string) ([]byte, error) {
	var h []byte
	var err error
	if rerr := p.run(ctx, func() { h, err = bcrypt.GenerateFromPassword([]byte(pw), p.cost) }); rerr != nil {
		return nil, rerr
	}
	return h, err
}

// check reports whether pw matches hash. A nil hash (no such account) is
// compared against a dummy hash, so a wrong email costs as much as a
// wrong password and does not reveal who has an account.
func (p *passwords) check(ctx context.Context, hash []byte, pw string) (bool, error) {
	known := hash != nil
	if !known {
		hash = p.dummy()
	}
	var err error
	if rerr := p.run(ctx, func() { err = bcrypt.CompareHashAndPassword(hash, []byte(pw)) }); rerr != nil {
		return false, rerr
	}
	return known && err == nil, nil
}

func (p *passwords) dummy() []byte {
	p.dummyOnce.Do(func() {
		h, err := bcrypt.GenerateFromPassword([]byte("no such customer"), p.cost)
		if err != nil {
			panic(err) // only for a bad cost, which is ours
		}
		p.dummyHash = h
	})
	return p.dummyHash
}
