package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the release's version, stamped by scripts/release with
// -ldflags "-X main.version=v1.2.3". Without it the module's version
// from the build info is used: v1.2.3 under go install …@v1.2.3, a
// pseudo-version or "(devel)" in a checkout.
var version string

// revision and commitTime are the source's commit and its time (RFC
// 3339), stamped by scripts/release the same way, for builds whose Go
// does not record them (-buildvcs=false, a tree go cannot read).
var revision, commitTime string

// buildInfo is what sinopay knows of its own build.
type buildInfo struct {
	Version  string
	Revision string // the VCS commit, "unknown" without one
	Time     string // the commit's time, RFC 3339; "" without one
	Modified bool   // built from a tree with uncommitted changes
	Go       string // the Go version that built it
	Platform string // GOOS/GOARCH
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Revision: "unknown", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		b.Go = info.GoVersion
		if b.Version == "" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if revision != "" {
		b.Revision, b.Time, b.Modified = revision, commitTime, false
	}
	if b.Version == "" || b.Version == "(devel)" {
		b.Version = "devel"
	}
	return b
}

// RevisionLabel is the revision with "-dirty" when the tree had changes.
func (b buildInfo) RevisionLabel() string {
	if b.Modified {
		return b.Revision + "-dirty"
	}
	return b.Revision
}

const versionUsage = `usage: sinopay version

Prints the version, the source revision and its time, and the Go that
built this binary (also: sinopay --version). The same appear in serve's
start-up log line and in the sinopay_build_info metric.

flags:
`

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if code, ok := parseFlags(ctx, fs, args, versionUsage, stdout, stderr); !ok {
		return code
	}
	b := readBuildInfo()
	fmt.Fprintf(stdout, "sinopay %s\n", b.Version)
	fmt.Fprintf(stdout, "revision: %s\n", b.RevisionLabel())
	if b.Time != "" {
		fmt.Fprintf(stdout, "time:     %s\n", b.Time)
	}
	fmt.Fprintf(stdout, "go:       %s %s\n", b.Go, b.Platform)
	return 0
}
