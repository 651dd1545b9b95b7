package funbizcli

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// startSandbox runs a sandbox that wants testKeyID, for `funbiz check`.
func startSandbox(t *testing.T) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	sb, err := sandbox.New(sandbox.Options{BaseURL: "http://" + srv.Listener.Addr().String(), KeyID: testKeyID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	srv.Config.Handler = sb
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL + "/QPay.WebAPI/api"
}

// `funbiz check` says all is well only when it is, and otherwise names
// what is wrong in words a merchant can act on, against a real sandbox.
func TestFunbizCheck(t *testing.T) {
	cleanEnv(t)
	api := startSandbox(t)
	otherHash := "1111111111111111,2222222222222222,3333333333333333,4444444444444444"

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + closed.Addr().String() + "/QPay.WebAPI/api"
	closed.Close()
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	tlsSrv.StartTLS()
	defer tlsSrv.Close()

	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"all good", []string{"--url", api, "--shop-no", testShopNo, "--hash", testHash, "--key-id", testKeyID}, 0,
			[]string{"✓ the bank answers", "✓ the bank knows shop NA0249_001", "✓ the hash values are the bank's", "all good"}},
		{"wrong hash values", []string{"--url", api, "--shop-no", testShopNo, "--hash", otherHash, "--key-id", testKeyID}, 1,
			[]string{"✓ the bank answers", "✗ the hash values do not match the bank's"}},
		{"unknown shop", []string{"--url", api, "--shop-no", "NA9999_001", "--hash", testHash, "--key-id", testKeyID}, 1,
			[]string{"✗ the bank does not know shop number NA9999_001"}},
		{"wrong key id", []string{"--url", api, "--shop-no", testShopNo, "--hash", testHash, "--key-id", "not-the-key"}, 1,
			[]string{"✗ the bank refused the X-KeyID"}},
		{"no key id", []string{"--url", api, "--shop-no", testShopNo, "--hash", testHash}, 1,
			[]string{"✗ the bank wants an X-KeyID and none was sent"}},
		{"wrong path", []string{"--url", strings.TrimSuffix(api, "/QPay.WebAPI/api") + "/api", "--shop-no", testShopNo, "--hash", testHash, "--key-id", testKeyID}, 1,
			[]string{"has no API at this path (HTTP 404)"}},
		{"unreachable", []string{"--url", deadURL, "--shop-no", testShopNo, "--hash", testHash, "--key-id", testKeyID}, 1,
			[]string{"nothing answers at", "connection refused"}},
		{"untrusted TLS", []string{"--url", tlsSrv.URL + "/QPay.WebAPI/api", "--shop-no", testShopNo, "--hash", testHash, "--key-id", testKeyID}, 1,
			[]string{"TLS certificate", "not trusted"}},
		{"TLS to a plain server", []string{"--url", strings.Replace(api, "http://", "https://", 1), "--shop-no", testShopNo, "--hash", testHash, "--key-id", testKeyID}, 1,
			[]string{"does not speak TLS"}},
		{"unknown host", []string{"--url", "http://no-such-host.invalid/QPay.WebAPI/api", "--shop-no", testShopNo, "--hash", testHash, "--key-id", testKeyID}, 1,
			[]string{"cannot be found (DNS)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := runCLI(t, "", append([]string{"check", "--timeout", "10s"}, c.args...)...)
			if out.code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", out.code, c.code, out.stdout, out.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(out.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, out.stdout)
				}
			}
			if c.code != 0 && strings.Contains(out.stdout, "all good") {
				t.Errorf("a failed check says all is good:\n%s", out.stdout)
			}
		})
	}
}

// Missing settings are a usage error naming the flags and variables.
func TestFunbizCheckMissingSettings(t *testing.T) {
	cleanEnv(t)
	out := runCLI(t, "", "check")
	out.want(t, 2)
	out.stderrHas(t, "--url or SINOPAY_FUNBIZ_URL", "--shop-no or SINOPAY_SHOP_NO", "--hash or SINOPAY_HASH")
}
