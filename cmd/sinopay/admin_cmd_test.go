package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sinopay/sinopay/jobqueue"
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
			// The database does not exist yet: it is created and migrated,
			// as serve would, and the command says so.
			code, out2, errOut2 := admin(t, "long-enough-pw\r\n", "create", "--email", " Boss@Example.com ", "--db", dsn)
			if code != 0 || !strings.Contains(out2, "admin boss@example.com created") || strings.Contains(out2+errOut2, "long-enough-pw") {
				t.Fatalf("create: %d %q %q", code, out2, errOut2)
			}
			if !strings.Contains(errOut2, "is a new database: creating its tables") {
				t.Errorf("creating the database went unsaid: %q", errOut2)
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
			if pending, err := db.Pending(context.Background(), jobqueue.Schema); err != nil || pending {
				t.Fatalf("the new database is not migrated: %v %v", pending, err)
			}
			if code, out, errOut := admin(t, "", "create", "--email", "boss@example.com", "--db", dsn); code != 0 || !strings.Contains(out, "already an admin") || errOut != "" {
				t.Fatalf("again: %d %q %q", code, out, errOut)
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

			// An existing database whose schema is behind is not migrated
			// behind the operator's back: that is a release step.
			if _, err := db.SQL.Exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`); err != nil {
				t.Fatal(err)
			}
			if code, _, errOut := admin(t, "long-enough-pw\n", "create", "--email", "late@example.com"); code != 1 || !strings.Contains(errOut, "run `sinopay migrate") {
				t.Errorf("behind: %d %q", code, errOut)
			}
		})
	}
}

// `sinopay admin list` and `admin remove` on SQLite and PostgreSQL: the
// role goes, the account and its password stay; removing a customer or
// an unknown email changes nothing.
func TestAdminRemoveAndList(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	t.Setenv("SINOPAY_DATABASE_URL", "")
	missing := filepath.Join(t.TempDir(), "none.db")
	for _, args := range [][]string{{"list"}, {"remove", "--email", "a@example.com"}} {
		if code, _, errOut := admin(t, "", append(args, "--db", missing)...); code != 1 || !strings.Contains(errOut, "no database at") {
			t.Errorf("%s on a missing file: %d %q", args[0], code, errOut)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("list or remove made a database file")
	}
	for _, tc := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "shop.db") }},
		{"postgres", func(t *testing.T) string { return storagetest.PostgresURL(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) { adminRemoveAndList(t, tc.dsn(t)) })
	}
}

func adminRemoveAndList(t *testing.T, dsn string) {
	ctx := context.Background()
	db, err := storage.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, jobqueue.Schema); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := admin(t, "", "list", "--db", dsn); code != 0 || out != "" || !strings.Contains(errOut, "no admin") {
		t.Fatalf("list, none: %d %q %q", code, out, errOut)
	}
	for _, e := range []string{"b@example.com", "a@example.com"} {
		if _, err := db.MakeAdmin(ctx, e, "hash-"+e, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.CreateCustomer(ctx, "c@example.com", "hash-c", time.Now()); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := admin(t, "", "list", "--db", dsn)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "a@example.com\t") || !strings.HasPrefix(lines[1], "b@example.com\t") {
		t.Fatalf("list: %d %q %q", code, out, errOut)
	}

	if code, out, errOut := admin(t, "", "remove", "--email", " A@example.com", "--db", dsn); code != 0 || !strings.Contains(out, "a@example.com is no longer an admin") {
		t.Fatalf("remove: %d %q %q", code, out, errOut)
	}
	a, err := db.CustomerByEmail(ctx, "a@example.com")
	if err != nil || a.IsAdmin() || a.PasswordHash != "hash-a@example.com" {
		t.Fatalf("after remove: %+v %v", a, err)
	}
	if code, out, _ := admin(t, "", "list", "--db", dsn); code != 0 || strings.Contains(out, "a@example.com") || !strings.Contains(out, "b@example.com") {
		t.Errorf("list after remove: %q", out)
	}
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"remove", "--email", "a@example.com"}, 0, "not an admin; nothing changed"},
		{[]string{"remove", "--email", "c@example.com"}, 0, "not an admin; nothing changed"},
		{[]string{"remove", "--email", "nobody@example.com"}, 1, "has no account"},
		{[]string{"remove"}, 2, "--email is required"},
	} {
		code, out, errOut := admin(t, "", append(c.args, "--db", dsn)...)
		if code != c.code || !strings.Contains(out+errOut, c.out) {
			t.Errorf("%v: %d %q %q, want %d %q", c.args, code, out, errOut, c.code, c.out)
		}
	}
	if c, _ := db.CustomerByEmail(ctx, "c@example.com"); c.IsAdmin() {
		t.Errorf("a customer became an admin")
	}
	if code, out, _ := admin(t, "", "remove", "--email", "b@example.com", "--db", dsn); code != 0 || !strings.Contains(out, "No admin is left") {
		t.Errorf("the last admin: %d %q", code, out)
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
