// Package webhook_test runs the webhook verifiers of the README, in PHP,
// Node and Python, against signatures made by sinopay's own signer: the
// right one passes; a wrong secret, a changed body, an old or a future
// timestamp and a malformed header are refused.
package webhook_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/webhook"
)

func TestVerifiers(t *testing.T) {
	const secret = "whsec_5e2d0f0c1d0b4a3e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"
	body := `{"id":"evt_1","object":"event","type":"payment.succeeded","data":{"payment":{"id":"pay_1","description":"訂單 #1"}}}`
	now := time.Now().Unix()
	cases := []struct {
		name, body, header, secret, want string
	}{
		{"signed", body, webhook.Sign(secret, now, []byte(body)), secret, "ok"},
		{"another secret", body, webhook.Sign("whsec_other", now, []byte(body)), secret, "forged"},
		{"body changed", strings.Replace(body, "pay_1", "pay_2", 1), webhook.Sign(secret, now, []byte(body)), secret, "forged"},
		{"ten minutes old", body, webhook.Sign(secret, now-600, []byte(body)), secret, "forged"},
		{"from the future", body, webhook.Sign(secret, now+600, []byte(body)), secret, "forged"},
		{"no v1", body, "t=" + strconv.FormatInt(now, 10), secret, "forged"},
		{"empty", body, "", secret, "forged"},
	}
	for _, lang := range []struct{ bin, script string }{{"php", "verify.php"}, {"node", "verify.js"}, {"python3", "verify.py"}} {
		t.Run(lang.bin, func(t *testing.T) {
			if _, err := exec.LookPath(lang.bin); err != nil {
				if os.Getenv("CI") != "" {
					t.Fatalf("%s is not installed (.ci/run installs it)", lang.bin)
				}
				t.Skipf("%s is not installed", lang.bin)
			}
			for _, c := range cases {
				cmd := exec.Command(lang.bin, lang.script, c.secret)
				cmd.Stdin = strings.NewReader(c.body)
				cmd.Env = append(os.Environ(), "SINOPAY_SIGNATURE="+c.header)
				out, err := cmd.CombinedOutput()
				if got := strings.TrimSpace(string(out)); err != nil || got != c.want {
					t.Errorf("%s: %q (%v), want %s", c.name, out, err, c.want)
				}
			}
		})
	}
}
