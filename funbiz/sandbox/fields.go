package sandbox

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
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
	// raw holds the members in document order, a name given twice once
	// (its last value, as encoding/json reads it); nil when the message
	// was not read. A dozen members are found faster in a slice than in
	// a map, and without building one.
	raw []rawMember
	// prefix names the enclosing object in messages ("CardParam.").
	prefix string
}

// rawMember is one member of a message and its value's JSON text.
type rawMember struct {
	name string
	v    json.RawMessage
}

func parseFields(b []byte, prefix string) (fields, *refusal) {
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	raw, ok := splitObject(b)
	if !ok {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil || m == nil {
			name := strings.TrimSuffix(prefix, ".")
			if name == "" {
				return fields{}, refuse(CodeUndecryptable, "Message decrypts, but not to a JSON object")
			}
			return fields{}, refuse(CodeBadField, "%s must be a JSON object", name)
		}
		raw = make([]rawMember, 0, len(m))
		for k, v := range m {
			raw = append(raw, rawMember{k, v})
		}
	}
	return fields{raw: raw, prefix: prefix}, nil
}

// splitObject reads a JSON object into its members' raw values as
// encoding/json's Unmarshal into a map[string]json.RawMessage does (the
// last of a name winning), without reflection or copies: the values are
// slices of b. ok is false for anything but a valid object whose names
// are plain ASCII without escapes, which is left to encoding/json.
func splitObject(b []byte) ([]rawMember, bool) {
	if !json.Valid(b) {
		return nil, false
	}
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	out := make([]rawMember, 0, 16)
	// The names are cut from one copy of the text: one allocation for
	// them all.
	text := string(b)
	i = skipSpace(b, i+1)
	if b[i] == '}' {
		return out, true
	}
	for {
		// b is valid JSON: a name follows, then ':', a value, and ',' or '}'.
		end := stringEnd(b, i)
		name, key := b[i+1:end-1], text[i+1:end-1]
		for _, c := range name {
			if c < 0x20 || c >= utf8.RuneSelf || c == '\\' {
				return nil, false
			}
		}
		i = skipSpace(b, skipSpace(b, end)+1)
		start := i
		i = valueEnd(b, i)
		v := b[start:i:i]
		if k := slices.IndexFunc(out, func(m rawMember) bool { return m.name == key }); k >= 0 {
			out[k].v = v
		} else {
			out = append(out, rawMember{key, v})
		}
		i = skipSpace(b, i)
		if b[i] == '}' {
			return out, true
		}
		i = skipSpace(b, i+1)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string that starts at b[i],
// in valid JSON.
func stringEnd(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// valueEnd returns the index just past the value that starts at b[i], in
// valid JSON.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}

func (f fields) get(name string) (json.RawMessage, bool) {
	for _, m := range f.raw {
		if m.name == name {
			return m.v, !isNull(m.v)
		}
	}
	for _, m := range f.raw {
		if sameLower(m.name, name) {
			return m.v, !isNull(m.v)
		}
	}
	return nil, false
}

// sameLower reports whether strings.ToLower gives a and b alike, without
// lowering them when they are ASCII.
func sameLower(a, b string) bool {
	if len(a) == len(b) {
		ascii := true
		for i := range len(a) {
			ca, cb := a[i], b[i]
			if ca >= utf8.RuneSelf || cb >= utf8.RuneSelf {
				ascii = false
				break
			}
			if 'A' <= ca && ca <= 'Z' {
				ca += 'a' - 'A'
			}
			if 'A' <= cb && cb <= 'Z' {
				cb += 'a' - 'A'
			}
			if ca != cb {
				return false
			}
		}
		if ascii {
			return true
		}
	} else if isASCII(a) && isASCII(b) {
		return false
	}
	return strings.ToLower(a) == strings.ToLower(b)
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isNull(v json.RawMessage) bool { return len(v) == 0 || string(bytes.TrimSpace(v)) == "null" }

// plainString returns the text of a JSON string that needs no decoding:
// no escapes, valid UTF-8 (v is a valid JSON value, so it holds no control
// characters). ok is false for any other value.
func plainString(v json.RawMessage) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	in := v[1 : len(v)-1]
	if bytes.IndexByte(in, '\\') >= 0 || !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

// str reads a string member; absent, null and "" all read as "". A number
// is taken as its text, because the bank's own samples sometimes send
// numbers as strings and the other way round.
func (f fields) str(name string) (string, *refusal) {
	v, ok := f.get(name)
	if !ok {
		return "", nil
	}
	if s, ok := plainString(v); ok {
		return s, nil
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
		return fields{raw: []rawMember{}, prefix: name + "."}, nil
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
