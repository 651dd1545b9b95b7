package storage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

func TestAPIKeys(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		k, secret, err := db.CreateAPIKey(ctx, "WooCommerce 本店", shop.APITest, t0)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "sk_test_") || len(secret) != len("sk_test_")+48 || k.Hint != secret[len(secret)-4:] {
			t.Fatalf("secret %q, hint %q", secret, k.Hint)
		}
		if !strings.HasPrefix(k.WebhookSecret, "whsec_") || k.Mode != shop.APITest || k.Revoked() {
			t.Fatalf("key %+v", k)
		}
		live, liveSecret, err := db.CreateAPIKey(ctx, "live", shop.APILive, t0)
		if err != nil || !strings.HasPrefix(liveSecret, "sk_live_") || live.WebhookSecret == k.WebhookSecret {
			t.Fatalf("live key %+v %q %v", live, liveSecret, err)
		}

		// The secret opens its key; the database holds only its hash.
		got, err := db.AuthAPIKey(ctx, secret)
		if err != nil || got.ID != k.ID {
			t.Fatalf("auth: %+v %v", got, err)
		}
		var stored string
		if err := db.SQL.QueryRowContext(ctx, `SELECT secret_hash FROM api_keys WHERE id = $1`, k.ID).Scan(&stored); err != nil || strings.Contains(stored, secret[8:]) {
			t.Fatalf("stored %q (%v)", stored, err)
		}
		for _, bad := range []string{"", "sk_test_", secret + "0", secret[:len(secret)-1] + "x", strings.Replace(secret, "test", "live", 1), "Bearer " + secret, stored} {
			if _, err := db.AuthAPIKey(ctx, bad); !shop.IsCode(err, shop.Unauthorized) {
				t.Errorf("%q opened a key: %v", bad, err)
			}
		}

		// Revoked, it opens nothing; revoking again says it already was.
		if _, revoked, err := db.RevokeAPIKey(ctx, k.ID, t0.Add(time.Hour)); err != nil || !revoked {
			t.Fatalf("revoke: %v %v", revoked, err)
		}
		if k2, revoked, err := db.RevokeAPIKey(ctx, k.ID, t0.Add(2*time.Hour)); err != nil || revoked || !k2.RevokedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("revoke again: %+v %v %v", k2, revoked, err)
		}
		if _, err := db.AuthAPIKey(ctx, secret); !shop.IsCode(err, shop.Unauthorized) {
			t.Fatalf("a revoked key opened: %v", err)
		}
		if _, _, err := db.RevokeAPIKey(ctx, 999, t0); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("revoke of no key: %v", err)
		}
		keys, err := db.APIKeys(ctx)
		if err != nil || len(keys) != 2 || keys[0].ID != live.ID || keys[1].ID != k.ID {
			t.Fatalf("list: %+v %v", keys, err)
		}

		// Names are checked.
		for _, name := range []string{"", "  ", strings.Repeat("名", 61), "a\u202eb", "a\nb"} {
			if _, _, err := db.CreateAPIKey(ctx, name, shop.APITest, t0); !shop.IsCode(err, shop.Invalid) {
				t.Errorf("name %q: %v", name, err)
			}
		}
		if _, _, err := db.CreateAPIKey(ctx, "x", "prod", t0); !shop.IsCode(err, shop.Invalid) {
			t.Errorf("mode prod: %v", err)
		}
	})
}

func TestWebhookEndpoints(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		test, _, err := db.CreateAPIKey(ctx, "test", shop.APITest, t0)
		if err != nil {
			t.Fatal(err)
		}
		live, _, err := db.CreateAPIKey(ctx, "live", shop.APILive, t0)
		if err != nil {
			t.Fatal(err)
		}
		// A test key may send to the developer's machine.
		e, err := db.AddWebhookEndpoint(ctx, test.ID, "http://127.0.0.1:8000/hooks/sinopay", t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddWebhookEndpoint(ctx, test.ID, "http://127.0.0.1:8000/hooks/sinopay", t0); !shop.IsCode(err, shop.Conflict) {
			t.Fatalf("the same endpoint twice: %v", err)
		}
		// A live key sends only to public https addresses.
		for _, u := range []string{
			"http://shop.example/hooks", "https://127.0.0.1/hooks", "https://localhost/hooks", "https://[::1]/hooks",
			"https://10.1.2.3/hooks", "https://192.168.0.1/", "https://169.254.169.254/latest/meta-data", "https://[::ffff:127.0.0.1]/",
			"https://100.64.0.1/", "https://0.0.0.0/", "https://user:pw@shop.example/", "ftp://shop.example/", "https:///nohost", "https://shop.example/#x",
		} {
			if _, err := db.AddWebhookEndpoint(ctx, live.ID, u, t0); !shop.IsCode(err, shop.Invalid) {
				t.Errorf("live endpoint %q: %v", u, err)
			}
		}
		if _, err := db.AddWebhookEndpoint(ctx, live.ID, "https://shop.example/hooks/sinopay", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddWebhookEndpoint(ctx, 999, "https://shop.example/", t0); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("no key: %v", err)
		}
		list, err := db.WebhookEndpoints(ctx, test.ID)
		if err != nil || len(list) != 1 || list[0].URL != e.URL {
			t.Fatalf("list: %+v %v", list, err)
		}
		// An endpoint is removed through its own key only.
		if err := db.RemoveWebhookEndpoint(ctx, live.ID, e.ID); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("removed through another key: %v", err)
		}
		if err := db.RemoveWebhookEndpoint(ctx, test.ID, e.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.RevokeAPIKey(ctx, live.ID, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddWebhookEndpoint(ctx, live.ID, "https://shop.example/other", t0); !shop.IsCode(err, shop.Invalid) {
			t.Fatalf("endpoint on a revoked key: %v", err)
		}
	})
}
