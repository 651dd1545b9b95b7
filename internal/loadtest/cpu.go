package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// processSample is what a process's /metrics said at one moment.
type processSample struct {
	cpu      float64 // process_cpu_seconds_total
	start    float64 // process_start_time_seconds
	embedded bool    // sinopay_sandbox_embedded 1: the sandbox is in the shop's process
}

// scrape reads the process metrics at url.
func scrape(ctx context.Context, hc *http.Client, url string) (processSample, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return processSample{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return processSample{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return processSample{}, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var s processSample
	found := false
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for lines.Scan() {
		name, value, ok := strings.Cut(lines.Text(), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		switch name {
		case "process_cpu_seconds_total":
			s.cpu, found = v, true
		case "process_start_time_seconds":
			s.start = v
		case "sinopay_sandbox_embedded":
			s.embedded = v == 1
		}
	}
	if err := lines.Err(); err != nil {
		return processSample{}, err
	}
	if !found {
		return processSample{}, fmt.Errorf("no process_cpu_seconds_total")
	}
	return s, nil
}

// cpuMeter reads the CPU of the processes under load before and after.
type cpuMeter struct {
	hc      *http.Client
	targets []cpuTarget
}

type cpuTarget struct {
	name, url     string
	before, after processSample
	err           error
}

// CPU is the CPU time one process spent during the run.
type CPU struct {
	Process string `json:"process"` // "shop" or "sandbox"
	URL     string `json:"metrics_url"`
	// Seconds is the process's CPU time, user and system, from before the
	// clock started to after the last operation ended.
	Seconds float64 `json:"cpu_seconds"`
	// PerOp is Seconds divided by the operations done, in microseconds.
	PerOpMicros float64 `json:"cpu_us_per_op"`
	// Cores is Seconds over the run's wall time.
	Cores float64 `json:"cores"`
	// InShop is set for a sandbox embedded in the shop's process: its CPU
	// is the shop's, counted once, under the shop.
	InShop bool   `json:"in_shop_process,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (m *cpuMeter) add(name, url string) {
	if url != "" {
		m.targets = append(m.targets, cpuTarget{name: name, url: url})
	}
}

func (m *cpuMeter) start(ctx context.Context) {
	for i := range m.targets {
		t := &m.targets[i]
		t.before, t.err = scrape(ctx, m.hc, t.url)
	}
}

func (m *cpuMeter) stop(ctx context.Context) {
	for i := range m.targets {
		t := &m.targets[i]
		if t.err == nil {
			t.after, t.err = scrape(ctx, m.hc, t.url)
		}
		if t.err == nil && t.after.start != t.before.start {
			t.err = fmt.Errorf("the process restarted during the run")
		}
	}
}

// result gives each process's CPU for ops operations in elapsed.
func (m *cpuMeter) result(ops int64, elapsed time.Duration) []CPU {
	out := []CPU{}
	for _, t := range m.targets {
		c := CPU{Process: t.name, URL: t.url}
		if t.err != nil {
			c.Error = fmt.Sprintf("reading %s: %v", t.url, t.err)
			out = append(out, c)
			continue
		}
		c.Seconds = t.after.cpu - t.before.cpu
		c.InShop = t.after.embedded
		if ops > 0 {
			c.PerOpMicros = 1e6 * c.Seconds / float64(ops)
		}
		c.Cores = c.Seconds / elapsed.Seconds()
		out = append(out, c)
	}
	return out
}

// loadAverage is the machine's one-minute load average, or -1 where the
// system does not say (it is read from /proc/loadavg).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, err := strconv.ParseFloat(f, 64)
	if err != nil {
		return -1
	}
	return v
}
