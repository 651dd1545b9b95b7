package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/shop"
)

const apikeyAbout = `Keys for the JSON API (/api/v1/), with which another shop's server takes
payments through sinopay. A key's secret (sk_test_… or sk_live_…) is
printed once, when it is made, and stored only as its SHA-256; each key
has its own webhook signing secret (whsec_…). Test keys take payments
at the sandbox only, live keys at the configured bank. The database is
--db or SINOPAY_DATABASE_URL (or .env), as for sinopay migrate.`

const apikeyCreateUsage = `usage: sinopay apikey create --name NAME [--mode test|live] [--webhook URL] [--db DB]

Makes an API key and prints its secret, the only time it is shown, and
its webhook signing secret. --webhook adds an endpoint its events are
sent to (more can be added in the back office, /admin/apikeys); a live
key's must be https and must not name this machine or a private address.

flags:
`

const apikeyRevokeUsage = `usage: sinopay apikey revoke --id ID [--db DB]

Revokes an API key: from its next request on, it opens nothing. Its
payments stay, and go on as they would.

flags:
`

const apikeyListUsage = `usage: sinopay apikey list [--db DB]

Lists the API keys, one a line: id, mode, the secret's last four
characters, state (working, or revoked and when), when it was made (UTC)
and its name.

flags:
`

var apikeyCommands = []struct {
	name, summary string
	run           runFunc
}{
	{"create", "make an API key and print its secret, once", runAPIKeyCreate},
	{"revoke", "revoke an API key", runAPIKeyRevoke},
	{"list", "list the API keys", runAPIKeyList},
}

func apikeySubcommands() []subcommand {
	var out []subcommand
	for _, c := range apikeyCommands {
		out = append(out, subcommand{name: c.name, summary: c.summary, flags: flagSetOf(c.run)})
	}
	return out
}

// runAPIKey dispatches the apikey subcommands.
func runAPIKey(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		if wantFlagSet(ctx) == nil {
			subcommandHelp(stdout, "apikey", apikeyAbout, apikeySubcommands())
		}
		return 0
	}
	for _, c := range apikeyCommands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	return usageError(stderr, "sinopay apikey", fmt.Sprintf("unknown subcommand %q", args[0]))
}

func runAPIKeyCreate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
	name := fs.String("name", "", "what the key is for, such as the shop that uses it (required)")
	mode := fs.String("mode", "test", `"test" (payments at the sandbox) or "live" (at the configured bank)`)
	webhook := fs.String("webhook", "", "a URL the key's events are sent to")
	fs.String("db", "./data/sinopay.db", "SQLite file or postgres:// URL (SINOPAY_DATABASE_URL)")
	if code, ok := parseFlags(ctx, fs, args, apikeyCreateUsage, stdout, stderr); !ok {
		return code
	}
	m := shop.APIMode(*mode)
	if !m.Valid() {
		return usageError(stderr, "sinopay apikey create", fmt.Sprintf("--mode %q: must be test or live", *mode))
	}
	if err := shop.CheckAPIKeyName(*name); err != nil {
		return usageError(stderr, "sinopay apikey create", "--name: "+locale.T(locale.EN, shop.ErrorKey(err)))
	}
	if *webhook != "" {
		if _, err := shop.CheckWebhookURL(*webhook, m); err != nil {
			return usageError(stderr, "sinopay apikey create", "--webhook: "+locale.T(locale.EN, shop.ErrorKey(err)))
		}
	}
	db, code := openAdminDB(ctx, fs, stderr, "apikey create", true)
	if db == nil {
		return code
	}
	defer db.Close()
	now := time.Now()
	k, secret, err := db.CreateAPIKey(ctx, *name, m, now)
	if err != nil {
		fmt.Fprintf(stderr, "sinopay apikey create: %v\n", err)
		return 1
	}
	if *webhook != "" {
		if _, err := db.AddWebhookEndpoint(ctx, k.ID, *webhook, now); err != nil {
			fmt.Fprintf(stderr, "sinopay apikey create: key %d made, but its webhook endpoint was not: %v\n", k.ID, err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "API key %d (%s) %q made in %s.\n", k.ID, k.Mode, k.Name, db.Where)
	fmt.Fprintf(stdout, "secret, shown this once and stored only hashed:\n  %s\n", secret)
	fmt.Fprintf(stdout, "webhook signing secret:\n  %s\n", k.WebhookSecret)
	return 0
}

func runAPIKeyRevoke(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apikey revoke", flag.ContinueOnError)
	idFlag := fs.String("id", "", "the key's id, as sinopay apikey list shows it (required)")
	fs.String("db", "./data/sinopay.db", "SQLite file or postgres:// URL (SINOPAY_DATABASE_URL)")
	if code, ok := parseFlags(ctx, fs, args, apikeyRevokeUsage, stdout, stderr); !ok {
		return code
	}
	id, err := strconv.ParseInt(*idFlag, 10, 64)
	if err != nil || id <= 0 {
		return usageError(stderr, "sinopay apikey revoke", "--id must be a key's id, a positive number")
	}
	db, code := openAdminDB(ctx, fs, stderr, "apikey revoke", false)
	if db == nil {
		return code
	}
	defer db.Close()
	k, revoked, err := db.RevokeAPIKey(ctx, id, time.Now())
	switch {
	case shop.IsCode(err, shop.NotFound):
		fmt.Fprintf(stderr, "sinopay apikey revoke: no API key %d in %s\n", id, db.Where)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "sinopay apikey revoke: %v\n", err)
		return 1
	case !revoked:
		fmt.Fprintf(stdout, "API key %d %q was already revoked on %s; nothing changed.\n", k.ID, k.Name, k.RevokedAt.UTC().Format("2006-01-02 15:04"))
		return 0
	}
	fmt.Fprintf(stdout, "API key %d %q revoked: it opens nothing from now on.\n", k.ID, k.Name)
	return 0
}

func runAPIKeyList(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apikey list", flag.ContinueOnError)
	fs.String("db", "./data/sinopay.db", "SQLite file or postgres:// URL (SINOPAY_DATABASE_URL)")
	if code, ok := parseFlags(ctx, fs, args, apikeyListUsage, stdout, stderr); !ok {
		return code
	}
	db, code := openAdminDB(ctx, fs, stderr, "apikey list", false)
	if db == nil {
		return code
	}
	defer db.Close()
	keys, err := db.APIKeys(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "sinopay apikey list: %v\n", err)
		return 1
	}
	if len(keys) == 0 {
		fmt.Fprintf(stderr, "no API key in %s: sinopay apikey create makes one\n", db.Where)
		return 0
	}
	for _, k := range keys {
		state := "working"
		if k.Revoked() {
			state = "revoked " + k.RevokedAt.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(stdout, "%d\t%s\t…%s\t%s\t%s\t%s\n", k.ID, k.Mode, k.Hint, state, k.CreatedAt.UTC().Format("2006-01-02 15:04"), k.Name)
	}
	return 0
}
