package payment

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// Confirmations take turns to ask the bank: a burst at once, then one
// every 1/ConfirmRate. The return path takes a turn only when one is free;
// the job waits for one, unless its deadline comes first, when it gets
// ErrBusy at once. A negative rate takes no turns at all.
func TestConfirmTurns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &Service{limit: confirmLimit(Config{ConfirmRate: 10, ConfirmBurst: 2})}
		ctx := context.Background()
		for i := range 2 {
			if err := s.tryTurn(ctx, nil); err != nil {
				t.Fatalf("turn %d of the burst: %v", i, err)
			}
		}
		if err := s.tryTurn(ctx, nil); !errors.Is(err, ErrBusy) || !shop.IsCode(err, shop.Unavailable) {
			t.Fatalf("a turn past the burst: %v", err)
		}

		start := time.Now()
		if err := s.waitTurn(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != 100*time.Millisecond {
			t.Fatalf("waited %s for a turn at 10/s, want 100ms", waited)
		}

		dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		start = time.Now()
		if err := s.waitTurn(dctx, nil); !errors.Is(err, ErrBusy) || !shop.IsCode(err, shop.Unavailable) {
			t.Fatalf("a turn after the deadline: %v", err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Fatalf("waited %s for a turn that comes after the deadline", waited)
		}

		time.Sleep(time.Second)
		for i := range 2 {
			if err := s.tryTurn(ctx, nil); err != nil {
				t.Fatalf("turn %d of a burst a second later: %v", i, err)
			}
		}

		s.limit = confirmLimit(Config{ConfirmRate: -1})
		for i := range 1000 {
			if err := s.tryTurn(ctx, nil); err != nil {
				t.Fatalf("turn %d without a limit: %v", i, err)
			}
		}
	})
}

// A confirmation waits for another of the same PayToken, not of another
// one, and no longer than its context.
func TestFlights(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var f flights
		ctx := context.Background()
		end, err := f.begin(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		endB, err := f.begin(ctx, "b")
		if err != nil {
			t.Fatalf("another token waited: %v", err)
		}
		endB()

		short, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if _, err := f.begin(short, "a"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("waiting past the deadline: %v", err)
		}

		began := make(chan struct{})
		go func() {
			end2, err := f.begin(ctx, "a")
			if err != nil {
				t.Error(err)
			}
			close(began)
			end2()
		}()
		synctest.Wait() // the second is blocked, waiting for the first
		select {
		case <-began:
			t.Fatal("the second began while the first ran")
		default:
		}
		end()
		<-began
		synctest.Wait()
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.m) != 0 {
			t.Fatalf("left running: %v", f.m)
		}
	})
}
