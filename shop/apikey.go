package shop

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// APIMode says which bank an API key's payments go to: test keys to the
// sandbox only, live keys to the configured bank. The two never see each
// other's payments.
type APIMode string

const (
	APITest APIMode = "test"
	APILive APIMode = "live"
)

// Valid reports whether m is one of the two modes.
func (m APIMode) Valid() bool { return m == APITest || m == APILive }

// APIKey is a key another shop's server uses for sinopay's JSON API
// (Authorization: Bearer sk_…). Its secret is shown once, when it is
// made, and stored as its SHA-256 only; Hint (its last four characters)
// tells keys apart in lists. WebhookSecret (whsec_…) signs what is sent
// to the key's webhook endpoints, so it is kept as it is.
type APIKey struct {
	ID            int64
	Name          string
	Mode          APIMode
	Hint          string
	WebhookSecret string
	CreatedAt     time.Time
	RevokedAt     time.Time // zero while the key works
}

// Revoked reports whether the key no longer works.
func (k *APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// MaxAPIKeyName bounds a key's name, in characters.
const MaxAPIKeyName = 60

// CheckAPIKeyName checks a key's name: 1 to MaxAPIKeyName characters of
// UTF-8 text, no control or format characters (a name is shown in lists
// and printed by the CLI).
func CheckAPIKeyName(name string) error {
	if strings.TrimSpace(name) == "" {
		return Errorf(Invalid, "apikey.name_missing", "the key needs a name")
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxAPIKeyName {
		return Errorf(Invalid, "apikey.name_bad", "name too long or not UTF-8")
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return Errorf(Invalid, "apikey.name_bad", "name holds character %U", r)
		}
	}
	return nil
}

// NewAPISecret makes a key's secret: sk_test_ or sk_live_ and 48 hex
// digits (192 random bits).
func NewAPISecret(mode APIMode) string { return "sk_" + string(mode) + "_" + randomHex(24) }

// NewWebhookSecret makes a key's signing secret: whsec_ and 64 hex
// digits (256 random bits).
func NewWebhookSecret() string { return "whsec_" + randomHex(32) }

// APISecretMode is the mode a secret names by its prefix, and whether it
// has the shape of one at all (a bearer token that does not is refused
// before any lookup).
func APISecretMode(secret string) (APIMode, bool) {
	for _, m := range []APIMode{APITest, APILive} {
		if rest, ok := strings.CutPrefix(secret, "sk_"+string(m)+"_"); ok {
			if len(rest) != 48 {
				return "", false
			}
			if _, err := hex.DecodeString(rest); err != nil {
				return "", false
			}
			return m, true
		}
	}
	return "", false
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails on supported systems
	return hex.EncodeToString(b)
}

// MaxWebhookURL bounds an endpoint's URL, in bytes.
const MaxWebhookURL = 2000

// CheckWebhookURL checks an endpoint a key's events are sent to: an
// absolute http or https URL with a host, no user or password in it, no
// fragment. A live key's endpoint must be https and must not name a
// loopback, private, link-local or unspecified address (or localhost):
// the events are sent from inside the shop's network, and a live key's
// owner must not aim them at it. (Names that resolve to such addresses
// are refused again when the events are sent.) Test keys may use any
// address, so that a developer's machine receives their events.
func CheckWebhookURL(raw string, mode APIMode) (*url.URL, error) {
	bad := func(why string) error { return Errorf(Invalid, "apikey.url_bad", "webhook URL: %s", why) }
	if raw == "" || len(raw) > MaxWebhookURL {
		return nil, bad("empty or too long")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, bad("does not parse")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, bad("not http or https")
	case u.Host == "" || u.Hostname() == "":
		return nil, bad("no host")
	case u.User != nil:
		return nil, bad("holds a user or password")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, bad("holds a fragment")
	}
	if mode != APILive {
		return u, nil
	}
	if u.Scheme != "https" {
		return nil, Errorf(Invalid, "apikey.url_https", "a live key's webhook URL must be https")
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil, Errorf(Invalid, "apikey.url_private", "webhook URL names this machine")
	}
	if ip, err := netip.ParseAddr(host); err == nil && !PublicAddr(ip) {
		return nil, Errorf(Invalid, "apikey.url_private", "webhook URL names a private address")
	}
	return u, nil
}

// PublicAddr reports whether ip may receive a live key's events: not
// loopback, private, link-local, multicast, unspecified, or IPv4-mapped
// or carrier-grade NAT space.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	cgnat := netip.MustParsePrefix("100.64.0.0/10")
	return !cgnat.Contains(ip) && !net.IP(ip.AsSlice()).Equal(net.IPv4bcast)
}

// WebhookEndpoint is a URL an API key's events are sent to.
type WebhookEndpoint struct {
	ID        int64
	KeyID     int64
	URL       string
	CreatedAt time.Time
}
