package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// completionScript writes `sinopay completion SHELL` to a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	code, out, errOut := runOut("completion", shell)
	if code != 0 || errOut != "" || out == "" {
		t.Fatalf("completion %s: exit %d\n%s", shell, code, errOut)
	}
	path := filepath.Join(t.TempDir(), "sinopay."+shell)
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Each script is valid in its shell: bash -n, zsh -n and fish -n accept
// it. bash is required; zsh and fish are checked where installed.
func TestCompletionScriptsParse(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			if _, err := exec.LookPath(shell); err != nil {
				if shell == "bash" {
					t.Fatal("bash is missing")
				}
				t.Skipf("%s is not installed", shell)
			}
			path := completionScript(t, shell)
			if out, err := exec.Command(shell, "-n", path).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", shell, err, out)
			}
		})
	}
	if code, _, errOut := runOut("completion", "tcsh"); code != 2 || !strings.Contains(errOut, `unknown shell "tcsh"`) {
		t.Errorf("completion tcsh: %d %q", code, errOut)
	}
}

// completionCases are what a shell offers at a point of the command line
// (the last word is the one being completed), checked in bash and fish.
var completionCases = []struct {
	line []string
	want []string // among what is offered
	not  []string // not offered
}{
	{[]string{"ad"}, []string{"admin"}, []string{"serve"}},
	{[]string{""}, []string{"serve", "migrate", "admin", "completion", "version", "funbiz"}, nil},
	{[]string{"admin", ""}, []string{"create", "remove", "list"}, nil},
	{[]string{"admin", "create", "--"}, []string{"--email", "--db"}, []string{"--addr"}},
	{[]string{"admin", "create", "--email", "a@example.com", "--d"}, []string{"--db"}, []string{"--email"}},
	{[]string{"serve", "--addr", "127.0.0.1:8080", "--metr"}, []string{"--metrics-addr"}, nil},
	{[]string{"funbiz", "order-create", "--exp"}, []string{"--expire-date", "--exp-minutes"}, nil},
	{[]string{"completion", ""}, []string{"bash", "zsh", "fish"}, nil},
	{[]string{"help", "fun"}, []string{"funbiz"}, nil},
}

// bash offers the commands, subcommands and flags of the real flag sets.
func TestCompletionBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is missing")
	}
	path := completionScript(t, "bash")
	for _, c := range completionCases {
		words := append([]string{"sinopay"}, c.line...)
		script := `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _sinopay; printf '%s\n' "${COMPREPLY[@]}"`
		out, err := exec.Command("bash", append([]string{"-c", script, "bash", path}, words...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", c.line, err, out)
		}
		checkOffered(t, "bash", c.line, strings.Fields(string(out)), c.want, c.not)
	}
	// Every flag of every command is offered somewhere: the script is
	// made from the flag sets, not written by hand.
	script, _ := os.ReadFile(path)
	for _, k := range completionKeys() {
		for _, w := range k.words {
			if !strings.Contains(string(script), w.word) {
				t.Errorf("%s %s: %s missing from the bash script", k.cmd, k.sub, w.word)
			}
		}
	}
}

func TestCompletionFish(t *testing.T) {
	if _, err := exec.LookPath("fish"); err != nil {
		t.Skip("fish is not installed")
	}
	path := completionScript(t, "fish")
	for _, c := range completionCases {
		line := "sinopay " + strings.Join(c.line, " ")
		out, err := exec.Command("fish", "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, path, line).CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", line, err, out)
		}
		var offered []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			w, _, _ := strings.Cut(l, "\t")
			offered = append(offered, w)
		}
		checkOffered(t, "fish", c.line, offered, c.want, c.not)
	}
}

func checkOffered(t *testing.T, shell string, line, offered, want, not []string) {
	t.Helper()
	has := map[string]bool{}
	for _, w := range offered {
		has[w] = true
	}
	for _, w := range want {
		if !has[w] {
			t.Errorf("%s, sinopay %s<TAB>: %s not offered; offered %v", shell, strings.Join(line, " "), w, offered)
		}
	}
	for _, w := range not {
		if has[w] {
			t.Errorf("%s, sinopay %s<TAB>: %s offered", shell, strings.Join(line, " "), w)
		}
	}
}
