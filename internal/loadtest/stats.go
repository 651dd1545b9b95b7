package loadtest

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sync"
	"text/tabwriter"
	"time"
)

// stats collects latencies per step, and failures.
type stats struct {
	mu    sync.Mutex
	steps map[string][]time.Duration
	order []string
	errs  map[string]int
	ops   []time.Duration // whole operations
}

// addOp records the latency of one whole operation.
func (s *stats) addOp(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops = append(s.ops, d)
}

// fill puts the latencies and errors into r.
func (s *stats) fill(r *Result, elapsed time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Latency = latencyOf(s.ops)
	r.Steps = []Step{}
	for _, name := range s.order {
		d := s.steps[name]
		r.Steps = append(r.Steps, Step{Name: name, Count: len(d), PerSecond: float64(len(d)) / elapsed.Seconds(), Latency: latencyOf(d)})
	}
	if len(s.errs) > 0 {
		r.Errors = maps.Clone(s.errs)
	}
}

func newStats() *stats {
	return &stats{steps: map[string][]time.Duration{}, errs: map[string]int{}}
}

func (s *stats) add(step string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.steps[step]; !ok {
		s.order = append(s.order, step)
	}
	s.steps[step] = append(s.steps[step], d)
}

func (s *stats) fail(step string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs[step+": "+trimErr(err)]++
}

func trimErr(err error) string {
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120] + "…"
	}
	return msg
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func (s *stats) print(w io.Writer, elapsed time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tcount\tper s\tp50\tp95\tp99\tmax\t")
	for _, name := range s.order {
		d := slices.Clone(s.steps[name])
		slices.Sort(d)
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t\n", name, len(d), float64(len(d))/elapsed.Seconds(),
			ms(percentile(d, .5)), ms(percentile(d, .95)), ms(percentile(d, .99)), ms(d[len(d)-1]))
	}
	tw.Flush()
	if len(s.errs) > 0 {
		fmt.Fprintln(w, "errors:")
		keys := make([]string, 0, len(s.errs))
		for k := range s.errs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %6d × %s\n", s.errs[k], k)
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
