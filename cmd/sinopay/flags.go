package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Every command answers the same way: -h prints its help on stdout and
// exits 0; a usage error prints one line and a hint to -h on stderr and
// exits 2.

// parseFlags parses a command's flags. ok is false when the command must
// stop, with code as its exit status: 0 after -h (its help printed on
// stdout: usage, which ends with "flags:", then the flags), 2 after a bad
// flag or a positional argument. Positional arguments are not echoed: one
// is most often what follows a flag that lost its own value, and may be a
// password in a database URL.
//
// When ctx carries a request for the flag set (flagSetOf), parseFlags
// hands fs over and stops the command before it does anything: shell
// completion lists the flags a command really parses.
func parseFlags(ctx context.Context, fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) (code int, ok bool) {
	if want := wantFlagSet(ctx); want != nil {
		want(fs)
		return 0, false
	}
	// The flag package would print errors and usage itself, to one
	// writer; help belongs on stdout, one line of error on stderr.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printHelp(stdout, fs, usage)
		return 0, false
	case err != nil:
		return usageError(stderr, "sinopay "+fs.Name(), err.Error()), false
	case fs.NArg() > 0:
		return usageError(stderr, "sinopay "+fs.Name(), fmt.Sprintf("%d unexpected argument(s) after the flags; every value goes in a flag (did a flag miss its value?)", fs.NArg())), false
	}
	return 0, true
}

// printHelp prints a command's usage text and its flags.
func printHelp(w io.Writer, fs *flag.FlagSet, usage string) {
	io.WriteString(w, usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// usageError prints msg after the command's name, and where to find its
// help, on stderr; it returns 2, the exit status of a usage error.
func usageError(stderr io.Writer, cmd, msg string) int {
	fmt.Fprintf(stderr, "%s: %s\nRun '%s -h' for help.\n", cmd, msg, cmd)
	return 2
}

type flagSetKey struct{}

// wantFlagSet returns the function a command hands its flag set to
// instead of running, when ctx asks for it.
func wantFlagSet(ctx context.Context) func(*flag.FlagSet) {
	f, _ := ctx.Value(flagSetKey{}).(func(*flag.FlagSet))
	return f
}

// flagSetOf returns the flag set that run parses with args (the
// subcommand's name, for a command made of several), without running it;
// nil when it parses none.
func flagSetOf(run runFunc, args ...string) *flag.FlagSet {
	var fs *flag.FlagSet
	ctx := context.WithValue(context.Background(), flagSetKey{}, func(f *flag.FlagSet) { fs = f })
	run(ctx, args, strings.NewReader(""), io.Discard, io.Discard)
	return fs
}

// subcommand is one subcommand of a command made of several (admin,
// funbiz…), for help and completion.
type subcommand struct {
	name, summary string
	flags         *flag.FlagSet // nil when it takes none
}

// subcommandHelp prints the help of a command made of several.
func subcommandHelp(w io.Writer, cmd, about string, subs []subcommand) {
	fmt.Fprintf(w, "usage: sinopay %s <subcommand> [flags]\n\n%s\n\nsubcommands:\n", cmd, strings.TrimSpace(about))
	for _, s := range subs {
		fmt.Fprintf(w, "  %-8s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\n\"sinopay %s <subcommand> -h\" shows a subcommand's flags.\n", cmd)
}
