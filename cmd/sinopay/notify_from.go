package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// embeddedNotifyFrom is the address the embedded sandbox sends its
// notifications from, when the machine lets it: a loopback address of
// its own, so that the shop can tell its bank's notifications from
// anyone else's posts on 127.0.0.1 (a load test, a forger) and confirm
// them first, as it does the real bank's from SINOPAY_NOTIFY_FROM.
var embeddedNotifyFrom = netip.MustParseAddr("127.0.0.2")

// parseNotifyFrom reads SINOPAY_NOTIFY_FROM: addresses and networks
// (CIDR), separated by commas or blanks; "none" is none.
func parseNotifyFrom(name, v string) ([]netip.Prefix, error) {
	if strings.TrimSpace(v) == "none" {
		return nil, nil
	}
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%s: want IP addresses or networks (203.0.113.7, 203.0.113.0/24), got %q", name, f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// canSendFrom reports whether this machine lets a connection be made
// from local address a (Linux answers on all of 127.0.0.0/8; macOS only
// on 127.0.0.1 unless told otherwise).
func canSendFrom(a netip.Addr) bool {
	ln, err := net.Listen("tcp", netip.AddrPortFrom(a, 0).String())
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// notifyClientFrom is an HTTP client for notifications that connects to
// loopback destinations from local address from (to others as usual,
// since a loopback source cannot reach them).
func notifyClientFrom(from netip.Addr) *http.Client {
	plain := &net.Dialer{Timeout: 10 * time.Second}
	local := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(from, 0))}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if ap, err := netip.ParseAddrPort(addr); err == nil && ap.Addr().IsLoopback() == from.IsLoopback() {
			return local.DialContext(ctx, network, addr)
		}
		if host, _, err := net.SplitHostPort(addr); err == nil && host == "localhost" && from.IsLoopback() {
			return local.DialContext(ctx, network, addr)
		}
		return plain.DialContext(ctx, network, addr)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: t}
}
