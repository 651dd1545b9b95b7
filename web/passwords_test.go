package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// A sign-up that waits for its turn to hash (a busy machine) still gets
// its whole database deadline after the hash: the wait and the hash are
// not counted against it.
func TestSignupHashOutsideDatabaseDeadline(t *testing.T) {
	r := newRig(t)
	r.web.passwords = newPasswords(bcrypt.MinCost, 1)
	// Long enough for SQLite under -race on a loaded machine; the wait
	// below is longer still.
	r.web.dbTimeout = 3 * time.Second
	r.web.passwords.slots <- struct{}{} // the one slot is busy

	b := r.browser()
	form := url.Values{"email": {"busy@example.com"}, "password": {"correct horse"}, "next": {"/"}}
	req, err := http.NewRequest(http.MethodPost, r.srv.URL+"/signup", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	type answer struct {
		status int
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := b.client.Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		resp.Body.Close()
		done <- answer{status: resp.StatusCode}
	}()
	// The sign-up waits for the slot longer than its database deadline.
	select {
	case a := <-done:
		t.Fatalf("the sign-up did not wait for a free slot: %+v", a)
	case <-time.After(2 * r.web.dbTimeout):
	}
	<-r.web.passwords.slots
	select {
	case a := <-done:
		if a.err != nil || a.status != http.StatusSeeOther {
			t.Fatalf("sign-up after waiting for its hash: %d %v\n%s", a.status, a.err, r.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the sign-up never finished")
	}
	if p := b.get("/orders"); p.Status != http.StatusOK {
		t.Fatalf("not logged in after sign-up: %d", p.Status)
	}
}

// At most n hashes run at once; the others queue, and a wait that
// outlives its request gives up with Unavailable.
func TestPasswordSlots(t *testing.T) {
	p := newPasswords(bcrypt.MinCost, 2)
	var running, most atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	started := make(chan struct{}, 5)
	for range 5 {
		wg.Go(func() {
			err := p.run(context.Background(), func() {
				n := running.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				started <- struct{}{}
				<-release
				running.Add(-1)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	<-started
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.run(ctx, func() { t.Error("ran without a free slot") }); err == nil {
		t.Error("a wait past its request's end did not fail")
	}
	close(release)
	wg.Wait()
	if most.Load() != 2 {
		t.Errorf("%d hashes ran at once, want at most 2 (and 2 reached)", most.Load())
	}
}

// A wrong password and an unknown email are both "no", and neither is an
// error.
func TestPasswordCheck(t *testing.T) {
	p := newPasswords(bcrypt.MinCost, 0)
	ctx := context.Background()
	h, err := p.hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		hash []byte
		pw   string
		want bool
	}{{h, "correct horse", true}, {h, "wrong horse", false}, {nil, "correct horse", false}} {
		if ok, err := p.check(ctx, c.hash, c.pw); ok != c.want || err != nil {
			t.Errorf("check(%q): %v %v, want %v", c.pw, ok, err, c.want)
		}
	}
}
