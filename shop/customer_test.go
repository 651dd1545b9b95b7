package shop

import (
	"strings"
	"testing"
)

func TestCheckCredentials(t *testing.T) {
	for _, c := range []struct {
		email, password, key string
	}{
		{"kummy@example.com", "long enough", ""},
		{"kummy@example.com", "八個字的中文密碼", ""}, // characters, not bytes
		{"kummy@example.com", "short", "auth.password_short"},
		{"kummy@example.com", strings.Repeat("狗", 25), "auth.password_long"}, // 75 bytes
		{"not an email", "long enough", "auth.bad_email"},
		{"Kummy <kummy@example.com>", "long enough", "auth.bad_email"},
		{strings.Repeat("k", 250) + "@example.com", "long enough", "auth.bad_email"},
	} {
		err := CheckCredentials(c.email, c.password)
		if got := ErrorKey(err); (err == nil) != (c.key == "") || (err != nil && got != c.key) {
			t.Errorf("CheckCredentials(%.20q, %q) = %v, want key %q", c.email, c.password, err, c.key)
		}
	}
	if got := NormEmail("  Kummy@Example.COM "); got != "kummy@example.com" {
		t.Errorf("NormEmail = %q", got)
	}
}
