package main

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// sandboxMetrics serves the sandbox's own /metrics: the Go runtime and the
// process (process_cpu_seconds_total is what `sinopay loadtest` reads for
// the sandbox's CPU per call). embedded says the sandbox shares the shop's
// process, so that its CPU is not counted twice.
func sandboxMetrics(embedded bool) http.Handler {
	reg := prometheus.NewRegistry()
	v := 0.0
	if embedded {
		v = 1
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sinopay_sandbox_embedded",
			Help: "1 when the sandbox runs inside the shop's process (sinopay serve), so its process metrics are the shop's; 0 for sinopay sandbox.",
		}, func() float64 { return v }))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// withMetrics serves GET /metrics with metrics and everything else with h.
func withMetrics(h, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.Handle("/", h)
	return mux
}

// privateMux is the handler of a metrics address of its own: /metrics,
// and the profiler under /debug/pprof/, which is only ever served here,
// never on a public address.
func privateMux(metrics http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
