package outbox

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/shop"
)

// Content is what one message says: a subject, paragraphs of text, and at
// most one link, in one language.
type Content struct {
	Subject string
	Lines   []string
	// Link is shown after the lines: the order's page or a reset link.
	LinkText string
	Link     string
}

// Compose writes the message of kind m.Kind in lang, for customer c and,
// for a message about an order, order o (nil otherwise). base is the
// shop's public URL, for links.
func Compose(m *shop.Mail, lang string, c *shop.Customer, o *shop.Order, base string) (Content, error) {
	t := func(key string, args ...any) string { return locale.T(lang, key, args...) }
	money := func(v shop.Money) string { return locale.Money(lang, v) }
	base = strings.TrimRight(base, "/")
	var out Content
	if m.Kind == shop.MailPasswordReset {
		if m.Secret == "" {
			return out, fmt.Errorf("password reset mail %d has no token", m.ID)
		}
		out.Subject = t("mail.password_reset.subject")
		link := base + "/password/reset/" + url.PathEscape(m.Secret)
		out.Lines = []string{t("mail.password_reset.lead", c.Email), t("mail.password_reset.ignore")}
		out.LinkText, out.Link = t("mail.password_reset.link", link), link
		return out, nil
	}
	if o == nil {
		return out, fmt.Errorf("%s mail %d names no order", m.Kind, m.ID)
	}
	amount := m.Amount
	if amount == 0 {
		amount = o.Amount
	}
	switch m.Kind {
	case shop.MailOrderReceived:
		out.Subject = t("mail.order_received.subject", o.No)
		out.Lines = []string{t("mail.order_received.lead", o.No, money(o.Amount))}
		if o.PayType == shop.PayATM && o.Bank.AtmPayNo != "" {
			out.Lines = append(out.Lines, t("mail.order_received.atm", money(o.Amount), groupDigits(o.Bank.AtmPayNo, 4), dashedDate(o.Bank.ExpireDate)))
		} else if o.PayType == shop.PayCard {
			out.Lines = append(out.Lines, t("mail.order_received.card"))
		}
	case shop.MailPaid:
		out.Subject = t("mail.paid.subject", o.No)
		out.Lines = []string{t("mail.paid.lead", money(amount), o.No)}
	case shop.MailFailed:
		out.Subject = t("mail.failed.subject", o.No)
		out.Lines = []string{t("mail.failed.lead", money(amount), o.No)}
	case shop.MailExpired:
		out.Subject = t("mail.expired.subject", o.No)
		out.Lines = []string{t("mail.expired.lead", o.No, dashedDate(o.Bank.ExpireDate))}
	case shop.MailShipped:
		out.Subject = t("mail.shipped.subject", o.No)
		out.Lines = []string{t("mail.shipped.lead", o.No, o.Shipment.Carrier, o.Shipment.Tracking)}
		if !o.ShipTo.IsZero() {
			st := o.ShipTo
			out.Lines = append(out.Lines, t("mail.shipped.to", st.Name, st.PostalCode+" "+st.City+st.District+st.Street))
		}
	case shop.MailRefunded:
		out.Subject = t("mail.refunded.subject", money(amount), o.No)
		out.Lines = []string{t("mail.refunded.lead", money(amount), o.No)}
	default:
		return out, fmt.Errorf("mail %d: unknown kind %q", m.ID, m.Kind)
	}
	link := base + "/orders/" + url.PathEscape(o.No)
	out.LinkText, out.Link = t("mail.order_link", link), link
	return out, nil
}

// Text is the message's plain text.
func (c Content) Text(lang string) string {
	var b strings.Builder
	b.WriteString(locale.T(lang, "mail.hello") + "\n\n")
	for _, l := range c.Lines {
		b.WriteString(l + "\n\n")
	}
	if c.LinkText != "" {
		b.WriteString(c.LinkText + "\n\n")
	}
	b.WriteString(locale.T(lang, "mail.signature") + "\n\n-- \n" + locale.T(lang, "mail.footer") + "\n")
	return b.String()
}

var page = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #212529; max-width: 36em">
<p>{{.Hello}}</p>
{{- range .Lines}}
<p>{{.}}</p>
{{- end}}
{{- if .Link}}
<p><a href="{{.Link}}" style="color: #0a58ca">{{.Link}}</a></p>
{{- end}}
<p>{{.Signature}}</p>
<p style="color: #6c757d; font-size: small">{{.Footer}}</p>
</body></html>
`))

// HTML is the message as a simple HTML page; every text is escaped.
func (c Content) HTML(lang string) (string, error) {
	var b bytes.Buffer
	err := page.Execute(&b, map[string]any{
		"Lang": lang, "Subject": c.Subject, "Hello": locale.T(lang, "mail.hello"), "Lines": c.Lines,
		"Link": c.Link, "Signature": locale.T(lang, "mail.signature"), "Footer": locale.T(lang, "mail.footer"),
	})
	return b.String(), err
}

// groupDigits writes an account number in groups of n digits, as the
// order page does.
func groupDigits(s string, n int) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%n == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// dashedDate writes the bank's yyyyMMdd as yyyy-MM-dd.
func dashedDate(d string) string {
	if len(d) != 8 {
		return d
	}
	return d[:4] + "-" + d[4:6] + "-" + d[6:]
}
