package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Shell completion is generated from the commands table and the flag sets
// the commands parse (flagSetOf), so it offers what the binary takes.

const completionAbout = `Prints a shell completion script for the commands, subcommands and flags
of sinopay. Load it in the current shell, or install it:

  bash:  source <(sinopay completion bash)
         sinopay completion bash > /etc/bash_completion.d/sinopay
  zsh:   source <(sinopay completion zsh)
         sinopay completion zsh > "${fpath[1]}/_sinopay"
  fish:  sinopay completion fish | source
         sinopay completion fish > ~/.config/fish/completions/sinopay.fish`

var completionShells = []struct {
	name, summary string
	write         func(io.Writer, []compKey)
}{
	{"bash", "the bash completion script", writeBash},
	{"zsh", "the zsh completion script", writeZsh},
	{"fish", "the fish completion script", writeFish},
}

func completionSubcommands() []subcommand {
	var out []subcommand
	for _, s := range completionShells {
		out = append(out, subcommand{name: s.name, summary: s.summary, flags: flagSetOf(runCompletion, s.name)})
	}
	return out
}

func runCompletion(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		if wantFlagSet(ctx) == nil {
			subcommandHelp(stdout, "completion", completionAbout, completionSubcommands())
		}
		return 0
	}
	for _, s := range completionShells {
		if s.name != args[0] {
			continue
		}
		fs := flag.NewFlagSet("completion "+s.name, flag.ContinueOnError)
		usage := "usage: sinopay completion " + s.name + "\n\n" + completionAbout + "\n\nflags:\n"
		if code, ok := parseFlags(ctx, fs, args[1:], usage, stdout, stderr); !ok {
			return code
		}
		s.write(stdout, completionKeys())
		return 0
	}
	return usageError(stderr, "sinopay completion", fmt.Sprintf("unknown shell %q (want bash, zsh or fish)", args[0]))
}

// compKey is one place on the command line and what may be typed there:
// after nothing (cmd ""), after a command, or after a command and one of
// its subcommands.
type compKey struct {
	cmd, sub string
	words    []compWord // commands, subcommands or flags
	group    bool       // words are subcommands
}

type compWord struct {
	word, about string
	value       bool // a flag that takes a value
}

// completionKeys lists every place, from the commands table.
func completionKeys() []compKey {
	top := compKey{group: true}
	var keys []compKey
	for _, c := range commands {
		top.words = append(top.words, compWord{word: c.name, about: c.summary})
		if c.subs == nil {
			keys = append(keys, compKey{cmd: c.name, words: flagWords(flagSetOf(c.run))})
			continue
		}
		group := compKey{cmd: c.name, group: true}
		for _, s := range c.subs() {
			group.words = append(group.words, compWord{word: s.name, about: s.summary})
			if s.flags != nil {
				keys = append(keys, compKey{cmd: c.name, sub: s.name, words: flagWords(s.flags)})
			}
		}
		keys = append(keys, group)
	}
	return append([]compKey{top}, keys...)
}

func flagWords(fs *flag.FlagSet) []compWord {
	var out []compWord
	if fs == nil {
		return nil
	}
	fs.VisitAll(func(f *flag.Flag) {
		_, about := flag.UnquoteUsage(f)
		about, _, _ = strings.Cut(about, "\n")
		b, isBool := f.Value.(interface{ IsBoolFlag() bool })
		out = append(out, compWord{word: "--" + f.Name, about: about, value: !isBool || !b.IsBoolFlag()})
	})
	return out
}

// groups are the commands made of subcommands.
func groups(keys []compKey) []string {
	var out []string
	for _, k := range keys {
		if k.group && k.cmd != "" {
			out = append(out, k.cmd)
		}
	}
	sort.Strings(out)
	return out
}

// quote puts s in single quotes for bash, zsh and fish alike.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func words(k compKey, value bool) string {
	var out []string
	for _, w := range k.words {
		if !value || w.value {
			out = append(out, w.word)
		}
	}
	return strings.Join(out, " ")
}

func writeBash(w io.Writer, keys []compKey) {
	fmt.Fprintf(w, `# bash completion for sinopay, made by "sinopay completion bash".
# Load it with: source <(sinopay completion bash)

_sinopay() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local cmd="" sub="" i w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        [[ $w == -* ]] && continue
        if [[ -z $cmd ]]; then
            cmd=$w
        elif [[ -z $sub ]]; then
            sub=$w
        fi
    done
    case " %s " in
        *" $cmd "*) ;;
        *) sub="" ;;
    esac
    local words="" valued=""
    case "$cmd/$sub" in
`, strings.Join(groups(keys), " "))
	for _, k := range keys {
		fmt.Fprintf(w, "        %s) words=%s valued=%s ;;\n", quote(k.cmd+"/"+k.sub), quote(words(k, false)), quote(words(k, true)))
	}
	fmt.Fprint(w, `    esac
    # The value of a flag: leave it to the shell (file names).
    if [[ $prev == --* && " $valued " == *" $prev "* ]]; then
        COMPREPLY=()
        return 0
    fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _sinopay sinopay
`)
}

func writeZsh(w io.Writer, keys []compKey) {
	fmt.Fprintf(w, `#compdef sinopay
# zsh completion for sinopay, made by "sinopay completion zsh".
# Load it with: source <(sinopay completion zsh)
# or save it as _sinopay in a folder of $fpath.

_sinopay() {
    local cmd="" sub="" i w
    for ((i = 2; i < CURRENT; i++)); do
        w=${words[i]}
        [[ $w == -* ]] && continue
        if [[ -z $cmd ]]; then
            cmd=$w
        elif [[ -z $sub ]]; then
            sub=$w
        fi
    done
    case " %s " in
        *" $cmd "*) ;;
        *) sub="" ;;
    esac
    local -a items valued
    local what=flag
    case "$cmd/$sub" in
`, strings.Join(groups(keys), " "))
	for _, k := range keys {
		var items []string
		for _, x := range k.words {
			items = append(items, quote(strings.ReplaceAll(x.word, ":", `\:`)+":"+x.about))
		}
		what := "flag"
		if k.group {
			what = "command"
		}
		fmt.Fprintf(w, "        %s)\n            what=%s\n            items=(%s)\n            valued=(%s) ;;\n",
			quote(k.cmd+"/"+k.sub), what, strings.Join(items, " "), words(k, true))
	}
	fmt.Fprint(w, `    esac
    # The value of a flag: file names.
    if (( ${valued[(Ie)${words[CURRENT-1]}]} )); then
        _files
        return
    fi
    _describe -t $what "sinopay $what" items
}

if [[ $funcstack[1] == _sinopay ]]; then
    _sinopay "$@"
else
    compdef _sinopay sinopay
fi
`)
}

func writeFish(w io.Writer, keys []compKey) {
	fmt.Fprintf(w, `# fish completion for sinopay, made by "sinopay completion fish".
# Load it with: sinopay completion fish | source

# __sinopay_key prints where the command line is: "", a command, or a
# command and its subcommand.
function __sinopay_key
    set -l toks (commandline -opc)
    set -e toks[1]
    set -l cmd ""
    set -l sub ""
    for t in $toks
        if string match -q -- '-*' $t
            continue
        end
        if test -z "$cmd"
            set cmd $t
        else if test -z "$sub"
            set sub $t
        end
    end
    if contains -- $cmd %s
        echo "$cmd/$sub"
    else
        echo "$cmd/"
    end
end

function __sinopay_at
    set -l key (__sinopay_key)
    test "$key" = "$argv[1]"
end

complete -c sinopay -f
`, strings.Join(groups(keys), " "))
	for _, k := range keys {
		at := quote("__sinopay_at " + quote(k.cmd+"/"+k.sub))
		for _, x := range k.words {
			switch {
			case k.group:
				fmt.Fprintf(w, "complete -c sinopay -n %s -a %s -d %s\n", at, quote(x.word), quote(x.about))
			case x.value:
				fmt.Fprintf(w, "complete -c sinopay -n %s -l %s -r -F -d %s\n", at, quote(strings.TrimPrefix(x.word, "--")), quote(x.about))
			default:
				fmt.Fprintf(w, "complete -c sinopay -n %s -l %s -d %s\n", at, quote(strings.TrimPrefix(x.word, "--")), quote(x.about))
			}
		}
	}
}
