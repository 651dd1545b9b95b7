package mail

import (
	"bytes"
	"mime"
	netmail "net/mail"
	"strings"
	"unicode/utf8"
)

// maxLine is the length RFC 5322 asks lines to keep within.
const maxLine = 78

// checkHeaderValue refuses a header value with a line break, which would
// end the header and let the rest of the value add headers of its own, or
// with another control character, which no header may hold.
func checkHeaderValue(field, v string) error {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\r' || c == '\n':
			return invalid(field, "contains a line break (CR or LF): refused, it could add headers")
		case c < ' ' && c != '\t' || c == 0x7f:
			return invalid(field, "contains the control character %#02x", c)
		}
	}
	if !utf8.ValidString(v) {
		return invalid(field, "is not valid UTF-8")
	}
	return nil
}

// checkID checks a Message-ID without its angle brackets: RFC 5322's
// id-left "@" id-right, both dot-atoms.
func checkID(id string) (string, error) {
	if err := checkHeaderValue("ID", id); err != nil {
		return "", err
	}
	if id == "" {
		return "", invalid("ID", "is empty: give each event a stable Message-ID, such as order-12-paid.1733270000@shop.example")
	}
	left, right, ok := strings.Cut(id, "@")
	if !ok || !dotAtom(left) || !dotAtom(right) {
		return "", invalid("ID", "%q is not a Message-ID: want left@right without angle brackets, each side letters, digits, dots and !#$%%&'*+-/=?^_`{|}~", id)
	}
	return id, nil
}

// parseAddress reads one address, "Name <addr>" or a bare addr. The addr
// must be plain ASCII, local@domain with each side a dot-atom, because it
// goes as it is into MAIL FROM or RCPT TO; the name may be any UTF-8.
func parseAddress(field, v string) (*netmail.Address, error) {
	if err := checkHeaderValue(field, v); err != nil {
		return nil, err
	}
	if v == "" {
		return nil, invalid(field, "is empty")
	}
	a, err := netmail.ParseAddress(v)
	if err != nil {
		return nil, invalid(field, "%q is not one e-mail address: %v", v, err)
	}
	local, domain, ok := strings.Cut(a.Address, "@")
	if !ok || !dotAtom(local) || !dotAtom(domain) {
		return nil, invalid(field, "%q: only plain ASCII addresses such as name@example.com can be sent (an internationalized domain must be written in its xn-- form)", v)
	}
	return a, nil
}

// dotAtom reports whether s is an RFC 5322 dot-atom-text: runs of ASCII
// atext joined by single dots.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".!#$%&'*+-/=?^_`{|}~", c) >= 0) {
			return false
		}
	}
	return true
}

// formatAddress writes a for a header: the bare addr when there is no
// name, else the name (quoted or encoded as it needs) and <addr>.
func formatAddress(a *netmail.Address) string {
	switch {
	case a.Name == "":
		return a.Address
	case isASCII(a.Name):
		return a.String()
	default:
		return encodeText(a.Name) + " <" + a.Address + ">"
	}
}

// encodeText encodes s per RFC 2047 when it is not plain printable ASCII:
// as base64 when most of it is not ASCII (Chinese is shorter so), else as
// Q, which keeps the ASCII readable.
func encodeText(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			n++
		}
	}
	if 3*n > len(s) {
		return mime.BEncoding.Encode("utf-8", s)
	}
	return mime.QEncoding.Encode("utf-8", s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// writeHeader writes one header field, folded before a space wherever
// the line would pass maxLine. Unfolding (dropping each CRLF) gives the
// value back as it was; a single word longer than a line stays whole.
func writeHeader(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteString(":")
	n := len(name) + 1
	for i, w := range strings.Split(value, " ") {
		if i > 0 && w != "" && n+1+len(w) > maxLine {
			b.WriteString("\r\n")
			n = 0
		}
		b.WriteString(" ")
		b.WriteString(w)
		n += 1 + len(w)
	}
	b.WriteString("\r\n")
}

// CheckAddress checks an address, "Name <addr>" or addr, as Send takes
// it in From or To: a setting such as the shop's sender can be checked
// at start-up rather than failing every message later.
func CheckAddress(v string) error {
	_, err := parseAddress("address", v)
	return err
}
