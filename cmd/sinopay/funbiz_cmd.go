package main

import (
	"context"
	"io"
	"os"

	"github.com/sinopay/sinopay/internal/funbizcli"
)

// runFunbiz is `sinopay funbiz …`, whose subcommands live in funbizcli.
func runFunbiz(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return funbizcli.Run(ctx, args, funbizcli.Process{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, FlagSet: wantFlagSet(ctx)})
}

func funbizSubcommands() []subcommand {
	var out []subcommand
	for _, s := range funbizcli.Subcommands() {
		out = append(out, subcommand{name: s.Name, summary: s.Summary, flags: s.Flags})
	}
	return out
}
