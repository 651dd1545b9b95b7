package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// admin runs `sinopay admin …` with stdin and returns its exit code and
// output.
func admin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"admin"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// `sinopay admin create` on SQLite and on PostgreSQL: a new admin from a
// password on stdin, a customer promoted (their password kept), an admin
// left as they are; bad input refused before anything changes.
func TestAdminCreate(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	t.Setenv("SINOPAY_DATABASE_URL", "")
	for _, c := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "shop.db") }},
		{"postgres", func(t *testing.T) string { return storagetest.PostgresURL(t) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dsn := c.dsn(t)
			if code, _, errOut := admin(t, "long-enough-pw\n", "create", "--email", "boss@example.com", "--db", dsn); code != 1 || !strings.Contains(errOut, "sinopay migrate") {
				t.Fatalf("unmigrated database: %d %s", code, errOut)
			}
			var out, errOut bytes.Buffer
			if code := run(context.Background(), []string{"migrate", "--db", dsn}, nil, &out, &errOut); code != 0 {
				t.Fatalf("migrate: %s", errOut.String())
			}

			code, out2, errOut2 := admin(t, "long-enough-pw\r\n", "create", "--email", " Boss@Example.com ", "--db", dsn)
			if code != 0 || !strings.Contains(out2, "admin boss@example.com created") || strings.Contains(out2+errOut2, "long-enough-pw") {
				t.Fatalf("create: %d %q %q", code, out2, errOut2)
			}
			db, err := storage.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			boss, err := db.CustomerByEmail(context.Background(), "boss@example.com")
			if err != nil || !boss.IsAdmin() || bcrypt.CompareHashAndPassword([]byte(boss.PasswordHash), []byte("long-enough-pw")) != nil {
				t.Fatalf("the admin: %+v %v", boss, err)
			}
			if code, out, _ := admin(t, "", "create", "--email", "boss@example.com", "--db", dsn); code != 0 || !strings.Contains(out, "already an admin") {
				t.Fatalf("again: %d %q", code, out)
			}

			// A customer is promoted; the database URL may come from the
			// environment, as for migrate.
			if _, err := db.CreateCustomer(context.Background(), "clerk@example.com", "clerk-hash", time.Now()); err != nil {
				t.Fatal(err)
			}
			t.Setenv("SINOPAY_DATABASE_URL", dsn)
			if code, out, _ := admin(t, "ignored\n", "create", "--email", "clerk@example.com"); code != 0 || !strings.Contains(out, "was a customer and is now an admin") {
				t.Fatalf("promote: %d %q", code, out)
			}
			clerk, _ := db.CustomerByEmail(context.Background(), "clerk@example.com")
			if !clerk.IsAdmin() || clerk.PasswordHash != "clerk-hash" {
				t.Fatalf("promoted: %+v", clerk)
			}

			for _, bad := range []struct {
				stdin string
				args  []string
				code  int
				want  string
			}{
				{"long-enough-pw\n", []string{"create"}, 2, "--email is required"},
				{"long-enough-pw\n", []string{"create", "--email", "not an email"}, 2, "does not look right"},
				{"short\n", []string{"create", "--email", "new@example.com"}, 1, "too short"},
				{"", []string{"create", "--email", "new@example.com"}, 1, "no password on stdin"},
				{"", []string{"delete"}, 2, "unknown subcommand"},
			} {
				code, _, errOut := admin(t, bad.stdin, bad.args...)
				if code != bad.code || !strings.Contains(errOut, bad.want) {
					t.Errorf("%v with %q: %d %q, want %d %q", bad.args, bad.stdin, code, errOut, bad.code, bad.want)
				}
			}
			if _, err := db.CustomerByEmail(context.Background(), "new@example.com"); !shop.IsCode(err, shop.NotFound) {
				t.Errorf("a refused admin was created: %v", err)
			}
		})
	}
}

func TestServeConfigCaptureAndMetrics(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("SINOPAY_CARD_CAPTURE", "")
	t.Setenv("SINOPAY_METRICS_ADDR", "")
	c, err := readServeConfig(nil, io.Discard)
	if err != nil || c.CardCapture != shop.CaptureAuto || c.MetricsAddr != "" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	t.Setenv("SINOPAY_CARD_CAPTURE", "manual")
	t.Setenv("SINOPAY_METRICS_ADDR", "127.0.0.1:9100")
	if c, err = readServeConfig(nil, io.Discard); err != nil || c.CardCapture != shop.CaptureManual || c.MetricsAddr != "127.0.0.1:9100" {
		t.Fatalf("from the environment: %+v %v", c, err)
	}
	if c, err = readServeConfig([]string{"--card-capture", "auto", "--metrics-addr", "off"}, io.Discard); err != nil || c.CardCapture != shop.CaptureAuto || c.MetricsAddr != "off" {
		t.Fatalf("flags win: %+v %v", c, err)
	}
	_, err = readServeConfig([]string{"--card-capture", "later", "--metrics-addr", "9100"}, io.Discard)
	for _, name := range []string{"SINOPAY_CARD_CAPTURE", "SINOPAY_METRICS_ADDR"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("bad %s not named: %v", name, err)
		}
	}
}
