package funbiz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// The hash values, the HashID derived from them and the X-KeyID are the
// shop's credentials: whoever has them can create orders and refund. They
// must not leak through any way a program prints or logs its values.

// secretTexts are what must never appear, in both letter cases.
func secretTexts() []string {
	var out []string
	for _, s := range []string{string(testHash.A1), string(testHash.A2), string(testHash.B1), string(testHash.B2), testHashID, testKeyID} {
		out = append(out, s, strings.ToLower(s), strings.ToUpper(s))
	}
	// Halves catch a value printed in pieces or as bytes.
	for _, s := range []string{testHashID, testKeyID} {
		out = append(out, s[:len(s)/2], s[len(s)/2:])
	}
	return out
}

func assertNoSecret(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range secretTexts() {
		if strings.Contains(out, s) {
			t.Errorf("%s leaks %q:\n%s", what, s, out)
			return
		}
	}
	// Hex of the raw bytes, as %x would print a string.
	for _, s := range []string{string(testHash.A1), testKeyID} {
		if strings.Contains(out, fmt.Sprintf("%x", s)) {
			t.Errorf("%s leaks the hex of %q:\n%s", what, s, out)
		}
	}
}

func secretValues(t *testing.T) map[string]any {
	cfg := Config{BaseURL: SandboxURL, ShopNo: testShopNo, Hash: testHash, KeyID: testKeyID}
	client, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := NewKeys(testHash)
	if err != nil {
		t.Fatal(err)
	}
	withClient := cfg
	withClient.HTTPClient = http.DefaultClient
	return map[string]any{
		"Config":            cfg,
		"*Config":           &cfg,
		"Config with HTTP":  withClient,
		"Hash":              testHash,
		"*Hash":             &cfg.Hash,
		"Secret":            cfg.KeyID,
		"Hash.A1":           testHash.A1,
		"*Keys":             keys,
		"*Client":           client,
		"Config in struct":  struct{ Bank Config }{cfg},
		"Hash in slice":     []Hash{testHash},
		"Secret in map":     map[string]Secret{"key": cfg.KeyID},
		"*Client in struct": struct{ C *Client }{client},
	}
}

func TestSecretsNeverFormat(t *testing.T) {
	for name, v := range secretValues(t) {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
			assertNoSecret(t, fmt.Sprintf("%s with %s", name, verb), fmt.Sprintf(verb, v))
		}
		assertNoSecret(t, name+" with Sprint", fmt.Sprint(v))
		assertNoSecret(t, name+" with Sprintln", fmt.Sprintln(v))
	}
	// The redacted forms still say what the value is, for a readable dump.
	cfg := secretValues(t)["Config"]
	if s := fmt.Sprintf("%+v", cfg); !strings.Contains(s, testShopNo) || !strings.Contains(s, "[redacted]") {
		t.Errorf("Config prints as %s", s)
	}
}

func TestSecretsNeverLog(t *testing.T) {
	for _, handler := range []string{"json", "text"} {
		var buf bytes.Buffer
		var h slog.Handler
		if handler == "json" {
			h = slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
		} else {
			h = slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
		}
		log := slog.New(h)
		for name, v := range secretValues(t) {
			buf.Reset()
			log.Info("config", "value", v)
			log.Info("config", slog.Any("value", v), slog.Group("g", "inner", v))
			log.With("bound", v).Debug("bound")
			assertNoSecret(t, handler+" log of "+name, buf.String())
		}
		// A logged Config still names the shop.
		buf.Reset()
		log.Info("start", "funbiz", secretValues(t)["Config"])
		if !strings.Contains(buf.String(), testShopNo) {
			t.Errorf("%s log of Config lacks the ShopNo: %s", handler, buf.String())
		}
	}
}

func TestSecretsNeverMarshal(t *testing.T) {
	for name, v := range secretValues(t) {
		if name == "Config with HTTP" {
			continue // an *http.Client does not marshal at all
		}
		b, err := json.Marshal(v)
		if err != nil {
			continue
		}
		assertNoSecret(t, "JSON of "+name, string(b))
	}
}

// The client's own debug log sees every call, failures included.
func TestClientLogHasNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	b := newFakeBank(t)
	c := newTestClient(t, b, func(cfg *Config) {
		cfg.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ctx := t.Context()
	if _, err := c.OrderCreate(ctx, atmParams("A1", 100)); err != nil {
		t.Fatal(err)
	}
	b.nextOrder(1, b.tampered(func(env *Envelope) { env.Sign = flip(env.Sign) }))
	c.OrderCreate(ctx, atmParams("A2", 100))
	b.nextOrder(1, b.refusing("E0102 – Nonce 已失效"))
	c.FindOrder(ctx, "A1")
	b.nextOrder(3, httpAnswer(500, "text/plain", "boom"))
	c.BillQuery(ctx, "20240115")
	out := buf.String()
	if !strings.Contains(out, ServiceOrderCreate) || !strings.Contains(out, "does not match") {
		t.Errorf("debug log does not describe the calls:\n%s", out)
	}
	assertNoSecret(t, "client debug log", out)
}

// Errors travel into logs and bug reports.
func TestErrorsHaveNoSecrets(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	b.nextOrder(1, b.tampered(func(env *Envelope) { env.Sign = flip(env.Sign) }))
	_, err := c.OrderCreate(t.Context(), atmParams("A1", 100))
	if err == nil {
		t.Fatal("tampered Sign accepted")
	}
	assertNoSecret(t, "bad-signature error", fmt.Sprintf("%v %+v %#v", err, err, err))
}
