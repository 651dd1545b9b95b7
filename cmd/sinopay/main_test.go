package main

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"
)

// The subcommands whose logic lives in a package of its own are reached
// from the command line, with their flags, streams and exit codes.
func TestSubcommandsWired(t *testing.T) {
	// The funbiz tools read the process's environment.
	t.Setenv("SINOPAY_HASH", "86D50DEF3EB7400E,01FD27C09E5549E5,9E004965F4244953,7FB3385F414E4F91")
	for _, c := range []struct {
		stdin          string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"", []string{"loadtest", "-h"}, 0, "usage: sinopay loadtest", ""},
		{"", []string{"loadtest", "--concurrency", "many"}, 2, "", "invalid value"},
		{"", []string{"loadtest", "--mode", "storm", "--shop", "http://example.com"}, 2, "", `--shop: "example.com" is not a loopback address`},
		{"", []string{"funbiz", "help"}, 0, "\n  order-create ", ""},
		{"", []string{"funbiz"}, 0, "usage: sinopay funbiz", ""},
		{"", []string{"funbiz", "refund"}, 2, "", `unknown subcommand "refund"`},
		{`{"ShopNo":"NA0249_001"}`, []string{"funbiz", "sign", "--nonce", "NjM3Njc5NTg1MTE2NjUuNDoz"}, 0, `"signString": "ShopNo=NA0249_001"`, ""},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, strings.NewReader(c.stdin), &stdout, &stderr)
		if code != c.code || !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("sinopay %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(c.args, " "), code, c.code, stdout.String(), stderr.String())
		}
	}
}

// runOut runs sinopay in-process with no stdin and returns its exit code
// and output.
func runOut(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// Help and usage errors are the same for every command and subcommand:
// the list of commands and each one's help on stdout, exit 0; a usage
// error in one line and a hint to -h on stderr, exit 2.
func TestHelpWalk(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	for _, args := range [][]string{nil, {"help"}, {"--help"}, {"-h"}, {"-help"}, {"help", "-h"}, {"help", "help"}} {
		code, out, errOut := runOut(args...)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "usage: sinopay <command>") {
			t.Errorf("sinopay %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
		}
		for _, c := range commands {
			if !strings.Contains(out, "\n  "+c.name+" ") {
				t.Errorf("sinopay %v does not list %s", args, c.name)
			}
		}
	}

	// helpOf checks that "CMD… -h" and "help CMD…" print the same help,
	// starting with want, and that it names every flag of fs.
	helpOf := func(want string, fs *flag.FlagSet, cmd ...string) {
		t.Helper()
		code, out, errOut := runOut(append(append([]string{}, cmd...), "-h")...)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, want) {
			t.Errorf("sinopay %s -h: exit %d\nstdout: %s\nstderr: %s", strings.Join(cmd, " "), code, out, errOut)
		}
		code2, out2, errOut2 := runOut(append([]string{"help"}, cmd...)...)
		if code2 != 0 || errOut2 != "" || out2 != out {
			t.Errorf("sinopay help %s: exit %d, not the same as -h\nstdout: %s\nstderr: %s", strings.Join(cmd, " "), code2, out2, errOut2)
		}
		if fs != nil {
			fs.VisitAll(func(f *flag.Flag) {
				if !strings.Contains(out, "-"+f.Name+" ") && !strings.Contains(out, "-"+f.Name+"\n") {
					t.Errorf("sinopay %s -h does not show -%s", strings.Join(cmd, " "), f.Name)
				}
			})
		}
	}
	// usageErr checks that args is a usage error naming cmd, in one line
	// and the hint.
	usageErr := func(cmd string, args ...string) {
		t.Helper()
		code, out, errOut := runOut(args...)
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if code != 2 || out != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], cmd+": ") || lines[1] != "Run '"+cmd+" -h' for help." {
			t.Errorf("sinopay %s: exit %d, want 2, one line and the hint to %s -h\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, cmd, out, errOut)
		}
	}

	walked := 0
	for _, c := range commands {
		if c.name == "help" {
			continue
		}
		if c.subs == nil {
			fs := flagSetOf(c.run)
			if fs == nil {
				t.Errorf("%s parses no flag set", c.name)
				continue
			}
			helpOf("usage: sinopay "+c.name, fs, c.name)
			usageErr("sinopay "+c.name, c.name, "--no-such-flag")
			usageErr("sinopay "+c.name, c.name, "stray")
			walked++
			continue
		}
		helpOf("usage: sinopay "+c.name+" <subcommand>", nil, c.name)
		if code, out, _ := runOut(c.name); code != 0 || !strings.HasPrefix(out, "usage: sinopay "+c.name) {
			t.Errorf("sinopay %s alone: exit %d\n%s", c.name, code, out)
		}
		usageErr("sinopay "+c.name, c.name, "no-such-subcommand")
		for _, s := range c.subs() {
			if s.flags == nil {
				continue
			}
			helpOf("usage: sinopay "+c.name+" "+s.name, s.flags, c.name, s.name)
			usageErr("sinopay "+c.name+" "+s.name, c.name, s.name, "--no-such-flag")
			walked++
		}
	}
	if walked < 15 {
		t.Errorf("walked %d commands with flags; the table lost some", walked)
	}
	usageErr("sinopay", "no-such-command")
	usageErr("sinopay", "")
	usageErr("sinopay", "--addr", "127.0.0.1:0")
	usageErr("sinopay help", "help", "no-such-command")
}
