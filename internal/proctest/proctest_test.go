package proctest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/internal/proctest"
)

func TestMain(m *testing.M) { os.Exit(proctest.Main(m)) }

// A shop killed without warning starts again in its place, on its
// database, and its customers' sessions still work: what crash tests do.
func TestKillAndRestart(t *testing.T) {
	ctx := context.Background()
	s := proctest.StartShop(t, proctest.ShopOptions{})
	if !strings.Contains(s.Output(), "shop:") {
		t.Fatalf("no banner:\n%s", s.Output())
	}
	c, err := proctest.NewCustomer(ctx, s.URL, "kill@example.com")
	if err != nil {
		t.Fatal(err)
	}
	no, err := c.Checkout(ctx, s.URL, "q_1=1", "A")
	if err != nil {
		t.Fatal(err)
	}

	s.Kill()
	if code, exited := s.ExitCode(); !exited || code != -1 {
		t.Fatalf("after Kill: exit code %d, exited %v", code, exited)
	}
	again := proctest.StartShop(t, s.Options)
	if again.URL != s.URL {
		t.Fatalf("restarted at %s, was %s", again.URL, s.URL)
	}
	resp, page, err := c.Get(ctx, again.URL, "/orders/"+no)
	if err != nil || resp.StatusCode != 200 || !strings.Contains(page, no) {
		t.Fatalf("the order after a restart: %v %v", resp, err)
	}
	if err := again.Stop(); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, again.Output())
	}
}

func TestRunMigrate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shop.db")
	r := proctest.Run(t, nil, "migrate", "--db", db)
	if r.Code != 0 || !strings.Contains(r.Output, "migrations applied to "+db) {
		t.Fatalf("sinopay migrate: exit %d\n%s", r.Code, r.Output)
	}
	// The environment the binary sees is the test's minus SINOPAY_*, plus
	// what the test gives.
	r = proctest.Run(t, []string{"SINOPAY_DATABASE_URL=" + db}, "migrate")
	if r.Code != 0 || !strings.Contains(r.Output, db) {
		t.Fatalf("sinopay migrate with SINOPAY_DATABASE_URL: exit %d\n%s", r.Code, r.Output)
	}
}
