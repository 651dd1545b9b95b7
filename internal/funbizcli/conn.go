package funbizcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

// Environment variables behind the connection flags.
const (
	envURL    = "SINOPAY_FUNBIZ_URL"
	envShopNo = "SINOPAY_SHOP_NO"
	envHash   = "SINOPAY_HASH"
	envKeyID  = "SINOPAY_KEY_ID"
)

// connection holds the settings shared by the subcommands that call the
// bank.
type connection struct {
	url, shopNo, hash, keyID string
	timeout                  time.Duration
	// noKeyID records that the client sends no X-KeyID, which the bank's
	// own hosts require but a local sandbox may not.
	noKeyID bool
	// baseURL is the API base URL the client was built with.
	baseURL string
}

// register adds the connection flags. Their defaults stay empty rather
// than showing the environment: -h prints defaults, and the hash and key id
// must never be printed.
func (c *connection) register(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "url", "", `API base URL ending in /QPay.WebAPI/api; "sandbox" or "production" name the bank's hosts (env `+envURL+")")
	fs.StringVar(&c.shopNo, "shop-no", "", "shop number, e.g. NA0249_001 (env "+envShopNo+")")
	fs.StringVar(&c.hash, "hash", "", "the four hash values `A1,A2,B1,B2` (env "+envHash+"; prefer the env: flags show in ps)")
	fs.StringVar(&c.keyID, "key-id", "", "X-KeyID issued by the bank (env "+envKeyID+"; prefer the env: flags show in ps)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "limit on the whole command, retries included")
}

// pick returns the flag's value, else the environment's, and where it
// came from.
func (o Process) pick(flagValue, flagName, env string) (value, from string) {
	if v := strings.TrimSpace(flagValue); v != "" {
		return v, "--" + flagName
	}
	if v := strings.TrimSpace(o.getenv(env)); v != "" {
		return v, env
	}
	return "", ""
}

// configSource names, for a funbiz.Config field, the flag and the
// environment variable that set it.
var configSource = map[string]string{
	"BaseURL": "--url or " + envURL,
	"ShopNo":  "--shop-no or " + envShopNo,
	"Hash":    "--hash or " + envHash,
	"KeyID":   "--key-id or " + envKeyID,
}

// client builds the funbiz client. Every error is a usage error naming
// both the flag and the environment variable, and none quotes a secret.
func (c *connection) client(o Process) (*funbiz.Client, error) {
	url, _ := o.pick(c.url, "url", envURL)
	shopNo, _ := o.pick(c.shopNo, "shop-no", envShopNo)
	hashText, hashFrom := o.pick(c.hash, "hash", envHash)
	keyID, _ := o.pick(c.keyID, "key-id", envKeyID)
	c.noKeyID = keyID == ""

	var missing []string
	if url == "" {
		missing = append(missing, "  the API base URL: --url or "+envURL+` ("sandbox" is `+funbiz.SandboxURL+")")
	}
	if shopNo == "" {
		missing = append(missing, "  the shop number: --shop-no or "+envShopNo)
	}
	if hashText == "" {
		missing = append(missing, "  the hash values A1,A2,B1,B2: --hash or "+envHash)
	}
	if len(missing) > 0 {
		return nil, usagef("missing connection settings:\n%s", strings.Join(missing, "\n"))
	}
	switch strings.ToLower(url) {
	case "sandbox":
		url = funbiz.SandboxURL
	case "production":
		url = funbiz.ProductionURL
	}
	c.baseURL = url
	hash, err := funbiz.ParseHash(hashText)
	if err != nil {
		return nil, usagef("bad hash values (from %s; set %s): %v", hashFrom, configSource["Hash"], err)
	}
	if c.timeout <= 0 {
		return nil, usagef("--timeout must be positive, got %v", c.timeout)
	}
	hc := funbiz.DefaultHTTPClient()
	hc.Timeout = c.timeout
	if t, ok := hc.Transport.(*http.Transport); ok && t.ResponseHeaderTimeout < c.timeout {
		// Otherwise a slow bank would be cut off at the default 30 s even
		// when the user asked for more.
		t.ResponseHeaderTimeout = c.timeout
	}
	cl, err := funbiz.NewClient(funbiz.Config{
		BaseURL: url, ShopNo: shopNo, Hash: hash, KeyID: funbiz.Secret(keyID), HTTPClient: hc,
	})
	if err != nil {
		var e *funbiz.Error
		if errors.As(err, &e) {
			field, _, _ := strings.Cut(e.Field, ".")
			if src, ok := configSource[field]; ok {
				return nil, usagef("bad connection setting (set %s): %v", src, err)
			}
		}
		return nil, usagef("bad connection settings: %v", err)
	}
	return cl, nil
}

// bankCall describes one call to the bank for callBank.
type bankCall struct {
	name string
	// flagOf maps the funbiz field names of the parameters to flags.
	flagOf map[string]string
	// transportHint, when set, is printed after a transport failure: for
	// calls that move money, whether the bank acted is then unknown.
	transportHint string
}

// callBank builds the client, runs call under the timeout and prints its
// result or error. A result that comes with an error (an answer that does
// not match the request) is printed too, since it is what the bank said.
func callBank(ctx context.Context, o Process, conn *connection, s bankCall, call func(ctx context.Context, cl *funbiz.Client) (any, error)) int {
	cl, err := conn.client(o)
	if err != nil {
		return report(o.Stderr, s.name, err, nil)
	}
	ctx, cancel := context.WithTimeout(ctx, conn.timeout)
	defer cancel()
	result, err := call(ctx, cl)
	if result != nil {
		if perr := printJSON(o.Stdout, result); perr != nil && err == nil {
			err = perr
		}
	}
	if err == nil {
		return 0
	}
	code := report(o.Stderr, s.name, err, s.flagOf)
	if s.transportHint != "" && errors.Is(err, funbiz.ErrTransport) {
		fmt.Fprintln(o.Stderr, s.transportHint)
	}
	var e *funbiz.Error
	if conn.noKeyID && errors.As(err, &e) && (e.HTTPStatus == http.StatusUnauthorized || e.HTTPStatus == http.StatusForbidden) {
		fmt.Fprintln(o.Stderr, "No X-KeyID was sent: set --key-id or "+envKeyID+" to the key id the bank issued.")
	}
	return code
}

// resultOf turns a typed result into an interface value that is nil when
// the pointer is, so that callBank does not print "null".
func resultOf[T any](r *T, err error) (any, error) {
	if r == nil {
		return nil, err
	}
	return r, err
}
