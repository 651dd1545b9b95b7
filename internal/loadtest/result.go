package loadtest

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// Result is one run, as --json prints it.
type Result struct {
	Mode        string `json:"mode"`
	Shop        string `json:"shop,omitempty"`
	Sandbox     string `json:"sandbox,omitempty"`
	Bank        string `json:"bank,omitempty"`
	Concurrency int    `json:"concurrency"`
	// Seconds is the measured time, from the first operation started to
	// the last one ended.
	Seconds float64 `json:"seconds"`
	// Op names what Ops counts: purchases, acknowledged notifications,
	// or bank calls (each a Nonce request and an /Order request).
	Op        string  `json:"op"`
	Ops       int64   `json:"ops"`
	Failed    int64   `json:"failed"`
	PerSecond float64 `json:"ops_per_second"`
	// Latency is that of one whole operation.
	Latency Latency `json:"latency_ms"`
	Steps   []Step  `json:"steps"`
	// CPU is per process under load, from its /metrics.
	CPU    []CPU          `json:"cpu"`
	Audit  *AuditSummary  `json:"audit,omitempty"`
	Errors map[string]int `json:"errors,omitempty"`
	// LoadAverage is the machine's one-minute load average when the
	// clock started and when it stopped (-1 where unknown): the figures
	// of a loaded machine are not those of a quiet one.
	LoadAverage [2]float64 `json:"load_average"`
	OK          bool       `json:"ok"`
}

// Latency is a distribution in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Step is one timed step of an operation.
type Step struct {
	Name      string  `json:"name"`
	Count     int     `json:"count"`
	PerSecond float64 `json:"per_second"`
	Latency
}

// AuditSummary is the audit of a flow run.
type AuditSummary struct {
	Orders   int      `json:"orders"`
	Paid     int      `json:"paid"`
	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"`
}

func latencyOf(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return Latency{P50: msf(percentile(d, .5)), P95: msf(percentile(d, .95)), P99: msf(percentile(d, .99)), Max: msf(d[len(d)-1])}
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// printCPU prints the CPU lines of the summary.
func printCPU(w io.Writer, cpu []CPU, op string) {
	for _, c := range cpu {
		switch {
		case c.Error != "":
			fmt.Fprintf(w, "CPU of the %s: unknown (%s)\n", c.Process, c.Error)
		case c.InShop:
			fmt.Fprintf(w, "CPU of the %s: in the shop's process, counted there\n", c.Process)
		default:
			fmt.Fprintf(w, "CPU of the %s: %.2f s, %.1f µs per %s (%.2f cores)\n", c.Process, c.Seconds, c.PerOpMicros, op, c.Cores)
		}
	}
}
