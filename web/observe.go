package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/sinopay/sinopay/internal/telemetry"
)

// observe gives every request an id, a span and one line in the log.
//
// The id is the X-Request-ID of a trusted proxy (Config.TrustedProxies)
// when it is a sound one, otherwise a new one; it is sent back in the
// X-Request-ID header, carried in the context (every log line written
// with that context has it, and so does every job the request enqueues),
// and shown on error pages so that a customer can quote it. A trusted
// proxy's W3C traceparent makes the request's span a child of the
// proxy's; anyone else's is ignored.
//
// The span is named by the route pattern ("GET /orders/{no}"), never the
// path or the query, which hold order numbers and references; so is the
// log line, which has the method, route, status, duration and id, and
// never a body, cookie or token.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		trusted := s.fromTrustedProxy(r)
		id := ""
		if trusted {
			if v := r.Header.Get("X-Request-ID"); telemetry.ValidRequestID(v) {
				id = v
			}
		}
		if id == "" {
			id = telemetry.NewRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		ctx := telemetry.WithRequestID(r.Context(), id)
		if trusted {
			ctx = propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header))
		}
		ctx, span := telemetry.StartRequest(ctx, r.Method, id)
		// The ServeMux sets Pattern on the request it is given: this one.
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}

		telemetry.EndRequest(span, r.Method, r.Pattern, sw.status)
		route := r.Pattern
		if route == "" {
			route = "-" // refused before routing (a cross-origin post)
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		s.log.LogAttrs(ctx, level, "request",
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", sw.status),
			slog.Duration("duration", time.Since(start)))
	})
}

// ParseTrustedProxies reads a comma-separated list of IP addresses and
// CIDR prefixes ("10.0.0.1, 192.168.0.0/16, ::1"); "" is none.
func ParseTrustedProxies(v string) ([]netip.Prefix, error) {
	var list []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, err
			}
			list = append(list, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, err
		}
		a = a.Unmap()
		list = append(list, netip.PrefixFrom(a, a.BitLen()))
	}
	return list, nil
}

// trusts reports whether ip is one of the trusted proxies.
func (s *Server) trusts(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range s.trustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// peerIP is the address of the connection's other end, or the zero Addr
// when RemoteAddr is not an address (a test's).
func peerIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// fromTrustedProxy reports whether r's peer is a trusted proxy, whose
// X-Request-ID, X-Forwarded-For and traceparent are believed.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	ip := peerIP(r)
	return ip.IsValid() && s.trusts(ip)
}

// clientIP is the address of the client that sent r: the peer, unless
// the peer is a trusted proxy. Then X-Forwarded-For is read from the
// right, where each proxy appended the address it was sent the request
// from: the first address that is not a trusted proxy is the client's.
// Entries left of it were written by the client itself and prove
// nothing; an entry that is not an address ends the walk at the last
// address believed. With no trusted proxies (the default) it is always
// the peer, whatever the headers say.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	ip := peerIP(r)
	if !ip.IsValid() || !s.trusts(ip) {
		return ip
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return ip
		}
		ip = a.Unmap()
		if !s.trusts(ip) {
			return ip
		}
	}
	return ip
}
