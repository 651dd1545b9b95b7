package mail

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"time"
	"unicode/utf8"
)

// Message is one e-mail to one person: a plain text body and, optionally,
// the same content in HTML, both UTF-8.
type Message struct {
	// ID is the Message-ID without its angle brackets, such as
	// "order-12-paid.1733270000@shop.example". Keep it the same for every
	// attempt at the same event, so that a receiver that got an earlier
	// attempt can drop the repeat. Required.
	ID string
	// From is the sender, "Name <addr>" or a bare addr, as configured in
	// SINOPAY_MAIL_FROM. The name may be Chinese. Required.
	From string
	// To is the one recipient, "Name <addr>" or a bare addr. Required.
	To string
	// Subject may be in any language: Bytes encodes it per RFC 2047.
	Subject string
	// Text is the plain text body. Lines may end in LF or CRLF. Required.
	Text string
	// HTML is the same content as an HTML document. When empty the
	// message is text/plain only; when set, it is multipart/alternative
	// with Text first, for readers that show no HTML.
	HTML string
	// Date is when the message was written. The zero Date means the time
	// Bytes is called.
	Date time.Time
}

// Bytes returns m in the RFC 5322 form that goes over SMTP: CRLF line
// ends, only 7-bit characters, headers encoded per RFC 2047, bodies
// quoted-printable. It returns an error wrapping ErrInvalid, and no
// bytes, when a required field is empty, an address does not read, a
// text is not UTF-8, or a header value holds a line break or another
// control character (a line break would let the value add headers, such
// as a Bcc).
//
// The boundary between the parts of a message with HTML is random, so
// two calls give different bytes for such a message.
func (m Message) Bytes() ([]byte, error) {
	b, _, _, err := m.build()
	return b, err
}

// build returns what Bytes returns, and the envelope addresses for SMTP's
// MAIL FROM and RCPT TO.
func (m Message) build() (data []byte, from, to string, err error) {
	id, err := checkID(m.ID)
	if err != nil {
		return nil, "", "", err
	}
	fromAddr, err := parseAddress("From", m.From)
	if err != nil {
		return nil, "", "", err
	}
	toAddr, err := parseAddress("To", m.To)
	if err != nil {
		return nil, "", "", err
	}
	if err := checkHeaderValue("Subject", m.Subject); err != nil {
		return nil, "", "", err
	}
	if m.Text == "" {
		return nil, "", "", invalid("Text", "is empty: every message needs a plain text body")
	}
	if !utf8.ValidString(m.Text) {
		return nil, "", "", invalid("Text", "is not valid UTF-8")
	}
	if !utf8.ValidString(m.HTML) {
		return nil, "", "", invalid("HTML", "is not valid UTF-8")
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}

	var b bytes.Buffer
	writeHeader(&b, "Date", date.Format(time.RFC1123Z))
	writeHeader(&b, "From", formatAddress(fromAddr))
	writeHeader(&b, "To", formatAddress(toAddr))
	writeHeader(&b, "Subject", encodeText(m.Subject))
	writeHeader(&b, "Message-ID", "<"+id+">")
	// RFC 3834: vacation responders and the like do not answer it.
	writeHeader(&b, "Auto-Submitted", "auto-generated")
	writeHeader(&b, "MIME-Version", "1.0")
	if m.HTML == "" {
		writeHeader(&b, "Content-Type", "text/plain; charset=utf-8")
		writeHeader(&b, "Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Text); err != nil {
			return nil, "", "", err
		}
		if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
			b.WriteString("\r\n")
		}
		return b.Bytes(), fromAddr.Address, toAddr.Address, nil
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	writeHeader(&b, "Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	for _, p := range []struct{ typ, text string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, "", "", err
		}
		if err := writeQP(w, p.text); err != nil {
			return nil, "", "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", "", err
	}
	b.Write(body.Bytes())
	return b.Bytes(), fromAddr.Address, toAddr.Address, nil
}

// writeQP writes text to w quoted-printable, its line ends as CRLF.
func writeQP(w io.Writer, text string) error {
	qw := quotedprintable.NewWriter(w)
	if _, err := qw.Write([]byte(text)); err != nil {
		return err
	}
	return qw.Close()
}
