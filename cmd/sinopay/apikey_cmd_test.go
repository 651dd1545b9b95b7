package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

func apikey(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"apikey"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// `sinopay apikey create / list / revoke` on SQLite and PostgreSQL: the
// secret is printed once and opens the key until it is revoked; bad
// input is refused before anything is made.
func TestAPIKeyCommands(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	t.Setenv("SINOPAY_DATABASE_URL", "")
	secretRE := regexp.MustCompile(`sk_test_[0-9a-f]{48}`)
	for _, c := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "shop.db") }},
		{"postgres", func(t *testing.T) string { return storagetest.PostgresURL(t) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dsn := c.dsn(t)
			// Refused before the database is touched.
			for _, args := range [][]string{
				{"create", "--db", dsn},
				{"create", "--name", "x", "--mode", "prod", "--db", dsn},
				{"create", "--name", "x", "--mode", "live", "--webhook", "https://127.0.0.1/hook", "--db", dsn},
				{"create", "--name", "x", "--mode", "live", "--webhook", "http://shop.example/hook", "--db", dsn},
				{"revoke", "--id", "x", "--db", dsn},
			} {
				if code, out, errOut := apikey(t, args...); code != 2 || out != "" || errOut == "" {
					t.Errorf("%q: %d %q %q", args, code, out, errOut)
				}
			}
			code, out, errOut := apikey(t, "create", "--name", "WooCommerce 本店", "--webhook", "http://127.0.0.1:9000/hooks", "--db", dsn)
			secret := secretRE.FindString(out)
			if code != 0 || secret == "" || !strings.Contains(out, "whsec_") {
				t.Fatalf("create: %d %q %q", code, out, errOut)
			}
			db, err := storage.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			k, err := db.AuthAPIKey(context.Background(), secret)
			if err != nil || k.Name != "WooCommerce 本店" {
				t.Fatalf("the printed secret: %+v %v", k, err)
			}
			if eps, err := db.WebhookEndpoints(context.Background(), k.ID); err != nil || len(eps) != 1 || eps[0].URL != "http://127.0.0.1:9000/hooks" {
				t.Fatalf("endpoints: %+v %v", eps, err)
			}

			code, out, _ = apikey(t, "list", "--db", dsn)
			if code != 0 || !strings.Contains(out, "test\t…"+secret[len(secret)-4:]+"\tworking") || strings.Contains(out, secret) {
				t.Fatalf("list: %d %q", code, out)
			}
			if code, out, _ = apikey(t, "revoke", "--id", "1", "--db", dsn); code != 0 || !strings.Contains(out, "revoked") {
				t.Fatalf("revoke: %d %q", code, out)
			}
			if _, err := db.AuthAPIKey(context.Background(), secret); err == nil {
				t.Fatal("a revoked key still opens")
			}
			if code, out, _ = apikey(t, "revoke", "--id", "1", "--db", dsn); code != 0 || !strings.Contains(out, "already revoked") {
				t.Fatalf("revoke again: %d %q", code, out)
			}
			if code, _, errOut = apikey(t, "revoke", "--id", "99", "--db", dsn); code != 1 || !strings.Contains(errOut, "no API key 99") {
				t.Fatalf("revoke of no key: %d %q", code, errOut)
			}
		})
	}
}
