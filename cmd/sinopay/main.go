// Command sinopay is the one binary of the project: the shop, the bank
// sandbox and the funbiz debugging tools.
//
//	sinopay serve      run the shop, with the bank sandbox embedded
//	sinopay migrate    apply database migrations
//	sinopay admin …    make, list and remove admins of the back office
//	sinopay apikey …   make, list and revoke keys for the JSON API
//	sinopay funbiz …   call the bank's API, or sign and open messages offline
//	sinopay sandbox    run the offline bank simulator
//	sinopay help       list every command
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runFunc runs a command with the arguments after its name and returns
// the process exit code: 0 done, 1 failed, 2 a usage error.
type runFunc func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// command is one command of sinopay. Its flags are those of the flag set
// it parses (see parseFlags), which help and shell completion read.
type command struct {
	name    string
	summary string
	run     runFunc
	// subs lists the subcommands of a command made of several, for
	// completion; nil for a command with flags of its own.
	subs func() []subcommand
}

// commands is in the order help lists them.
var commands []command

func init() {
	// Set here rather than in the declaration: help and completion read
	// the table that holds them.
	commands = []command{
		{"serve", "run the shop, with the bank sandbox embedded", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return runServe(ctx, args, stdout, stderr)
		}, nil},
		{"migrate", "apply database migrations (a deploy step)", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return runMigrate(ctx, args, stdout, stderr)
		}, nil},
		{"admin", "make, list and remove admins of the back office", runAdmin, adminSubcommands},
		{"apikey", "make, list and revoke keys for the JSON API", runAPIKey, apikeySubcommands},
		{"health", "ask a running shop whether it is ready (exit 0) or not (exit 1)", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return runHealth(ctx, args, stdout, stderr)
		}, nil},
		{"sandbox", "run the offline simulator of the bank", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return runSandbox(ctx, args, stdout, stderr)
		}, nil},
		{"funbiz", "call the bank's API (one subcommand per service), or sign and open messages offline", runFunbiz, funbizSubcommands},
		{"loadtest", "drive synthetic customers through a running shop and sandbox, then audit every order; or load a bank alone (--mode bank)", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return runLoadtest(ctx, args, stdout, stderr)
		}, nil},
		{"version", "print the version, the source revision and the Go that built it", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return runVersion(ctx, args, stdout, stderr)
		}, nil},
		{"completion", "print a shell completion script: bash, zsh or fish", runCompletion, completionSubcommands},
		{"help", `list the commands; "sinopay help COMMAND" shows one`, runHelp, helpSubcommands},
	}
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// run dispatches a command and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return 0
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return 0
	case "-version", "--version":
		return runVersion(ctx, args[1:], stdout, stderr)
	}
	c := lookup(args[0])
	if c == nil {
		if strings.HasPrefix(args[0], "-") {
			// The shop's flags used to work without "serve".
			return usageError(stderr, "sinopay", fmt.Sprintf("flag %s before a command; a command's flags follow its name (sinopay serve %s)", args[0], args[0]))
		}
		return usageError(stderr, "sinopay", fmt.Sprintf("unknown command %q", args[0]))
	}
	return c.run(ctx, args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, "usage: sinopay <command> [flags]\n\nTakes payments through Bank SinoPac's funBIZ API: the shop, its bank sandbox\nand tools for the bank's API.\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
"sinopay help COMMAND" or "sinopay COMMAND -h" shows a command's flags.
Start the shop and its sandbox with: sinopay serve
`)
}

// runHelp is `sinopay help [COMMAND [SUBCOMMAND]]`: the list of commands,
// or what COMMAND -h prints.
func runHelp(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	if wantFlagSet(ctx) != nil {
		return 0
	}
	c := lookup(args[0])
	if c == nil {
		return usageError(stderr, "sinopay help", fmt.Sprintf("unknown command %q", args[0]))
	}
	if len(args) > 2 {
		return usageError(stderr, "sinopay help", "too many arguments: give a command and at most one subcommand")
	}
	return c.run(ctx, append(args[1:], "-h"), stdin, stdout, stderr)
}

// helpSubcommands are the commands, which help takes as its argument.
func helpSubcommands() []subcommand {
	var out []subcommand
	for _, c := range commands {
		if c.name != "help" {
			out = append(out, subcommand{name: c.name, summary: c.summary})
		}
	}
	return out
}
