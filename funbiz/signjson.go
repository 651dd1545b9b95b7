package funbiz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// signField is one top-level scalar member of a message that takes part in
// the Sign: its name and its raw value text.
type signField struct {
	name  []byte
	value []byte
}

// The Sign rules where the published implementations disagree (PROTOCOL
// §5.3) are settled here the way the bank's own C# sample settles them,
// because the bank's server is .NET:
//
//   - null, "" and whitespace-only strings are left out;
//   - numbers, including 0, take part as their literal JSON text;
//   - booleans take part as "True" / "False".
//
// The client never sends any of the disputed values (validation refuses
// blank fields and zero amounts), so the choice only matters for messages
// built by hand.

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// scanTopLevel walks a JSON object and returns its top-level members that
// take part in the Sign, in name order. Nested objects and arrays are
// skipped whatever they contain. It does not allocate for messages whose
// names and values hold no escapes.
func scanTopLevel(msg []byte, out []signField) ([]signField, error) {
	s := scanner{b: bytes.TrimPrefix(msg, utf8BOM)}
	s.skipSpace()
	if !s.consume('{') {
		return nil, s.errorf("message is not a JSON object")
	}
	s.skipSpace()
	if s.consume('}') {
		return out, s.end()
	}
	for {
		s.skipSpace()
		name, err := s.str()
		if err != nil {
			return nil, err
		}
		s.skipSpace()
		if !s.consume(':') {
			return nil, s.errorf("want ':' after member name %q", name)
		}
		s.skipSpace()
		value, keep, err := s.value()
		if err != nil {
			return nil, err
		}
		for _, f := range out {
			if bytes.Equal(f.name, name) {
				return nil, fmt.Errorf("message has member %q twice", name)
			}
		}
		if keep {
			out = insertSorted(out, signField{name: name, value: value})
		}
		s.skipSpace()
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return out, s.end()
		}
		return nil, s.errorf("want ',' or '}' after member %q", name)
	}
}

// insertSorted keeps members ordered by name, ignoring case, with an
// ordinal tie-break (what .NET's OrdinalIgnoreCase comparer gives for the
// documented names). Messages have a dozen members, so insertion is cheapest.
func insertSorted(out []signField, f signField) []signField {
	out = append(out, f)
	i := len(out) - 1
	for i > 0 && compareNames(out[i-1].name, f.name) > 0 {
		out[i] = out[i-1]
		i--
	}
	out[i] = f
	return out
}

func compareNames(a, b []byte) int {
	if isASCII(a) && isASCII(b) {
		for i := 0; i < len(a) && i < len(b); i++ {
			ca, cb := upperASCII(a[i]), upperASCII(b[i])
			if ca != cb {
				return int(ca) - int(cb)
			}
		}
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return bytes.Compare(a, b)
	}
	if c := strings.Compare(strings.ToUpper(string(a)), strings.ToUpper(string(b))); c != 0 {
		return c
	}
	return bytes.Compare(a, b)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func appendSignString(dst []byte, members []signField) []byte {
	for i, f := range members {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, f.name...)
		dst = append(dst, '=')
		dst = append(dst, f.value...)
	}
	return dst
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("message is not valid JSON at byte %d: %s", s.i, fmt.Sprintf(format, args...))
}

func (s *scanner) end() error {
	s.skipSpace()
	if s.i != len(s.b) {
		return s.errorf("unexpected data after the object")
	}
	return nil
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) consume(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a JSON string and returns its decoded bytes: a sub-slice of the
// input when it has no escapes, a decoded copy otherwise.
func (s *scanner) str() ([]byte, error) {
	if !s.consume('"') {
		return nil, s.errorf("want a string")
	}
	start := s.i
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			if !escaped {
				return raw, nil
			}
			var v string
			if err := json.Unmarshal(s.b[start-1:s.i], &v); err != nil {
				return nil, s.errorf("bad string escape: %v", err)
			}
			return []byte(v), nil
		case c == '\\':
			escaped = true
			s.i += 2
		case c < 0x20:
			return nil, s.errorf("control character in string")
		default:
			s.i++
		}
	}
	return nil, s.errorf("unterminated string")
}

// value reads any JSON value. keep reports whether it takes part in the
// Sign, and value is its sign text.
func (s *scanner) value() (value []byte, keep bool, err error) {
	if s.i >= len(s.b) {
		return nil, false, s.errorf("want a value")
	}
	switch c := s.b[s.i]; {
	case c == '"':
		v, err := s.str()
		if err != nil {
			return nil, false, err
		}
		return v, len(bytes.TrimSpace(v)) > 0, nil
	case c == '{' || c == '[':
		return nil, false, s.skipNested()
	case c == '-' || ('0' <= c && c <= '9'):
		start := s.i
		for s.i < len(s.b) && isNumberByte(s.b[s.i]) {
			s.i++
		}
		num := s.b[start:s.i]
		if !json.Valid(num) {
			return nil, false, s.errorf("bad number %q", num)
		}
		return num, true, nil
	case s.literal("true"):
		return []byte("True"), true, nil
	case s.literal("false"):
		return []byte("False"), true, nil
	case s.literal("null"):
		return nil, false, nil
	default:
		return nil, false, s.errorf("unexpected character %q", c)
	}
}

func isNumberByte(c byte) bool {
	return ('0' <= c && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func (s *scanner) literal(word string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		s.i += len(word)
		return true
	}
	return false
}

// skipNested skips an object or array, checking only that brackets and
// strings are balanced; the full message is parsed again by encoding/json.
func (s *scanner) skipNested() error {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			if _, err := s.str(); err != nil {
				return err
			}
			continue
		case '{', '[':
			depth++
			if depth > 64 {
				return errors.New("message nests deeper than 64 levels")
			}
		case '}', ']':
			depth--
			if depth == 0 {
				s.i++
				return nil
			}
		}
		s.i++
	}
	return s.errorf("unterminated object or array")
}
