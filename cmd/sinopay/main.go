// Command sinopay is the one binary of the project: the shop, the bank
// sandbox and the funbiz debugging tools.
//
//	sinopay [serve]    run the shop, with the bank sandbox embedded
//	sinopay migrate    apply database migrations
//	sinopay admin …    make an admin of the back office
//	sinopay funbiz …   call the bank's API, or sign and open messages offline
//	sinopay sandbox    run the offline bank simulator
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sinopay/sinopay/internal/funbizcli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		// The shop is the default command, so that `go run ./cmd/sinopay`
		// starts it.
		return runServe(ctx, args, stdout, stderr)
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], stdout, stderr)
	case "admin":
		return runAdmin(ctx, args[1:], stdin, stdout, stderr)
	case "loadtest":
		return runLoadtest(ctx, args[1:], stdout, stderr)
	case "funbiz":
		return funbizcli.Run(ctx, args[1:], funbizcli.Process{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv})
	case "sandbox":
		return runSandbox(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "sinopay: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: sinopay <command> [flags]

commands:
  serve     run the shop (the default), with the bank sandbox embedded
  migrate   apply database migrations (a deploy step)
  admin     "admin create --email …" makes an admin of the back office
  loadtest  drive synthetic customers through a running shop and sandbox,
            then audit every order against the sandbox; or load a bank
            alone (--mode bank); CPU per operation from their /metrics
  funbiz    call the bank's API (one subcommand per service), or sign and
            open messages offline; "sinopay funbiz help" lists them
  sandbox   run the offline simulator of the bank
`)
}
