package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/waitfor"
)

// The embedded bank keeps its state beside the shop's database: after a
// restart the bank still has the order the shop made before, and paying
// it then reaches the shop. With --sandbox-db memory it forgets, as
// asked.
func TestServeEmbeddedBankRemembers(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	shop := proctest.StartShop(t, proctest.ShopOptions{DB: filepath.Join(dir, "shop.db")})
	// The sandbox's banner line may come after the shop answers.
	if err := shop.WaitOutput("state in "+filepath.Join(dir, "sandbox.db"), 10*time.Second); err != nil {
		t.Errorf("the banner does not say where the bank keeps its state: %v\n%s", err, shop.Output())
	}
	buyer, err := proctest.NewCustomer(ctx, shop.URL, "remember@example.com")
	if err != nil {
		t.Fatal(err)
	}
	no, err := buyer.Checkout(ctx, shop.URL, "q_1=1", "A")
	if err != nil {
		t.Fatal(err)
	}
	page, err := buyer.Order(ctx, shop.URL, no)
	if err != nil || page.ATMAccount == "" {
		t.Fatalf("the ATM page of %s: %+v %v", no, page, err)
	}
	if err := shop.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sandbox.db")); err != nil {
		t.Fatalf("no bank state beside the shop's database: %v", err)
	}

	shop = proctest.StartShop(t, shop.Options)
	if _, err := shop.Sandbox.Order(ctx, "", no); err != nil {
		t.Fatalf("the restarted bank forgot order %s: %v", no, err)
	}
	if _, err := shop.Sandbox.Transfer(ctx, page.ATMAccount, page.Amount); err != nil {
		t.Fatal(err)
	}
	waitfor.Event(t, 20*time.Second, "order "+no+" paid after the restart", func(ctx context.Context) error {
		page, err := buyer.Order(ctx, shop.URL, no)
		if err != nil {
			return err
		}
		if page.Status != "S" {
			return fmt.Errorf("order is %s", page.Status)
		}
		return nil
	})
	if err := shop.Stop(); err != nil {
		t.Fatal(err)
	}

	// In memory, as asked: the bank starts empty every time.
	opts := shop.Options
	opts.Args = append(opts.Args, "--sandbox-db", "memory")
	shop = proctest.StartShop(t, opts)
	// The sandbox's banner line may come after the shop answers.
	if err := shop.WaitOutput("state in memory", 10*time.Second); err != nil {
		t.Errorf("the banner does not say the bank keeps its state in memory: %v\n%s", err, shop.Output())
	}
	if _, err := shop.Sandbox.Order(ctx, "", no); err == nil {
		t.Errorf("a bank in memory knew order %s from an earlier run", no)
	}
}

func TestDefaultSandboxDB(t *testing.T) {
	for db, want := range map[string]string{
		"./data/sinopay.db":                 filepath.Join("data", "sandbox.db"),
		"/var/lib/sinopay/shop.db":          "/var/lib/sinopay/sandbox.db",
		"file:/srv/shop.db":                 "/srv/sandbox.db",
		"shop.db":                           "sandbox.db",
		"postgres://127.0.0.1/test":         filepath.Join("data", "sandbox.db"),
		"postgresql://u@db.example/sinopay": filepath.Join("data", "sandbox.db"),
	} {
		if got := defaultSandboxDB(db); got != want {
			t.Errorf("defaultSandboxDB(%q) = %q, want %q", db, got, want)
		}
	}
}
