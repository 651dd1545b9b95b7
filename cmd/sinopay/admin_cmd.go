package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/sinopay/sinopay/jobqueue"
	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/web"
)

const adminAbout = `Admins of the back office (/admin/): an admin is a customer with the admin
role. The database is --db or SINOPAY_DATABASE_URL (or .env), as for
sinopay migrate.`

const adminCreateUsage = `usage: sinopay admin create --email EMAIL [--db DB]

Makes EMAIL an admin of the back office (/admin/). A new account asks for
its password: typed twice on a terminal, without echo, or read from the
first line of stdin when stdin is not a terminal (for scripts:
printf '%s\n' "$PW" | sinopay admin create --email …). An existing
customer is promoted and keeps the password they have.

The database is --db or SINOPAY_DATABASE_URL (or .env), as for
sinopay migrate; its schema must be up to date (run sinopay migrate).

flags:
`

// adminCommands are the subcommands of sinopay admin, in the order help
// lists them.
var adminCommands = []struct {
	name, summary string
	run           runFunc
}{
	{"create", "make an admin: a new account, or a customer promoted", runAdminCreate},
}

func adminSubcommands() []subcommand {
	var out []subcommand
	for _, c := range adminCommands {
		out = append(out, subcommand{name: c.name, summary: c.summary, flags: flagSetOf(c.run)})
	}
	return out
}

// runAdmin dispatches the admin subcommands.
func runAdmin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		if wantFlagSet(ctx) == nil {
			subcommandHelp(stdout, "admin", adminAbout, adminSubcommands())
		}
		return 0
	}
	for _, c := range adminCommands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	return usageError(stderr, "sinopay admin", fmt.Sprintf("unknown subcommand %q", args[0]))
}

func runAdminCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	emailFlag := fs.String("email", "", "the admin's email (required)")
	fs.String("db", "./data/sinopay.db", "SQLite file or postgres:// URL (SINOPAY_DATABASE_URL)")
	if code, ok := parseFlags(ctx, fs, args, adminCreateUsage, stdout, stderr); !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "sinopay admin create: "+format+"\n", a...)
		return code
	}
	email := shop.NormEmail(*emailFlag)
	if email == "" {
		return usageError(stderr, "sinopay admin create", "--email is required")
	}
	// The password rules are checked later, once it is known whether a
	// password is needed; the email's now, before anything is opened.
	if err := shop.CheckCredentials(email, "a valid password"); err != nil {
		return usageError(stderr, "sinopay admin create", "--email: "+locale.T(locale.EN, shop.ErrorKey(err)))
	}
	e, err := loadEnv(".env")
	if err != nil {
		return fail(2, "%v", err)
	}
	target, err := flagOrEnv(fs, "db", e, "SINOPAY_DATABASE_URL", "./data/sinopay.db")
	if err != nil {
		return fail(2, "%v", err)
	}
	db, err := storage.Open(ctx, target)
	if err != nil {
		return fail(1, "%v", err)
	}
	defer db.Close()
	if pending, err := db.Pending(ctx, jobqueue.Schema); err != nil {
		return fail(1, "%v", err)
	} else if pending {
		return fail(1, "the schema of %s is behind: run `sinopay migrate --db …` first", db.Where)
	}

	c, err := db.CustomerByEmail(ctx, email)
	switch {
	case err == nil && c.IsAdmin():
		fmt.Fprintf(stdout, "%s is already an admin; nothing changed.\n", email)
		return 0
	case err == nil:
		if _, err := db.MakeAdmin(ctx, email, "", time.Now()); err != nil {
			return fail(1, "%v", err)
		}
		fmt.Fprintf(stdout, "%s was a customer and is now an admin of %s; their password is unchanged.\n", email, db.Where)
		return 0
	case !shop.IsCode(err, shop.NotFound):
		return fail(1, "%v", err)
	}

	pw, err := readNewPassword(stdin, stderr)
	if err != nil {
		return fail(1, "%v", err)
	}
	if err := shop.CheckCredentials(email, pw); err != nil {
		return fail(1, "%s", locale.T(locale.EN, shop.ErrorKey(err)))
	}
	hash, err := web.HashPassword(pw)
	if err != nil {
		return fail(1, "%v", err)
	}
	created, err := db.MakeAdmin(ctx, email, hash, time.Now())
	if err != nil {
		return fail(1, "%v", err)
	}
	if !created {
		// Signed up between our look and our insert: promoted instead.
		fmt.Fprintf(stdout, "%s signed up meanwhile and is now an admin of %s; their password is unchanged.\n", email, db.Where)
		return 0
	}
	fmt.Fprintf(stdout, "admin %s created in %s; log in at /login and open /admin/.\n", email, db.Where)
	return 0
}

// readNewPassword asks for a password twice without echo when stdin is a
// terminal, and otherwise reads the first line of stdin. The password is
// never printed.
func readNewPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Password again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin (give it on the first line)")
	}
	return line, nil
}
