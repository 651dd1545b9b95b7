package sandbox_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// BenchmarkAPIMix is 32 concurrent clients over loopback, each doing a
// mix of bare Nonce calls, OrderCreate and OrderPayQuery (each of the last
// two is a Nonce call plus an /Order call). calls/s counts HTTP requests.
//
//	go test -run '^$' -bench APIMix -benchtime 5s ./funbiz/sandbox
func BenchmarkAPIMix(b *testing.B) {
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	srv := httptest.NewServer(sb)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	newClient := func() *funbiz.Client {
		c, err := funbiz.NewClient(funbiz.Config{BaseURL: srv.URL + sandbox.APIPrefix, ShopNo: sandbox.DemoShopNo, Hash: sandbox.DemoHash(), HTTPClient: hc, Retry: funbiz.NoRetry})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	expire := funbiz.FormatDate(time.Now().AddDate(0, 0, 7))

	// Tokens to query: paid ATM orders.
	setup := newClient()
	var tokens []string
	for i := range 64 {
		r, err := setup.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: fmt.Sprintf("SEED%d", i), Amount: 100, PayType: funbiz.PayTypeATM, PrdtName: "seed", ATM: &funbiz.ATMParams{ExpireDate: expire}})
		if err != nil {
			b.Fatal(err)
		}
		p, err := sb.Transfer(r.ATM.AtmPayNo, 100, "", "")
		if err != nil {
			b.Fatal(err)
		}
		tokens = append(tokens, p.PayToken)
	}

	var seq, calls atomic.Int64
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := newClient()
		for pb.Next() {
			n := seq.Add(1)
			var err error
			switch n % 4 {
			case 0:
				_, err = c.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: fmt.Sprintf("B%d", n), Amount: 100, PayType: funbiz.PayTypeATM, PrdtName: "bench", ATM: &funbiz.ATMParams{ExpireDate: expire}})
				calls.Add(2)
			case 1, 2:
				_, err = c.OrderPayQuery(ctx, tokens[n%int64(len(tokens))])
				calls.Add(2)
			case 3:
				_, err = c.Nonce(ctx)
				calls.Add(1)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(calls.Load())/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkNew measures building a sandbox (the CLI's start-up work
// before it listens), in memory.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		sb, err := sandbox.New(sandbox.Options{})
		if err != nil {
			b.Fatal(err)
		}
		sb.Close()
	}
}
