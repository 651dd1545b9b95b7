package mail_test

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/mail"
)

// textBody has what a body must survive: Chinese, lines that are a dot
// or start with one (SMTP doubles such dots), trailing spaces, and a
// line longer than quoted-printable's 76 characters.
const textBody = "王小明您好：\n\n您的訂單 #12 已付款，金額 NT$1,280。\n.\n..兩個點開頭的一行\nFrom the shop, with trailing spaces   \n" +
	"很長的一行很長的一行很長的一行很長的一行很長的一行很長的一行很長的一行很長的一行很長的一行很長的一行\n"

// paidMessage is a payment received message with Chinese names, a
// subject long enough to be folded, and both parts.
func paidMessage() mail.Message {
	return mail.Message{
		ID:      "order-12-paid.1733270000@shop.example",
		From:    "新農商店 <shop@shop.example>",
		To:      "王小明 <ming@example.com>",
		Subject: "您的訂單 #12 已付款：感謝您的購買，我們會盡快為您出貨，請留意後續的出貨通知信",
		Text:    textBody,
		HTML:    "<p>王小明您好：</p>\n<p>您的訂單 <b>#12</b> 已付款。</p>\n",
		Date:    time.Date(2025, 12, 4, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)),
	}
}

// crlf turns LF line ends into the CRLF that mail has on the wire.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// checkWire fails t unless raw is fit for SMTP: 7-bit, every line ended
// by CRLF, and no line longer than 78 characters unless it is one word
// that cannot be folded.
func checkWire(t *testing.T, raw []byte) {
	t.Helper()
	for i, c := range raw {
		switch {
		case c >= 0x80:
			t.Fatalf("byte %d is %#x: want 7-bit only", i, c)
		case c == '\n' && (i == 0 || raw[i-1] != '\r'):
			t.Fatalf("LF without CR at byte %d", i)
		case c == '\r' && (i+1 == len(raw) || raw[i+1] != '\n'):
			t.Fatalf("CR without LF at byte %d", i)
		}
	}
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		t.Fatalf("message does not end with CRLF")
	}
	for line := range strings.SplitSeq(string(raw), "\r\n") {
		if len(line) <= 78 {
			continue
		}
		_, rest, _ := strings.Cut(strings.TrimLeft(line, " "), " ")
		if strings.Contains(rest, " ") || len(line) > 998 {
			t.Errorf("line of %d characters could have been folded: %q", len(line), line)
		}
	}
}

// readQP returns the decoded body of a quoted-printable part.
func readQP(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(r))
	if err != nil {
		t.Fatalf("quoted-printable body: %v", err)
	}
	return string(b)
}

// checkMessage fails t unless raw is m, read back as a receiver reads it.
func checkMessage(t *testing.T, raw []byte, m mail.Message) {
	t.Helper()
	checkWire(t, raw)
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	h := msg.Header
	if subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil || subject != m.Subject {
		t.Errorf("Subject decodes to %q, %v; want %q", subject, err, m.Subject)
	}
	if got, want := h.Get("Message-ID"), "<"+m.ID+">"; got != want {
		t.Errorf("Message-ID = %q, want %q", got, want)
	}
	if date, err := h.Date(); err != nil || !date.Equal(m.Date) {
		t.Errorf("Date = %v, %v; want %v", date, err, m.Date)
	}
	for field, want := range map[string]string{"From": m.From, "To": m.To} {
		wantAddr, err := netmail.ParseAddress(want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := h.AddressList(field)
		if err != nil || len(got) != 1 || *got[0] != *wantAddr {
			t.Errorf("%s = %v, %v; want %v", field, got, err, wantAddr)
		}
	}
	for field, want := range map[string]string{"MIME-Version": "1.0", "Auto-Submitted": "auto-generated"} {
		if got := h.Get(field); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	typ, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", h.Get("Content-Type"), err)
	}
	if m.HTML == "" {
		if typ != "text/plain" || params["charset"] != "utf-8" || h.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Fatalf("Content-Type %q, Content-Transfer-Encoding %q: want text/plain; charset=utf-8, quoted-printable",
				h.Get("Content-Type"), h.Get("Content-Transfer-Encoding"))
		}
		if got := readQP(t, msg.Body); got != crlf(m.Text) {
			t.Errorf("body = %q, want %q", got, crlf(m.Text))
		}
		return
	}
	if typ != "multipart/alternative" || params["boundary"] == "" {
		t.Fatalf("Content-Type = %q, want multipart/alternative with a boundary", h.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for _, want := range []struct{ typ, body string }{{"text/plain; charset=utf-8", m.Text}, {"text/html; charset=utf-8", m.HTML}} {
		p, err := mr.NextRawPart()
		if err != nil {
			t.Fatalf("part %s: %v", want.typ, err)
		}
		if got := p.Header.Get("Content-Type"); got != want.typ {
			t.Errorf("part Content-Type = %q, want %q", got, want.typ)
		}
		if got := p.Header.Get("Content-Transfer-Encoding"); got != "quoted-printable" {
			t.Errorf("%s part Content-Transfer-Encoding = %q, want quoted-printable", want.typ, got)
		}
		if got := readQP(t, p); got != crlf(want.body) {
			t.Errorf("%s part = %q, want %q", want.typ, got, crlf(want.body))
		}
	}
	if _, err := mr.NextRawPart(); err != io.EOF {
		t.Errorf("after the HTML part: %v, want io.EOF", err)
	}
}

// A message with HTML is multipart/alternative, text first, and reads
// back as written.
func TestMessageBytes(t *testing.T) {
	m := paidMessage()
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	checkMessage(t, raw, m)
	if !bytes.Contains(raw, []byte("\r\nSubject: =?utf-8?b?")) || !bytes.Contains(raw, []byte("?=\r\n =?utf-8?b?")) {
		t.Errorf("want the Subject base64-encoded and folded between encoded words:\n%s", raw)
	}
}

// A message without HTML is text/plain alone.
func TestMessageTextOnly(t *testing.T) {
	m := paidMessage()
	m.HTML = ""
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	checkMessage(t, raw, m)
	if bytes.Contains(raw, []byte("multipart")) {
		t.Errorf("text-only message is multipart:\n%s", raw)
	}
}

// A body that does not end with a line break still ends with CRLF on
// the wire.
func TestMessageTextWithoutFinalNewline(t *testing.T) {
	m := paidMessage()
	m.HTML, m.Text = "", "付款完成"
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, raw)
}

// Names are quoted or encoded as they need, and read back the same.
func TestMessageAddresses(t *testing.T) {
	for _, from := range []string{
		"shop@shop.example",
		"<shop@shop.example>",
		"Shop <shop@shop.example>",
		`"Shop, Inc." <shop@shop.example>`,
		"新農商店 <shop@shop.example>",
		"=?utf-8?q?Caf=C3=A9?= <shop@shop.example>",
		"Café Zürich 新農 <shop.orders+tw@mail.shop.example>",
	} {
		m := paidMessage()
		m.From = from
		raw, err := m.Bytes()
		if err != nil {
			t.Errorf("From %q: %v", from, err)
			continue
		}
		checkMessage(t, raw, m)
	}
}

// The zero Date is the time of the call.
func TestMessageZeroDate(t *testing.T) {
	m := paidMessage()
	m.Date = time.Time{}
	before := time.Now().Truncate(time.Second)
	raw, err := m.Bytes()
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	date, err := msg.Header.Date()
	if err != nil || date.Before(before) || date.After(after) {
		t.Fatalf("Date = %v, %v; want between %v and %v", date, err, before, after)
	}
}

// A message that cannot go as it is gives no bytes and an error that
// matches ErrInvalid, is Permanent, and names the field.
func TestMessageInvalid(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*mail.Message)
		want   string // in the error
	}{
		{"Subject injects Bcc", func(m *mail.Message) { m.Subject = "Order paid\r\nBcc: everyone@example.com" }, "Subject contains a line break"},
		{"Subject with LF", func(m *mail.Message) { m.Subject = "Order paid\nBcc: everyone@example.com" }, "Subject contains a line break"},
		{"Subject with CR", func(m *mail.Message) { m.Subject = "Order paid\rBcc: everyone@example.com" }, "Subject contains a line break"},
		{"Subject with NUL", func(m *mail.Message) { m.Subject = "Order\x00paid" }, "Subject contains the control character"},
		{"Subject not UTF-8", func(m *mail.Message) { m.Subject = "Order \xff" }, "Subject is not valid UTF-8"},
		{"To injects Bcc", func(m *mail.Message) { m.To = "ming@example.com\r\nBcc: everyone@example.com" }, "To contains a line break"},
		{"From injects Bcc", func(m *mail.Message) { m.From = "Shop <shop@shop.example>\nBcc: everyone@example.com" }, "From contains a line break"},
		{"ID injects Bcc", func(m *mail.Message) { m.ID = "a@b>\r\nBcc: everyone@example.com" }, "ID contains a line break"},
		{"ID empty", func(m *mail.Message) { m.ID = "" }, "ID is empty"},
		{"ID in brackets", func(m *mail.Message) { m.ID = "<order-12@shop.example>" }, "is not a Message-ID"},
		{"ID without @", func(m *mail.Message) { m.ID = "order-12" }, "is not a Message-ID"},
		{"ID with space", func(m *mail.Message) { m.ID = "order 12@shop.example" }, "is not a Message-ID"},
		{"From empty", func(m *mail.Message) { m.From = "" }, "From is empty"},
		{"From not an address", func(m *mail.Message) { m.From = "the shop" }, "From \"the shop\" is not one e-mail address"},
		{"To two addresses", func(m *mail.Message) { m.To = "a@example.com, b@example.com" }, "is not one e-mail address"},
		{"To internationalized", func(m *mail.Message) { m.To = "王@例子.中国" }, "only plain ASCII addresses"},
		{"To quoted local part", func(m *mail.Message) { m.To = `"ming wang"@example.com` }, "only plain ASCII addresses"},
		{"Text empty", func(m *mail.Message) { m.Text = "" }, "Text is empty"},
		{"Text not UTF-8", func(m *mail.Message) { m.Text = "\xff\xfe" }, "Text is not valid UTF-8"},
		{"HTML not UTF-8", func(m *mail.Message) { m.HTML = "<p>\xff</p>" }, "HTML is not valid UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := paidMessage()
			c.change(&m)
			raw, err := m.Bytes()
			if err == nil || raw != nil {
				t.Fatalf("Bytes = %d bytes, %v; want an error", len(raw), err)
			}
			if !errors.Is(err, mail.ErrInvalid) || !mail.Permanent(err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q: want one matching ErrInvalid, Permanent, containing %q", err, c.want)
			}
		})
	}
}
