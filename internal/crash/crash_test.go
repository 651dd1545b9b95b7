package crash

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]struct {
		name string
		at   int64
		ok   bool
	}{
		"":                {"", 0, true},
		"notify-recorded": {"notify-recorded", 1, true},
		"sweep-mid:3":     {"sweep-mid", 3, true},
		" confirm-start ": {"confirm-start", 1, true},
		"sweep-mid:0":     {"", 0, false},
		"sweep-mid:-1":    {"", 0, false},
		"sweep-mid:x":     {"", 0, false},
		":3":              {"", 0, false},
	} {
		p, err := Parse(in)
		var name string
		var at int64
		if p != nil {
			name, at = p.name, p.at
		}
		if name != want.name || at != want.at || (err == nil) != want.ok || p.Armed() != (want.name != "") {
			t.Errorf("Parse(%q) = %q, %d, %v; want %q, %d, ok %v", in, name, at, err, want.name, want.at, want.ok)
		}
	}
}

// The test binary runs itself, arming the point as cmd/sinopay would from
// the variable, and must die by SIGKILL at the third hit, never before.
func TestPointKills(t *testing.T) {
	if os.Getenv("CRASH_CHILD") == "1" {
		p, err := Parse(os.Getenv(EnvVar))
		if err != nil {
			os.Stdout.WriteString(err.Error())
			os.Exit(1)
		}
		p.Point("other")
		for i := 1; i <= 3; i++ {
			os.Stdout.WriteString("hit\n")
			p.Point("here")
		}
		os.Stdout.WriteString("survived\n")
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPointKills$")
	cmd.Env = append(os.Environ(), "CRASH_CHILD=1", EnvVar+"=here:3")
	out, err := cmd.Output()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if err == nil || !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v (%v), output %q", err, cmd.ProcessState, out)
	}
	if string(out) != "hit\nhit\nhit\n" {
		t.Fatalf("output %q: the crash came at the wrong hit", out)
	}
}

// Nil Points, Points of an empty value and Points armed elsewhere never
// kill.
func TestPointInert(t *testing.T) {
	var none *Points
	empty, _ := Parse("")
	elsewhere, _ := Parse("sweep-mid")
	for range 10 {
		for _, p := range []*Points{none, empty, elsewhere} {
			p.Point("notify-recorded")
			p.Point("")
		}
	}
}
