package main

import (
	"io"
	"strings"
	"testing"
)

// SINOPAY_PRIMARY_LANG names products to the bank (zh-TW by default);
// SINOPAY_SHOP_CONTACT is one line for the pages' footer.
func TestServeConfigLangAndContact(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	c, err := readServeConfig(nil, io.Discard)
	if err != nil || c.PrimaryLang != "zh-TW" || c.Contact != "" {
		t.Fatalf("defaults: %q %q %v", c.PrimaryLang, c.Contact, err)
	}
	t.Setenv("SINOPAY_PRIMARY_LANG", "en")
	t.Setenv("SINOPAY_SHOP_CONTACT", "  help@kummy.example · 02-1234-5678 (10:00–18:00)  ")
	if c, err = readServeConfig(nil, io.Discard); err != nil || c.PrimaryLang != "en" || c.Contact != "help@kummy.example · 02-1234-5678 (10:00–18:00)" {
		t.Fatalf("set: %q %q %v", c.PrimaryLang, c.Contact, err)
	}
	for name, v := range map[string]string{
		"SINOPAY_PRIMARY_LANG": "fr",
		"SINOPAY_SHOP_CONTACT": "line one\nline two",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, v)
			if _, err := readServeConfig(nil, io.Discard); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: %v", name, v, err)
			}
		})
	}
	t.Setenv("SINOPAY_SHOP_CONTACT", strings.Repeat("電", 201))
	if _, err := readServeConfig(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "200 characters") {
		t.Errorf("a contact of 201 characters: %v", err)
	}
}

// SINOPAY_SMTP_URL sends the shop's e-mail through a server, and needs
// SINOPAY_MAIL_FROM; a bad URL or sender stops start-up naming the
// setting, and the password is never in the message.
func TestServeConfigMail(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	c, err := readServeConfig(nil, io.Discard)
	if err != nil || c.SMTP != nil || c.MailFrom != "" {
		t.Fatalf("defaults: %v %q %v", c.SMTP, c.MailFrom, err)
	}
	t.Setenv("SINOPAY_SMTP_URL", "smtps://shop:s3cret@mail.example:465")
	if _, err := readServeConfig(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "SINOPAY_MAIL_FROM") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("SMTP without a sender: %v", err)
	}
	t.Setenv("SINOPAY_MAIL_FROM", "KummyShop <shop@kummy.example>")
	c, err = readServeConfig(nil, io.Discard)
	if err != nil || c.SMTP == nil || c.SMTP.String() != "smtps://shop@mail.example:465" || c.MailFrom != "KummyShop <shop@kummy.example>" {
		t.Fatalf("set: %v %q %v", c.SMTP, c.MailFrom, err)
	}
	for name, v := range map[string]string{
		"SINOPAY_SMTP_URL":  "http://shop:s3cret@mail.example",
		"SINOPAY_MAIL_FROM": "not an address",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, v)
			if _, err := readServeConfig(nil, io.Discard); err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%s=%q: %v", name, v, err)
			}
		})
	}
}
