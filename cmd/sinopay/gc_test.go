package main

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	if v, ok := os.LookupEnv("GOGC"); ok {
		t.Cleanup(func() { os.Setenv("GOGC", v) })
	} else {
		t.Cleanup(func() { os.Unsetenv("GOGC") })
	}

	os.Unsetenv("GOGC")
	if got := tuneGC(); got != defaultGCPercent {
		t.Fatalf("GOGC unset: tuneGC() = %d, want %d", got, defaultGCPercent)
	}
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Fatalf("GOGC unset: collector at %d, want %d", got, defaultGCPercent)
	}

	// The runtime reads GOGC at start; what it set then is left alone.
	os.Setenv("GOGC", "150")
	debug.SetGCPercent(150)
	if got := tuneGC(); got != 150 {
		t.Fatalf("GOGC=150: tuneGC() = %d, want 150", got)
	}
	if got := debug.SetGCPercent(100); got != 150 {
		t.Fatalf("GOGC=150: collector at %d, want 150", got)
	}
}
