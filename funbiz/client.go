package funbiz

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Base URLs of the bank. The bank has moved its hosts before (PROTOCOL
// §1.1); confirm the production URL with the bank when you go live.
const (
	SandboxURL    = "https://apisbx.sinopac.com/funBIZ-Sbx/QPay.WebAPI/api"
	ProductionURL = "https://api.sinopac.com/funBIZ/QPay.WebAPI/api"
)

// Config configures a Client. BaseURL, ShopNo and Hash are required.
type Config struct {
	// BaseURL is the API base, ending in /QPay.WebAPI/api: SandboxURL,
	// ProductionURL, or the address of our own sandbox.
	BaseURL string
	// ShopNo is the merchant's shop number, e.g. "NA0249_001".
	ShopNo string
	// Hash holds the four hash values A1, A2, B1, B2.
	Hash Hash
	// KeyID is the X-KeyID header value the bank issues (required by the bank
	// since 2023; our sandbox requires it only when started with --key-id).
	KeyID Secret
	// HTTPClient sends the requests. The default has a 5 s connect timeout
	// and a 30 s limit on a whole call, and requires TLS 1.2.
	HTTPClient *http.Client
	// Retry governs retries of the calls that are safe to repeat. The zero
	// value means DefaultRetry.
	Retry RetryPolicy
	// Logger receives one debug line per call (service, duration, outcome);
	// never a hash value or a decrypted message. Nil logs nothing.
	Logger *slog.Logger
}

// String describes the configuration without its secrets.
func (c Config) String() string {
	return fmt.Sprintf("funbiz.Config{BaseURL:%q ShopNo:%q Hash:%s KeyID:%s}", c.BaseURL, c.ShopNo, redacted, redacted)
}

// Format keeps secrets out of every fmt verb, including %+v and %#v.
func (c Config) Format(f fmt.State, verb rune) { fmt.Fprint(f, c.String()) }

// LogValue keeps secrets out of slog output.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("BaseURL", c.BaseURL), slog.String("ShopNo", c.ShopNo))
}

// RetryPolicy is capped exponential backoff with full jitter. It applies
// only to the Nonce call and to read-only queries.
type RetryPolicy struct {
	// Attempts is the number of tries in all (1 = no retry).
	Attempts int
	// Base is the first backoff; each retry doubles it, up to Max.
	Base, Max time.Duration
}

// DefaultRetry tries a safe call three times, backing off 200 ms then
// 400 ms (jittered), never more than 2 s.
var DefaultRetry = RetryPolicy{Attempts: 3, Base: 200 * time.Millisecond, Max: 2 * time.Second}

// NoRetry makes every call a single try.
var NoRetry = RetryPolicy{Attempts: 1}

// Client calls the bank's API for one shop. It is safe for concurrent use.
type Client struct {
	base     string
	shopNo   string
	keyID    string
	keys     *Keys
	http     *http.Client
	retry    RetryPolicy
	log      *slog.Logger
	maxBody  int64
	nonceURL string
	orderURL string
	// nonceBody is the body of every Nonce request, as json.Marshal
	// renders struct{ ShopNo string }.
	nonceBody []byte
}

// NewClient checks the configuration and returns a client. A bad value is
// an *Error wrapping ErrInvalid whose Field names it.
func NewClient(cfg Config) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if base == "" {
		return nil, invalid("BaseURL", "is required")
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, invalid("BaseURL", "must be an http or https URL, got %q", cfg.BaseURL)
	}
	if err := checkShopNo(cfg.ShopNo); err != nil {
		return nil, err
	}
	keys, err := NewKeys(cfg.Hash)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(string(cfg.KeyID), "\r\n") {
		return nil, invalid("KeyID", "must be one line")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = DefaultHTTPClient()
	}
	retry := cfg.Retry
	if retry.Attempts == 0 {
		retry = DefaultRetry
	}
	if retry.Attempts < 0 || retry.Base < 0 || retry.Max < 0 {
		return nil, invalid("Retry", "must not be negative")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		base: base, shopNo: cfg.ShopNo, keyID: string(cfg.KeyID), keys: keys, http: hc,
		retry: retry, log: log, maxBody: 4 << 20,
		nonceURL: base + "/Nonce", orderURL: base + "/Order",
		nonceBody: append(appendJSONString([]byte(`{"ShopNo":`), cfg.ShopNo, true), '}'),
	}, nil
}

func checkShopNo(s string) error {
	switch {
	case s == "":
		return invalid("ShopNo", "is required")
	case len(s) > 20:
		return invalid("ShopNo", "is %d bytes, at most 20", len(s))
	case strings.TrimSpace(s) != s || strings.ContainsAny(s, `'"% `):
		return invalid("ShopNo", "must not contain blanks, quotes or %%")
	}
	return nil
}

// DefaultHTTPClient returns the client NewClient uses when none is given:
// 5 s to connect, 10 s for TLS, 30 s for a whole call, TLS 1.2 or later.
func DefaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
			ResponseHeaderTimeout: 30 * time.Second,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
	}
}

// ShopNo returns the client's shop number.
func (c *Client) ShopNo() string { return c.shopNo }

// Keys returns the client's key material, for sealing and opening by hand.
func (c *Client) Keys() *Keys { return c.keys }

func (c *Client) String() string { return fmt.Sprintf("funbiz.Client{%s %s}", c.base, c.shopNo) }

// Format keeps the X-KeyID out of every fmt verb, including %#v and %d.
func (c *Client) Format(f fmt.State, verb rune) { fmt.Fprint(f, c.String()) }

// Nonce fetches a fresh Nonce. It is retried with backoff on transport
// failures, since asking for a nonce changes nothing at the bank.
func (c *Client) Nonce(ctx context.Context) (string, error) {
	var nonce string
	err := c.withRetry(ctx, c.retry, func() error {
		var err error
		nonce, err = c.nonceOnce(ctx)
		return err
	})
	return nonce, err
}

func (c *Client) nonceOnce(ctx context.Context) (string, error) {
	buf := getBuf()
	raw, status, err := c.post(ctx, c.nonceURL, c.nonceBody, *buf)
	defer putBuf(buf, raw)
	if err != nil {
		return "", &Error{Service: "Nonce", Msg: "nonce request failed", Err: joinSentinel(ErrTransport, err)}
	}
	if status != http.StatusOK {
		return "", transportError("Nonce", status, raw)
	}
	var r struct {
		Nonce       string
		Status      Status
		Description string
	}
	// The strings are copies: raw's array goes back to the pool.
	var status2 string
	if readStrings(raw, []string{"Nonce", "Status", "Description"}, []*string{&r.Nonce, &status2, &r.Description}) {
		r.Status = Status(status2)
	} else if err := json.Unmarshal(raw, &r); err != nil {
		return "", &Error{Service: "Nonce", Msg: "answer is not JSON", Body: truncateBody(raw), Err: joinSentinel(ErrMalformedResponse, err)}
	}
	if r.Nonce == "" {
		if r.Status != "" || r.Description != "" {
			return "", bankError("Nonce", r.Status, r.Description)
		}
		return "", &Error{Service: "Nonce", Msg: "answer has no Nonce", Body: truncateBody(raw), Err: ErrMalformedResponse}
	}
	if len(r.Nonce) > 1024 || strings.ContainsAny(r.Nonce, " \r\n\t") {
		return "", &Error{Service: "Nonce", Msg: "answer's Nonce is not a plain token", Body: truncateBody(raw), Err: ErrMalformedResponse}
	}
	return r.Nonce, nil
}

func transportError(service string, status int, raw []byte) *Error {
	// A bank-shaped refusal in a non-200 answer is a refusal: the bank said
	// what it did (nothing), so it is final and not retried.
	var r struct {
		Status      Status
		Description string
	}
	if json.Unmarshal(raw, &r) == nil && r.Status == StatusFailure && r.Description != "" {
		e := bankError(service, r.Status, r.Description)
		e.HTTPStatus = status
		e.Body = truncateBody(raw)
		return e
	}
	return &Error{Service: service, HTTPStatus: status, Body: truncateBody(raw), Msg: "unexpected HTTP status", Err: ErrTransport}
}

func bankError(service string, status Status, description string) *Error {
	if status == "" {
		status = StatusFailure
	}
	e := &Error{Service: service, Status: status, Description: description, Code: descriptionCode(description)}
	e.Err = refusalKind(service, e.Code, description)
	return e
}

// post sends one request and reads at most maxBody bytes of the answer.
// post sends body to url and reads the answer into dst's array, grown as
// needed (the caller may pool it: nothing returned keeps a slice of it).
func (c *Client) post(ctx context.Context, url string, body, dst []byte) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.keyID != "" {
		req.Header.Set("X-KeyID", c.keyID)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := readInto(dst[:0], io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return raw, resp.StatusCode, fmt.Errorf("reading answer: %w", err)
	}
	if int64(len(raw)) > c.maxBody {
		return raw[:512], resp.StatusCode, fmt.Errorf("answer is larger than %d bytes", c.maxBody)
	}
	return raw, resp.StatusCode, nil
}

// readInto is io.ReadAll appending to dst.
func readInto(dst []byte, r io.Reader) ([]byte, error) {
	b := dst
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// callKind says whether a service may be repeated.
type callKind int

const (
	// mutating calls (OrderCreate, OrderMaintain) are sent once; only a
	// refused nonce, which proves the bank did nothing, is retried.
	mutating callKind = iota
	// readOnly calls are retried with backoff on transport failures.
	readOnly
)

// call runs one service: nonce, seal, post, open, and decode into out. The
// decrypted message's Status is checked: an F becomes an *Error.
func (c *Client) call(ctx context.Context, service string, kind callKind, msg jsonAppender, out wireAnswer) error {
	start := time.Now()
	policy := c.retry
	if kind == mutating {
		policy = NoRetry
	}
	nonceRetried := false
	err := c.withRetry(ctx, policy, func() error {
		for {
			err := c.callOnce(ctx, service, kind, msg, out)
			if errors.Is(err, ErrNonceExpired) && !nonceRetried && ctx.Err() == nil {
				nonceRetried = true
				c.log.DebugContext(ctx, "funbiz: nonce refused, retrying once with a new nonce", "service", service)
				continue
			}
			return err
		}
	})
	c.log.DebugContext(ctx, "funbiz call", "service", service, "duration", time.Since(start), "error", errText(err))
	return err
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (c *Client) callOnce(ctx context.Context, service string, kind callKind, msg jsonAppender, out wireAnswer) error {
	// A retried query already retries its nonce with it; retrying the
	// nonce inside as well would multiply the requests to a failing bank.
	var nonce string
	var err error
	if kind == readOnly {
		nonce, err = c.nonceOnce(ctx)
	} else {
		nonce, err = c.Nonce(ctx)
	}
	if err != nil {
		return err
	}
	body, err := c.request(service, nonce, msg)
	if err != nil {
		return err
	}
	// The answer lives until it is decoded, which copies what it keeps.
	buf := getBuf()
	raw, status, err := c.post(ctx, c.orderURL, body, *buf)
	defer putBuf(buf, raw)
	if err != nil {
		return &Error{Service: service, Msg: "request failed", Body: truncateBody(raw), Err: joinSentinel(ErrTransport, err)}
	}
	if status != http.StatusOK {
		return transportError(service, status, raw)
	}
	return c.decode(service, raw, out)
}

// request renders, signs and encrypts msg and returns the body of the
// request: the envelope's JSON.
func (c *Client) request(service, nonce string, msg jsonAppender) ([]byte, error) {
	buf := getBuf()
	plain := msg.appendJSON(*buf)
	defer putBuf(buf, plain)
	return c.keys.appendSealed(nil, c.shopNo, service, nonce, plain, true)
}

// bodyEnvelope is an answer body's envelope, its values still slices of
// the body. Status and Description are those of an unencrypted refusal.
type bodyEnvelope struct {
	version, shopNo, service, sign, nonce, message []byte
	status, description                            []byte
}

// readEnvelope reads the envelope members of an answer body, as
// encoding/json would read them into an Envelope: names without regard to
// case, null as empty, other members ignored.
func readEnvelope(body []byte) (bodyEnvelope, error) {
	var buf [8]member
	members, err := scanMembers(body, buf[:0])
	if err != nil {
		return bodyEnvelope{}, err
	}
	var e bodyEnvelope
	for i := range members {
		m := &members[i]
		var dst *[]byte
		switch {
		case m.is("ShopNo"):
			dst = &e.shopNo
		case m.is("APIService"):
			dst = &e.service
		case m.is("Sign"):
			dst = &e.sign
		case m.is("Nonce"):
			dst = &e.nonce
		case m.is("Message"):
			dst = &e.message
		case m.is("Version"):
			dst = &e.version
		case m.is("Status"):
			if m.kind == '"' {
				e.status = m.value
			}
			continue
		case m.is("Description"):
			if m.kind == '"' {
				e.description = m.value
			}
			continue
		default:
			continue
		}
		switch m.kind {
		case '"':
			*dst = m.value
		case 'n':
			*dst = nil
		default:
			return bodyEnvelope{}, fmt.Errorf("member %s is %s, not a string", m.name, kindName(m.kind))
		}
	}
	return e, nil
}

// decode opens a response body for service into out.
func (c *Client) decode(service string, raw []byte, out wireAnswer) error {
	resp, err := readEnvelope(raw)
	if err != nil {
		return &Error{Service: service, Msg: "answer is not a JSON envelope", Body: truncateBody(raw), Err: joinSentinel(ErrMalformedResponse, err)}
	}
	if len(resp.nonce) == 0 || len(resp.message) == 0 {
		// A plain {"Status":"F","Description":"E…"} is how a refusal looks
		// when the bank cannot encrypt an answer (our sandbox does this for
		// an unknown ShopNo).
		if len(resp.description) > 0 {
			return bankError(service, Status(resp.status), string(resp.description))
		}
		return &Error{Service: service, Msg: "answer has no Nonce or Message", Body: truncateBody(raw), Err: ErrMalformedResponse}
	}
	if len(resp.shopNo) > 0 && string(resp.shopNo) != c.shopNo {
		return &Error{Service: service, Msg: fmt.Sprintf("answer is for ShopNo %q, not %q", resp.shopNo, c.shopNo), Err: ErrMismatch}
	}
	if len(resp.service) > 0 && string(resp.service) != service {
		return &Error{Service: service, Msg: fmt.Sprintf("answer is for APIService %q", resp.service), Err: ErrMalformedResponse}
	}
	// The plaintext lives only until it is decoded (the decoder copies
	// every string), so its array is pooled.
	buf := getBuf()
	var members [24]member
	plain, ms, err := openMessage(c.keys, *buf, service, resp.nonce, resp.message, resp.sign, members[:0])
	defer putBuf(buf, plain)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Body = truncateBody(raw)
		}
		return err
	}
	d := &decoder{msg: plain}
	for _, m := range ms {
		out.decodeMember(d, m)
	}
	if d.err != nil {
		return &Error{Service: service, Msg: "decrypted message does not have the expected shape", Body: truncateBody(raw), Err: joinSentinel(ErrMalformedResponse, d.err)}
	}
	st, desc := out.status()
	if st != StatusSuccess {
		return bankError(service, st, desc)
	}
	return nil
}

// withRetry runs fn up to policy.Attempts times while it fails with a
// transport error and ctx is live, sleeping a jittered, capped, doubling
// backoff between tries. Bank refusals, bad signatures and malformed
// answers are final.
func (c *Client) withRetry(ctx context.Context, policy RetryPolicy, fn func() error) error {
	attempts := max(policy.Attempts, 1)
	backoff := policy.Base
	var err error
	for i := range attempts {
		err = fn()
		if err == nil || !retryable(err) || i == attempts-1 || ctx.Err() != nil {
			return err
		}
		wait := backoff
		if policy.Max > 0 && wait > policy.Max {
			wait = policy.Max
		}
		if wait > 0 {
			wait = time.Duration(rand.Int64N(int64(wait)) + 1)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff *= 2
	}
	return err
}

func retryable(err error) bool {
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrTransport) {
		return false
	}
	// 4xx answers will not change on their own; 5xx, 429 and no answer may.
	return e.HTTPStatus == 0 || e.HTTPStatus >= 500 || e.HTTPStatus == http.StatusTooManyRequests
}
