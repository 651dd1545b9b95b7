package sandbox

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sinopay/sinopay/funbiz"
)

// fields is a decrypted message read member by member, so that every bad
// member can be refused by name (E0201 missing, E0202 malformed). Names
// match case-insensitively, as the bank's .NET deserialiser does.
type fields struct {
	raw   map[string]json.RawMessage
	lower map[string]string
	// prefix names the enclosing object in messages ("CardParam.").
	prefix string
}

func parseFields(b []byte, prefix string) (fields, *refusal) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF}), &raw); err != nil || raw == nil {
		name := strings.TrimSuffix(prefix, ".")
		if name == "" {
			return fields{}, refuse(CodeUndecryptable, "Message decrypts, but not to a JSON object")
		}
		return fields{}, refuse(CodeBadField, "%s must be a JSON object", name)
	}
	f := fields{raw: raw, lower: make(map[string]string, len(raw)), prefix: prefix}
	for k := range raw {
		f.lower[strings.ToLower(k)] = k
	}
	return f, nil
}

func (f fields) get(name string) (json.RawMessage, bool) {
	if v, ok := f.raw[name]; ok {
		return v, !isNull(v)
	}
	if k, ok := f.lower[strings.ToLower(name)]; ok {
		v := f.raw[k]
		return v, !isNull(v)
	}
	return nil, false
}

func isNull(v json.RawMessage) bool { return len(v) == 0 || string(bytes.TrimSpace(v)) == "null" }

// str reads a string member; absent, null and "" all read as "". A number
// is taken as its text, because the bank's own samples sometimes send
// numbers as strings and the other way round.
func (f fields) str(name string) (string, *refusal) {
	v, ok := f.get(name)
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err == nil {
		return n.String(), nil
	}
	return "", refuse(CodeBadField, "%s%s must be a string", f.prefix, name)
}

// int reads a whole number given as a JSON number or a string of digits
// (PROTOCOL §5.3: "10000" works as well as 10000). set is false when the
// member is absent, null or "".
func (f fields) int(name string) (n int64, set bool, r *refusal) {
	v, ok := f.get(name)
	if !ok {
		return 0, false, nil
	}
	text := string(bytes.TrimSpace(v))
	if strings.HasPrefix(text, `"`) {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, false, refuse(CodeBadField, "%s%s must be a whole number", f.prefix, name)
		}
		if s == "" {
			return 0, false, nil
		}
		text = s
	}
	for i := 0; i < len(text); i++ {
		if text[i] < '0' || text[i] > '9' || (i == 0 && text[0] == '0' && len(text) > 1) {
			return 0, false, refuse(CodeBadField, "%s%s must be a whole number without sign, decimals or leading zeros, got %s", f.prefix, name, clip(text, 20))
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || text == "" {
		return 0, false, refuse(CodeBadField, "%s%s must be a whole number, got %s", f.prefix, name, clip(text, 20))
	}
	return n, true, nil
}

// obj reads a nested object; absent reads as an empty object.
func (f fields) obj(name string) (fields, *refusal) {
	v, ok := f.get(name)
	if !ok {
		return fields{raw: map[string]json.RawMessage{}, lower: map[string]string{}, prefix: name + "."}, nil
	}
	return parseFields(v, name+".")
}

// required refuses with E0201 when s is empty.
func (f fields) required(name, s string) *refusal {
	if s == "" {
		return refuse(CodeMissingField, "%s%s is required", f.prefix, name)
	}
	return nil
}

// text checks a free-text member against PROTOCOL §10: at most max UTF-8
// bytes (the stricter reading of the manual), none of ' " %, no control
// characters, no leading or trailing blanks (the Sign rule forbids them).
func (f fields) text(name, s string, max int) *refusal {
	if s == "" {
		return nil
	}
	switch {
	case !utf8.ValidString(s):
		return refuse(CodeBadField, "%s%s is not valid UTF-8", f.prefix, name)
	case len(s) > max:
		return refuse(CodeBadField, "%s%s is %d bytes of UTF-8, at most %d", f.prefix, name, len(s), max)
	case strings.ContainsAny(s, `'"%`):
		return refuse(CodeBadField, `%s%s must not contain ' " or %%`, f.prefix, name)
	case strings.TrimSpace(s) != s:
		return refuse(CodeBadField, "%s%s must not start or end with a blank", f.prefix, name)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return refuse(CodeBadField, "%s%s must not contain control characters", f.prefix, name)
		}
	}
	return nil
}

func (f fields) url(name, s string) *refusal {
	if r := f.text(name, s, funbiz.MaxURL); r != nil || s == "" {
		return r
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t") {
		return refuse(CodeBadField, "%s%s must be an absolute http or https URL", f.prefix, name)
	}
	return nil
}

func (f fields) date(name, s string) *refusal {
	if s == "" {
		return nil
	}
	if len(s) != 8 {
		return refuse(CodeBadField, "%s%s must be a date as yyyyMMdd, got %s", f.prefix, name, clip(s, 20))
	}
	if _, err := funbiz.ParseDate(s); err != nil {
		return refuse(CodeBadField, "%s%s must be a real date as yyyyMMdd, got %s", f.prefix, name, clip(s, 20))
	}
	return nil
}

func (f fields) dateTime(name, s string) *refusal {
	if s == "" {
		return nil
	}
	if len(s) != 12 {
		return refuse(CodeBadField, "%s%s must be a time as yyyyMMddHHmm, got %s", f.prefix, name, clip(s, 20))
	}
	if _, err := funbiz.ParseDateTime(s); err != nil {
		return refuse(CodeBadField, "%s%s must be a real time as yyyyMMddHHmm, got %s", f.prefix, name, clip(s, 20))
	}
	return nil
}

// clip keeps echoed input short, so a refusal never carries a megabyte.
func clip(s string, n int) string {
	if len(s) <= n {
		return strconv.Quote(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strconv.Quote(s[:n]) + "…"
}
