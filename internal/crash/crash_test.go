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
	}{
		"":                {"", 0},
		"notify-recorded": {"notify-recorded", 1},
		"sweep-mid:3":     {"sweep-mid", 3},
		" confirm-start ": {"confirm-start", 1},
		"sweep-mid:0":     {"", 0},
		"sweep-mid:-1":    {"", 0},
		"sweep-mid:x":     {"", 0},
		":3":              {"", 0},
	} {
		name, at := parse(in)
		if name != want.name || at != want.at {
			t.Errorf("parse(%q) = %q, %d; want %q, %d", in, name, at, want.name, want.at)
		}
	}
}

// The test binary runs itself with the variable set and must die by
// SIGKILL at the third hit, never before.
func TestPointKills(t *testing.T) {
	if os.Getenv("CRASH_CHILD") == "1" {
		Point("other")
		for i := 1; i <= 3; i++ {
			os.Stdout.WriteString("hit\n")
			Point("here")
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

func TestPointInert(t *testing.T) {
	// This process has no SINOPAY_CRASH_AT (the parent test strips it only
	// for its child), so every point is a no-op.
	if os.Getenv(EnvVar) != "" {
		t.Skip(EnvVar + " is set in the test environment")
	}
	for range 10 {
		Point("notify-recorded")
	}
}
