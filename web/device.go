package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// The device cookie remembers the accounts that have logged in (or
// signed up) on a browser, so that a log-in from that browser is not held
// by the account's limit on failed log-ins (see authThrottle): someone
// guessing a customer's password cannot lock the customer out of their
// own browser.
//
// It holds up to maxDevices entries id.nonce.mac joined by underscores,
// one per account, the newest last. mac is HMAC-SHA256, cut to 128 bits,
// of the customer's id and a random nonce, keyed with the customer's
// password hash: a secret only the database holds, the same on every
// instance, and changed with the password, which then forgets every
// browser. It is sent to /login only (its Path), lives a year, and proves
// nothing but that this browser once knew the password: it never logs
// anyone in.
const (
	deviceCookie = "device"
	devicePath   = "/login"
	deviceTTL    = 365 * 24 * time.Hour
	maxDevices   = 4
)

// deviceEntry is one account's entry in the device cookie.
type deviceEntry struct {
	id         int64
	nonce, mac string
}

func (e deviceEntry) String() string {
	return strconv.FormatInt(e.id, 10) + "." + e.nonce + "." + e.mac
}

// deviceMAC is the mac of an entry for c with nonce.
func deviceMAC(c *shop.Customer, nonce string) string {
	m := hmac.New(sha256.New, []byte(c.PasswordHash))
	m.Write([]byte("sinopay device\x00" + strconv.FormatInt(c.ID, 10) + "\x00" + nonce))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// deviceEntries reads the well-formed entries of r's device cookie.
func deviceEntries(r *http.Request) []deviceEntry {
	c, err := r.Cookie(deviceCookie)
	if err != nil || len(c.Value) > 100*maxDevices {
		return nil
	}
	var out []deviceEntry
	for _, s := range strings.Split(c.Value, "_") {
		if len(out) == maxDevices {
			break
		}
		id, rest, ok1 := strings.Cut(s, ".")
		nonce, mac, ok2 := strings.Cut(rest, ".")
		n, err := strconv.ParseInt(id, 10, 64)
		if !ok1 || !ok2 || err != nil || len(nonce) != 32 || len(mac) != 32 {
			continue
		}
		out = append(out, deviceEntry{id: n, nonce: nonce, mac: mac})
	}
	return out
}

// knownDevice reports whether r comes from a browser c has logged in on.
func knownDevice(r *http.Request, c *shop.Customer) bool {
	if c == nil || c.PasswordHash == "" {
		return false
	}
	for _, e := range deviceEntries(r) {
		if e.id == c.ID && hmac.Equal([]byte(e.mac), []byte(deviceMAC(c, e.nonce))) {
			return true
		}
	}
	return false
}

// rememberDevice adds c to r's device cookie, in place of c's older entry
// and of the oldest entry when the cookie is full.
func (s *Server) rememberDevice(w http.ResponseWriter, r *http.Request, c *shop.Customer) {
	var keep []string
	for _, e := range deviceEntries(r) {
		if e.id != c.ID {
			keep = append(keep, e.String())
		}
	}
	if len(keep) >= maxDevices {
		keep = keep[len(keep)-maxDevices+1:]
	}
	nonce := randomHex(16)
	keep = append(keep, deviceEntry{id: c.ID, nonce: nonce, mac: deviceMAC(c, nonce)}.String())
	http.SetCookie(w, &http.Cookie{
		Name: deviceCookie, Value: strings.Join(keep, "_"), Path: devicePath,
		Expires: s.now().Add(deviceTTL), MaxAge: int(deviceTTL / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}
