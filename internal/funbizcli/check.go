package funbizcli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

// The refusal codes the check can name. The bank's own code table is not
// public: these are the sandbox's (funbiz/sandbox/codes.go), and a real
// bank's other codes are shown as they come, with the likely causes.
const (
	codeUnknownShop   = "E0101"
	codeBadKeyID      = "E0103"
	codeUndecryptable = "E0104"
	codeBadSign       = "E0105"
)

// runCheck is `sinopay funbiz check`: it tells a merchant whether their
// settings work before a customer finds out. It asks for a Nonce, makes a
// query that changes nothing (OrderQuery of an order number nobody uses),
// verifies the answer's Sign, and says in words what is wrong when
// something is.
func runCheck(ctx context.Context, args []string, o Process) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	var conn connection
	conn.register(fs)
	conn.timeout = 15 * time.Second
	fs.Lookup("timeout").DefValue = "15s"
	if code, ok := parseFlags(fs, args, `Checks the connection settings against the bank: the URL answers, the bank
knows the shop number and the X-KeyID, and the hash values are the bank's
(its answer decrypts and its Sign verifies). It asks for a Nonce and makes
one OrderQuery of a made-up order number: nothing changes at the bank.
Exit status 0 only when everything works.`, o); !ok {
		return code
	}
	cl, err := conn.client(o)
	if err != nil {
		return report(o.Stderr, fs.Name(), err, nil)
	}
	ctx, cancel := context.WithTimeout(ctx, conn.timeout)
	defer cancel()
	w := o.Stdout
	fmt.Fprintf(w, "checking %s as shop %s\n", conn.baseURL, cl.ShopNo())

	start := time.Now()
	if _, err := cl.Nonce(ctx); err != nil {
		fmt.Fprintf(w, "  ✗ %s\n", nonceProblem(cl, &conn, err))
		explain(w, err)
		return 1
	}
	fmt.Fprintf(w, "  ✓ the bank answers (Nonce in %d ms)\n", time.Since(start).Milliseconds())
	if conn.noKeyID {
		fmt.Fprintf(w, "  ✓ the bank knows shop %s (no X-KeyID was sent: the bank's own hosts require one, set %s)\n", cl.ShopNo(), envKeyID)
	} else {
		fmt.Fprintf(w, "  ✓ the bank knows shop %s and accepts the X-KeyID\n", cl.ShopNo())
	}

	probe := fmt.Sprintf("CHECK%d", time.Now().UnixNano()%1e12)
	if _, _, err := cl.FindOrder(ctx, probe); err != nil {
		fmt.Fprintf(w, "  ✗ %s\n", queryProblem(cl, &conn, err))
		explain(w, err)
		return 1
	}
	fmt.Fprintf(w, "  ✓ the hash values are the bank's: its answer to OrderQuery %s decrypted and its Sign verified\n", probe)
	fmt.Fprintln(w, "all good: these settings can take payments")
	return 0
}

// explain prints the technical error under the plain words, for a ticket
// to the bank's help desk. *funbiz.Error never quotes a secret.
func explain(w io.Writer, err error) {
	fmt.Fprintf(w, "    (%v)\n", err)
}

// nonceProblem says in words why the Nonce call failed.
func nonceProblem(cl *funbiz.Client, conn *connection, err error) string {
	var e *funbiz.Error
	errors.As(err, &e)
	switch {
	case errors.Is(err, funbiz.ErrTransport):
		return transportProblem(cl, conn, err, e)
	case errors.Is(err, funbiz.ErrBankRefused) && e != nil:
		switch e.Code {
		case codeUnknownShop:
			return fmt.Sprintf("the bank does not know shop number %s: check SINOPAY_SHOP_NO (sandbox and production shop numbers differ)", cl.ShopNo())
		case codeBadKeyID:
			if conn.noKeyID {
				return "the bank wants an X-KeyID and none was sent: set --key-id or " + envKeyID + " to the key id the bank issued"
			}
			return "the bank refused the X-KeyID: check " + envKeyID + " (the key id is issued per shop and per environment)"
		}
		return fmt.Sprintf("the bank refused the Nonce call (%s): most often the shop number is unknown to this bank or the X-KeyID is wrong", e.Description)
	case errors.Is(err, funbiz.ErrMalformedResponse):
		return fmt.Sprintf("%s answered, but not as the bank's API does (no Nonce in the answer): is the URL the API's, ending in /QPay.WebAPI/api?", conn.baseURL)
	}
	return "the Nonce call failed"
}

// transportProblem says why a call did not reach the bank or came back
// with an HTTP error.
func transportProblem(cl *funbiz.Client, conn *connection, err error, e *funbiz.Error) string {
	url := conn.baseURL
	if e != nil && e.HTTPStatus != 0 {
		switch e.HTTPStatus {
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			return fmt.Sprintf("%s has no API at this path (HTTP %d): the URL must end in /QPay.WebAPI/api", url, e.HTTPStatus)
		case http.StatusUnauthorized, http.StatusForbidden:
			if conn.noKeyID {
				return fmt.Sprintf("the bank turned the call away (HTTP %d) and no X-KeyID was sent: set --key-id or %s", e.HTTPStatus, envKeyID)
			}
			return fmt.Sprintf("the bank turned the call away (HTTP %d): the X-KeyID or this machine's address is not allowed; check %s and the IP addresses registered with the bank", e.HTTPStatus, envKeyID)
		}
		return fmt.Sprintf("%s answered HTTP %d: the bank may be down, or the URL is not the API's", url, e.HTTPStatus)
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("the host %s cannot be found (DNS): check the URL", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing answers at %s (connection refused): check the URL's host and port", url)
	case errors.As(err, &hostErr):
		return fmt.Sprintf("the TLS certificate of %s is for another host (%v): check the URL", url, hostErr)
	case errors.As(err, &unknownCA), errors.As(err, &certErr):
		return fmt.Sprintf("the TLS certificate of %s is not trusted by this machine: update its CA certificates, or check that nothing intercepts the connection", url)
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("%s does not speak TLS: use http:// for a local sandbox, https:// for the bank", url)
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer from %s in time: a firewall may drop the connection, or the bank is slow", url)
	}
	if strings.Contains(err.Error(), "tls:") {
		return fmt.Sprintf("the TLS handshake with %s failed: check the URL and this machine's TLS settings", url)
	}
	return fmt.Sprintf("cannot reach %s", url)
}

// queryProblem says in words why the OrderQuery failed once the Nonce
// call worked. An answer that does not decrypt or whose Sign does not
// verify means the hash values differ from the bank's: the bank sealed
// its answer with its own.
func queryProblem(cl *funbiz.Client, conn *connection, err error) string {
	const wrongHash = "the hash values do not match the bank's: check SINOPAY_HASH (A1,A2,B1,B2, in that order, as the bank issued them for shop %s in this environment)"
	var e *funbiz.Error
	errors.As(err, &e)
	switch {
	case errors.Is(err, funbiz.ErrBadSignature), errors.Is(err, funbiz.ErrMalformedResponse):
		return fmt.Sprintf(wrongHash, cl.ShopNo())
	case errors.Is(err, funbiz.ErrBankRefused) && e != nil && (e.Code == codeUndecryptable || e.Code == codeBadSign):
		return fmt.Sprintf(wrongHash, cl.ShopNo())
	case errors.Is(err, funbiz.ErrBankRefused) && e != nil:
		return fmt.Sprintf("the bank refused a harmless OrderQuery (%s)", e.Description)
	case errors.Is(err, funbiz.ErrTransport):
		return transportProblem(cl, conn, err, e)
	}
	return "the OrderQuery failed"
}
