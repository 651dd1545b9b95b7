// Package funbizcli is `sinopay funbiz`: one subcommand per service of the
// bank's API (OrderCreate, OrderQuery, OrderPayQuery…), with its
// connection from flags or the environment, and offline tools that sign a
// message or open a response envelope. Results are JSON on stdout, errors
// on stderr (with a JSON twin carrying the bank's code), and the exit
// status tells a refusal (1) from a mistake on the command line (2).
package funbizcli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sinopay/sinopay/funbiz"
)

// Process is what the CLI uses of the process that runs it: its streams
// and its environment, which only Getenv reads (os.Getenv; nil reads an
// empty one). Tests run the whole CLI in-process with their own.
type Process struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(key string) string
	// FlagSet, when set, is handed the flag set of the subcommand run,
	// which then stops before doing anything: shell completion lists the
	// flags a subcommand really parses.
	FlagSet func(*flag.FlagSet)
}

func (o Process) getenv(key string) string {
	if o.Getenv == nil {
		return ""
	}
	return o.Getenv(key)
}

type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, o Process) int
}

// subcommands is in the order "help" lists them: the calls to the bank
// first, then the offline tools.
var subcommands = []subcommand{
	{"check", "check the connection settings against the bank, in words", runCheck},
	{"nonce", "fetch a fresh Nonce (a cheap check of URL, shop number and key id)", runNonce},
	{"order-create", "create an ATM or card order (OrderCreate)", runOrderCreate},
	{"order-query", "list orders by number, pay type, dates or paid flag (OrderQuery)", runOrderQuery},
	{"pay-query", "resolve the PayToken of a callback (OrderPayQuery)", runPayQuery},
	{"maintain", "capture, cancel or refund a card order (OrderMaintain)", runMaintain},
	{"uncaptured", "list card orders authorised but not captured (OrderUnCapturedQuery)", runUncaptured},
	{"bill", "one day's collections and refunds (BillQuery)", runBill},
	{"allot", "settlements (撥款) in a date range (AllotQuery)", runAllot},
	{"sign", "Sign and sign string of a message JSON read on stdin", runSign},
	{"open", "decrypt a response envelope read on stdin and check its Sign", runOpen},
}

const firstOffline = "sign"

// Run runs `sinopay funbiz args…` and returns its exit status: 0 ok, 1
// the bank refused or the call failed, 2 a usage error.
func Run(ctx context.Context, args []string, o Process) int {
	if len(args) == 0 {
		printUsage(o.Stdout)
		return 0
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		printUsage(o.Stdout)
		return 0
	}
	for _, c := range subcommands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], o)
		}
	}
	fmt.Fprintf(o.Stderr, "sinopay funbiz: unknown subcommand %q\nRun 'sinopay funbiz -h' for help.\n", args[0])
	return 2
}

// Subcommand is a subcommand as help and shell completion see it.
type Subcommand struct {
	Name, Summary string
	Flags         *flag.FlagSet
}

// Subcommands lists the subcommands, in the order help lists them, with
// the flag sets they parse.
func Subcommands() []Subcommand {
	var out []Subcommand
	for _, c := range subcommands {
		s := Subcommand{Name: c.name, Summary: c.summary}
		c.run(context.Background(), nil, Process{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
			FlagSet: func(fs *flag.FlagSet) { s.Flags = fs }})
		out = append(out, s)
	}
	return out
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, "usage: sinopay funbiz <subcommand> [flags]\n\ncalls to the bank:\n")
	for _, c := range subcommands {
		if c.name == firstOffline {
			fmt.Fprint(w, "\noffline tools:\n")
		}
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `  help          this list

"sinopay funbiz <subcommand> -h" lists the flags of a subcommand.

The calls to the bank read their connection from flags or, better (flags
show up in ps), from the environment: --url / SINOPAY_FUNBIZ_URL,
--shop-no / SINOPAY_SHOP_NO, --hash / SINOPAY_HASH (A1,A2,B1,B2),
--key-id / SINOPAY_KEY_ID.

Amounts are whole NT$. Results are JSON on stdout; errors go to stderr.
Exit status: 0 ok, 1 the bank refused or the call failed, 2 usage error.
`)
}

// parseFlags parses a subcommand's flags. ok is false when the command must
// stop, with code as its exit status: 0 after -h, 2 after a bad flag.
func parseFlags(fs *flag.FlagSet, args []string, synopsis string, o Process) (code int, ok bool) {
	if o.FlagSet != nil {
		o.FlagSet(fs)
		return 0, false
	}
	// The flag package would print the error and the usage itself, always
	// to one writer; -h belongs on stdout (it was asked for), a mistake on
	// stderr, in one line and a hint.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		flagUsage(o.Stdout, fs, synopsis)
		return 0, false
	case err != nil:
		fmt.Fprintf(o.Stderr, "sinopay funbiz %s: %v\nRun 'sinopay funbiz %s -h' for help.\n", fs.Name(), err, fs.Name())
		return 2, false
	case fs.NArg() > 0:
		// The stray value is not echoed: it is most often what follows a
		// flag that lost its own value ("--shop-no --hash A1,…" leaves the
		// hash values over), and those must not be printed.
		fmt.Fprintf(o.Stderr, "sinopay funbiz %s: %d unexpected argument(s) after the flags; every value goes in a flag (did a flag miss its value?)\nRun 'sinopay funbiz %s -h' for help.\n", fs.Name(), fs.NArg(), fs.Name())
		return 2, false
	}
	return 0, true
}

func flagUsage(w io.Writer, fs *flag.FlagSet, synopsis string) {
	fmt.Fprintf(w, "usage: sinopay funbiz %s [flags]\n\n%s\n\nflags:\n", fs.Name(), strings.TrimSpace(synopsis))
	prev := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(prev)
}

// setFlags returns the names of the flags given on the command line, to
// tell an explicit value from a default.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// printJSON writes v as indented JSON. HTML escaping is off because the
// bank's URLs are full of '&', and \u0026 in them would not paste back.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// usageError is a mistake of the caller: it exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errorJSON is the machine-readable twin of an error line, for scripts
// that branch on the bank's code.
type errorJSON struct {
	Error       string `json:"error"`
	Service     string `json:"service,omitempty"`
	Field       string `json:"field,omitempty"`
	Code        string `json:"code,omitempty"`
	Description string `json:"description,omitempty"`
	HTTPStatus  int    `json:"httpStatus,omitempty"`
}

// report prints err on stderr and returns the exit status for it.
// flagOf maps a funbiz field name to the flag that sets it, so that a
// refused parameter is named the way the user typed it.
func report(w io.Writer, cmd string, err error, flagOf map[string]string) int {
	fmt.Fprintf(w, "sinopay funbiz %s: %v", cmd, err)
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(w)
		return 2
	}
	var e *funbiz.Error
	if !errors.As(err, &e) {
		fmt.Fprintln(w)
		return 1
	}
	if f := flagOf[e.Field]; f != "" {
		fmt.Fprintf(w, " (set with %s)", f)
	}
	fmt.Fprintln(w)
	printJSON(w, errorJSON{Error: err.Error(), Service: e.Service, Field: e.Field, Code: e.Code,
		Description: e.Description, HTTPStatus: e.HTTPStatus})
	// A parameter the package refused was never sent: the fix is on the
	// command line, like any other usage error.
	if errors.Is(err, funbiz.ErrInvalid) {
		return 2
	}
	return 1
}
