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
sinopay migrate. A database that does not exist yet (no SQLite file, or
a PostgreSQL database with no tables) is created and migrated, as
sinopay serve would, and said so on stderr; the schema of an existing
one must be up to date (run sinopay migrate).

flags:
`

const adminRemoveUsage = `usage: sinopay admin remove --email EMAIL [--db DB]

Takes the admin role from EMAIL. The account stays, as a customer: its
password, orders and sessions are kept; the back office answers it as it
answers any customer from its next request on.

flags:
`

const adminListUsage = `usage: sinopay admin list [--db DB]

Lists the admins of the back office, one a line: email and when the
account was made (UTC).

flags:
`

// adminCommands are the subcommands of sinopay admin, in the order help
// lists them.
var adminCommands = []struct {
	name, summary string
	run           runFunc
}{
	{"create", "make an admin: a new account, or a customer promoted", runAdminCreate},
	{"remove", "take the admin role from an account, which stays a customer", runAdminRemove},
	{"list", "list the admins", runAdminList},
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
	db, code := openAdminDB(ctx, fs, stderr, "admin create", true)
	if db == nil {
		return code
	}
	defer db.Close()

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

func runAdminRemove(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("admin remove", flag.ContinueOnError)
	emailFlag := fs.String("email", "", "the admin's email (required)")
	fs.String("db", "./data/sinopay.db", "SQLite file or postgres:// URL (SINOPAY_DATABASE_URL)")
	if code, ok := parseFlags(ctx, fs, args, adminRemoveUsage, stdout, stderr); !ok {
		return code
	}
	email := shop.NormEmail(*emailFlag)
	if email == "" {
		return usageError(stderr, "sinopay admin remove", "--email is required")
	}
	db, code := openAdminDB(ctx, fs, stderr, "admin remove", false)
	if db == nil {
		return code
	}
	defer db.Close()
	removed, err := db.RemoveAdmin(ctx, email)
	switch {
	case shop.IsCode(err, shop.NotFound):
		fmt.Fprintf(stderr, "sinopay admin remove: %s has no account in %s\n", email, db.Where)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "sinopay admin remove: %v\n", err)
		return 1
	case !removed:
		fmt.Fprintf(stdout, "%s is not an admin; nothing changed.\n", email)
		return 0
	}
	fmt.Fprintf(stdout, "%s is no longer an admin of %s; the account stays, as a customer.\n", email, db.Where)
	if admins, err := db.Admins(ctx); err == nil && len(admins) == 0 {
		fmt.Fprintln(stdout, "No admin is left: sinopay admin create makes one.")
	}
	return 0
}

func runAdminList(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("admin list", flag.ContinueOnError)
	fs.String("db", "./data/sinopay.db", "SQLite file or postgres:// URL (SINOPAY_DATABASE_URL)")
	if code, ok := parseFlags(ctx, fs, args, adminListUsage, stdout, stderr); !ok {
		return code
	}
	db, code := openAdminDB(ctx, fs, stderr, "admin list", false)
	if db == nil {
		return code
	}
	defer db.Close()
	admins, err := db.Admins(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "sinopay admin list: %v\n", err)
		return 1
	}
	if len(admins) == 0 {
		fmt.Fprintf(stderr, "no admin in %s: sinopay admin create makes one\n", db.Where)
		return 0
	}
	for _, a := range admins {
		fmt.Fprintf(stdout, "%s\t%s\n", a.Email, a.CreatedAt.UTC().Format("2006-01-02 15:04"))
	}
	return 0
}

// openAdminDB opens the database of an admin subcommand, from --db or
// the environment, and checks its schema. With create, a database that
// does not exist yet is created and migrated, as serve does, and said so
// on stderr; without it, a missing SQLite file is an error rather than
// an empty new one. It prints any error and returns a nil DB and the
// exit status.
func openAdminDB(ctx context.Context, fs *flag.FlagSet, stderr io.Writer, cmd string, create bool) (*storage.DB, int) {
	fail := func(code int, format string, a ...any) (*storage.DB, int) {
		fmt.Fprintf(stderr, "sinopay "+cmd+": "+format+"\n", a...)
		return nil, code
	}
	e, err := loadEnv(".env")
	if err != nil {
		return fail(2, "%v", err)
	}
	target, err := flagOrEnv(fs, "db", e, "SINOPAY_DATABASE_URL", "./data/sinopay.db")
	if err != nil {
		return fail(2, "%v", err)
	}
	if !create && !storage.IsURL(target) {
		if _, err := os.Stat(strings.TrimPrefix(target, "sqlite:")); errors.Is(err, os.ErrNotExist) {
			return fail(1, "no database at %s (--db or SINOPAY_DATABASE_URL)", target)
		}
	}
	db, err := storage.Open(ctx, target)
	if err != nil {
		return fail(1, "%v", err)
	}
	fresh := db.Created
	if !fresh {
		if fresh, err = db.Fresh(ctx); err != nil {
			db.Close()
			return fail(1, "%v", err)
		}
	}
	if fresh && create {
		fmt.Fprintf(stderr, "%s is a new database: creating its tables, as sinopay serve would\n", db.Where)
		if err := db.Migrate(ctx, jobqueue.Schema); err != nil {
			db.Close()
			return fail(1, "%v", err)
		}
		return db, 0
	}
	if pending, err := db.Pending(ctx, jobqueue.Schema); err != nil {
		db.Close()
		return fail(1, "%v", err)
	} else if pending {
		db.Close()
		return fail(1, "the schema of %s is behind: run `sinopay migrate --db …` first", db.Where)
	}
	return db, 0
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
