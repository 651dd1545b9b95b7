package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// The fault-test and rate-limit settings are read, defaulted and checked
// like every other setting.
func TestServeConfigTimingsAndRate(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	for _, k := range []string{"SINOPAY_SWEEP_EVERY", "SINOPAY_RESCUE_AFTER", "SINOPAY_CONFIRM_RATE", "SINOPAY_CONFIRM_BURST"} {
		t.Setenv(k, "")
	}
	c, err := readServeConfig(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.RescueAfter != 2*time.Minute || c.ConfirmRate != 0 || c.ConfirmBurst != 0 {
		t.Errorf("defaults: %v %v %v", c.RescueAfter, c.ConfirmRate, c.ConfirmBurst)
	}

	t.Setenv("SINOPAY_RESCUE_AFTER", "2s")
	t.Setenv("SINOPAY_CONFIRM_RATE", "2.5")
	t.Setenv("SINOPAY_CONFIRM_BURST", "7")
	if c, err = readServeConfig(nil, io.Discard); err != nil {
		t.Fatal(err)
	}
	if c.RescueAfter != 2*time.Second || c.ConfirmRate != 2.5 || c.ConfirmBurst != 7 {
		t.Errorf("set: %v %v %v", c.RescueAfter, c.ConfirmRate, c.ConfirmBurst)
	}
	t.Setenv("SINOPAY_CONFIRM_RATE", "off")
	if c, err = readServeConfig(nil, io.Discard); err != nil || c.ConfirmRate >= 0 {
		t.Errorf("off: %v %v", c, err)
	}

	t.Setenv("SINOPAY_SWEEP_EVERY", "500ms")
	t.Setenv("SINOPAY_RESCUE_AFTER", "soon")
	t.Setenv("SINOPAY_CONFIRM_RATE", "-3")
	t.Setenv("SINOPAY_CONFIRM_BURST", "0")
	_, err = readServeConfig(nil, io.Discard)
	for _, name := range []string{"SINOPAY_SWEEP_EVERY", "SINOPAY_RESCUE_AFTER", "SINOPAY_CONFIRM_RATE", "SINOPAY_CONFIRM_BURST"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("bad %s not named: %v", name, err)
		}
	}
}

// SINOPAY_ATM_MAX is the shop's own limit on ATM orders: none by default.
func TestServeConfigATMMax(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	for v, want := range map[string]int64{"": 0, "none": 0, "30000": 30000, "94403": 94403} {
		t.Setenv("SINOPAY_ATM_MAX", v)
		c, err := readServeConfig(nil, io.Discard)
		if err != nil || int64(c.ATMMax) != want {
			t.Errorf("SINOPAY_ATM_MAX=%q: %v %v, want %d", v, c.ATMMax, err, want)
		}
	}
	for _, v := range []string{"0", "-1", "30,000", "NT$30000", "1e9", "100000000"} {
		t.Setenv("SINOPAY_ATM_MAX", v)
		if _, err := readServeConfig(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "SINOPAY_ATM_MAX") {
			t.Errorf("SINOPAY_ATM_MAX=%q: %v", v, err)
		}
	}
}

func TestParseNotifyFrom(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{in: "203.0.113.7", want: []string{"203.0.113.7/32"}},
		{in: "203.0.113.0/24, 198.51.100.9 2001:db8::/32", want: []string{"203.0.113.0/24", "198.51.100.9/32", "2001:db8::/32"}},
		{in: "203.0.113.77/24", want: []string{"203.0.113.0/24"}},
		{in: "::ffff:203.0.113.7", want: []string{"203.0.113.7/32"}},
		{in: "none"},
		{in: "bank.example", bad: true},
		{in: "203.0.113.7/33", bad: true},
	} {
		got, err := parseNotifyFrom("SINOPAY_NOTIFY_FROM", c.in)
		if (err != nil) != c.bad {
			t.Errorf("%q: error %v", c.in, err)
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if !slices.Equal(s, c.want) {
			t.Errorf("%q: %v, want %v", c.in, s, c.want)
		}
	}
}
