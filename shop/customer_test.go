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
		{"kummy@例子.台灣", "long enough", ""},
		{"狗狗@example.com", "long enough", ""},
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

// CheckEmail refuses what would make an address read otherwise than it
// is: bidirectional overrides and isolates, and every other control,
// format or separator character, wherever it stands.
func TestCheckEmailInvisibles(t *testing.T) {
	for _, r := range []rune{
		0x202A, 0x202B, 0x202C, 0x202D, 0x202E, // embeddings, overrides, pop
		0x2066, 0x2067, 0x2068, 0x2069, // isolates
		0x200E, 0x200F, 0x061C, // marks
		0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0xE0001, // zero-width, soft hyphen, tag
		0x00, 0x01, 0x09, 0x1B, 0x7F, 0x85, 0x9F, // C0, DEL, C1
		0x2028, 0x2029, 0x00A0, 0x3000, // separators
	} {
		for _, email := range []string{
			string(r) + "kummy@example.com", "kum" + string(r) + "my@example.com",
			"kummy@" + string(r) + "example.com", "kummy@example.com" + string(r),
		} {
			if err := CheckEmail(email); ErrorKey(err) != "auth.bad_email" || !IsCode(err, Invalid) {
				t.Errorf("CheckEmail(%+q) = %v", email, err)
			}
			if err := CheckCredentials(email, "long enough"); ErrorKey(err) != "auth.bad_email" {
				t.Errorf("CheckCredentials(%+q) = %v", email, err)
			}
		}
	}
	if err := CheckEmail("kummy@example.com\xff"); ErrorKey(err) != "auth.bad_email" {
		t.Errorf("invalid UTF-8: %v", err)
	}
}
