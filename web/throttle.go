package web

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The limits on password checks (log-in and sign-up). Each check costs a
// quarter of a second of one core (bcrypt at shop.PasswordCost), so they
// are counted before the hash runs. All three are token buckets: a burst,
// then one more attempt every interval.
const (
	// addressBurst, addressEvery: attempts from one client address (an
	// IPv4 address or an IPv6 /64), any account, log-in and sign-up
	// together: about 8 % of a core per address once the burst is spent.
	addressBurst, addressEvery = 40, 3 * time.Second
	// knownBurst, knownEvery: log-ins from one address on browsers the
	// account has logged in on before, counted apart so that a stranger
	// spending the address's budget does not lock its customers out.
	knownBurst, knownEvery = 60, time.Second
	// accountBurst, accountEvery: failed log-ins to one account (its
	// normalised email, whether or not it exists, so that being held
	// says nothing of who has an account) from browsers it does not know.
	accountBurst, accountEvery = 10, time.Minute
	// throttleKeys bounds each limiter's memory: 100,000 keys of at most
	// a few hundred bytes.
	throttleKeys = 100_000
)

// authThrottle holds back password guessing and the CPU it costs. It is
// in memory: every instance of the shop keeps its own counts, so behind a
// load balancer of n instances an account may be tried up to n times as
// often. It is safe for concurrent use.
type authThrottle struct {
	address *limiter // by client address, browsers not known to the account
	known   *limiter // by client address, browsers known to the account
	account *limiter // failed log-ins by account, browsers not known to it
}

func newAuthThrottle() *authThrottle {
	return &authThrottle{
		address: newLimiter(addressBurst, addressEvery, throttleKeys),
		known:   newLimiter(knownBurst, knownEvery, throttleKeys),
		account: newLimiter(accountBurst, accountEvery, throttleKeys),
	}
}

// The limits that may hold an attempt, as the metrics name them.
const (
	heldByAddress = "address"
	heldByAccount = "account"
)

// admit takes one attempt from the limits that apply to a password check
// for account (a normalised email; "" for a sign-up) from addr, on a
// browser known to the account or not. It returns "" when the check may
// run; otherwise the limit that holds it and how long until it would
// not, having taken nothing.
func (t *authThrottle) admit(addr, account string, known bool, now time.Time) (held string, wait time.Duration) {
	byAddr := t.address
	if known {
		byAddr = t.known
	}
	if wait, ok := byAddr.take(addr, now); !ok {
		return heldByAddress, wait
	}
	if known || account == "" {
		return "", 0
	}
	if wait, ok := t.account.take(account, now); !ok {
		byAddr.give(addr, now)
		return heldByAccount, wait
	}
	return "", 0
}

// succeeded gives back the account's attempt of a log-in that admit let
// through and that succeeded: only failures count against an account.
func (t *authThrottle) succeeded(account string, known bool, now time.Time) {
	if !known && account != "" {
		t.account.give(account, now)
	}
}

// clientAddr is the address a request is counted under: the client's IP
// (clientIP: the peer's, or the one a trusted proxy names), its /64 for
// IPv6, where one subscriber commonly holds a whole /64.
func (s *Server) clientAddr(r *http.Request) string {
	ip := s.clientIP(r)
	if !ip.IsValid() {
		return r.RemoteAddr
	}
	if ip.Is4() {
		return ip.String()
	}
	p, err := ip.Prefix(64)
	if err != nil {
		return ip.String()
	}
	return p.String()
}

// retryAfterSeconds is wait as a Retry-After value: whole seconds,
// rounded up, at least 1.
func retryAfterSeconds(wait time.Duration) int {
	return max(1, int((wait+time.Second-1)/time.Second))
}

// setRetryAfter sets the Retry-After header of a 429 and returns the
// wait in whole minutes, rounded up, as the page says it.
func setRetryAfter(w http.ResponseWriter, wait time.Duration) (minutes int) {
	secs := retryAfterSeconds(wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return (secs + 59) / 60
}

// limiter keeps a token bucket per key: burst tokens at most, one more
// every interval. A key whose bucket is full is forgotten, and at most
// maxKeys are kept: past that, full buckets are dropped first, then
// others at random (which only forgives their attempts). It is safe for
// concurrent use.
type limiter struct {
	burst   float64
	every   time.Duration
	maxKeys int

	mu      sync.Mutex
	buckets map[string]bucket
}

// bucket is a key's tokens at a moment.
type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst int, every time.Duration, maxKeys int) *limiter {
	return &limiter{burst: float64(burst), every: every, maxKeys: maxKeys, buckets: map[string]bucket{}}
}

// level is b's tokens at now.
func (l *limiter) level(b bucket, now time.Time) float64 {
	elapsed := max(0, now.Sub(b.at))
	return min(l.burst, b.tokens+float64(elapsed)/float64(l.every))
}

// take takes a token of key at now. When there is none it takes nothing
// and returns how long until there is one.
func (l *limiter) take(key string, now time.Time) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	tokens := l.burst
	b, found := l.buckets[key]
	if found {
		tokens = l.level(b, now)
	}
	if tokens < 1 {
		return time.Duration((1 - tokens) * float64(l.every)), false
	}
	if !found {
		l.makeRoom(now)
	}
	l.buckets[key] = bucket{tokens: tokens - 1, at: now}
	return 0, true
}

// give puts back a token taken from key.
func (l *limiter) give(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.buckets[key]
	if !found {
		return
	}
	tokens := l.level(b, now) + 1
	if tokens >= l.burst {
		delete(l.buckets, key)
		return
	}
	l.buckets[key] = bucket{tokens: tokens, at: now}
}

// makeRoom makes room for a new key when the limiter is full, down to
// three quarters of maxKeys, so that the sweep runs once per quarter of
// maxKeys new keys at most.
func (l *limiter) makeRoom(now time.Time) {
	if len(l.buckets) < l.maxKeys {
		return
	}
	for k, b := range l.buckets {
		if l.level(b, now) >= l.burst {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) <= l.maxKeys*3/4 {
			break
		}
		delete(l.buckets, k)
	}
}

// size is the number of keys kept, for tests.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
