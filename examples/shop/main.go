// Command shop is a small shop that takes payments through funbiz,
// written from the library's documentation alone: ATM and card orders,
// the bank's notification and a worker that confirms it, the card return
// page, and refunds. Its orders live in memory, and its API is JSON, so
// that the whole of it fits in two files to copy from; shop_test.go
// tests it against the bank's sandbox in the same process.
//
// Run it against the sandbox:
//
//	go run ./cmd/sinopay sandbox         # the bank, at http://127.0.0.1:8081
//	go run ./examples/shop               # the shop, at http://127.0.0.1:8090
//	curl -d '{"Pay":"atm","Amount":1200,"Name":"禮盒"}' http://127.0.0.1:8090/orders
//	curl -d '{"Pay":"card","Amount":880,"Name":"雨衣"}' http://127.0.0.1:8090/orders
//
// then pay on the sandbox's dashboard (http://127.0.0.1:8081/_sandbox/)
// or open the card order's CardPayURL, and read GET /orders/{OrderNo}.
//
// Settings come from the environment: SHOP_ADDR (127.0.0.1:8090),
// SHOP_BASE_URL (where the bank and the buyer reach the shop; http://
// and SHOP_ADDR), SINOPAY_FUNBIZ_URL (the sandbox's API), SINOPAY_SHOP_NO,
// SINOPAY_HASH (A1,A2,B1,B2) and SINOPAY_KEY_ID; the defaults are the
// sandbox's demo merchant.
package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("shop stopped", "error", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(log *slog.Logger) error {
	addr := env("SHOP_ADDR", "127.0.0.1:8090")
	hash, err := funbiz.ParseHash(env("SINOPAY_HASH", "86D50DEF3EB7400E,01FD27C09E5549E5,9E004965F4244953,7FB3385F414E4F91"))
	if err != nil {
		return err
	}
	bank, err := funbiz.NewClient(funbiz.Config{
		BaseURL: env("SINOPAY_FUNBIZ_URL", "http://127.0.0.1:8081/QPay.WebAPI/api"), // funbiz.SandboxURL, funbiz.ProductionURL
		ShopNo:  env("SINOPAY_SHOP_NO", "NA0249_001"),
		Hash:    hash,
		KeyID:   funbiz.Secret(os.Getenv("SINOPAY_KEY_ID")),
		Logger:  log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	shop := NewShop(bank, env("SHOP_BASE_URL", "http://"+ln.Addr().String()), log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go shop.Work(ctx)
	srv := &http.Server{Handler: shop.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	log.Info("shop listening", "url", "http://"+ln.Addr().String(), "bank", bank)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
