package funbiz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// member is one member of a JSON object as the scanner sees it.
type member struct {
	name []byte
	// value is the decoded text of a string, the literal of a number, or
	// "True"/"False" for a boolean: what the Sign hashes.
	value []byte
	// raw is the whole value text, for nested objects and arrays.
	raw []byte
	// kind is '"' string, '0' number, 'b' boolean, 'n' null, '{' object or
	// '[' array.
	kind byte
}

// signs reports whether a member takes part in the Sign.
func (m *member) signs() bool {
	switch m.kind {
	case '0', 'b':
		return true
	case '"':
		return !isBlank(m.value)
	}
	return false
}

// isBlank reports whether b is empty or only white space, the values the
// bank's C# sample leaves out of the Sign (string.IsNullOrWhiteSpace).
func isBlank(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			continue
		}
		if c < utf8.RuneSelf {
			return false
		}
		return len(bytes.TrimSpace(b)) == 0
	}
	return true
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

// scanMembers walks a JSON object and returns its members in document
// order. It does not allocate for objects whose names and strings hold no
// escapes. A name given twice is an error: the two readers of a message
// (ours and the bank's) might otherwise disagree on its value.
func scanMembers(msg []byte, out []member) ([]member, error) {
	s := scanner{b: trimBOM(msg)}
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
		start := s.i
		value, kind, err := s.value()
		if err != nil {
			return nil, err
		}
		for i := range out {
			if bytes.Equal(out[i].name, name) {
				return nil, fmt.Errorf("message has member %q twice", name)
			}
		}
		out = append(out, member{name: name, value: value, raw: s.b[start:s.i], kind: kind})
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

// signOrder returns the indexes of the members that take part in the
// Sign, ordered by name ignoring case, with an ordinal tie-break (what
// .NET's OrdinalIgnoreCase comparer gives for the documented names).
// Messages have a dozen members, so insertion sort is cheapest; indexes
// rather than pointers keep the members on the caller's stack.
func signOrder(members []member, out []int) []int {
	for i := range members {
		if !members[i].signs() {
			continue
		}
		out = append(out, i)
		j := len(out) - 1
		for j > 0 && compareNames(members[out[j-1]].name, members[i].name) > 0 {
			out[j] = out[j-1]
			j--
		}
		out[j] = i
	}
	return out
}

func compareNames(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca >= utf8.RuneSelf || cb >= utf8.RuneSelf {
			return compareFolded(a, b)
		}
		if ca, cb = upperASCII(ca), upperASCII(cb); ca != cb {
			return int(ca) - int(cb)
		}
	}
	if len(a) != len(b) {
		if !isASCII(a) || !isASCII(b) {
			return compareFolded(a, b)
		}
		return len(a) - len(b)
	}
	return bytes.Compare(a, b)
}

func compareFolded(a, b []byte) int {
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

func appendSignString(dst []byte, members []member) []byte {
	var buf [24]int
	for i, idx := range signOrder(members, buf[:0]) {
		f := &members[idx]
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
	// Fast path: the string is plain when no backslash precedes its
	// closing quote. Raw control characters are let through here: the
	// message is read as sent, and the Sign is over exactly those bytes.
	// Names and most values are short, and are looked through byte by
	// byte; past 32 bytes (the Message's hex) two vectorised searches
	// take over, which cost more than a short loop to start.
	i, short := start, min(len(s.b), start+32)
	for ; i < short; i++ {
		if c := s.b[i]; c == '"' {
			s.i = i + 1
			return s.b[start:i], nil
		} else if c == '\\' {
			break
		}
	}
	if i == short {
		if q := bytes.IndexByte(s.b[i:], '"'); q >= 0 && bytes.IndexByte(s.b[i:i+q], '\\') < 0 {
			s.i = i + q + 1
			return s.b[start : i+q], nil
		}
	}
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			if !escaped {
				return s.b[start : s.i-1], nil
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

// value reads any JSON value and returns its sign text and kind.
func (s *scanner) value() (value []byte, kind byte, err error) {
	if s.i >= len(s.b) {
		return nil, 0, s.errorf("want a value")
	}
	switch c := s.b[s.i]; {
	case c == '"':
		v, err := s.str()
		return v, '"', err
	case c == '{' || c == '[':
		return nil, c, s.skipNested()
	case c == '-' || ('0' <= c && c <= '9'):
		start := s.i
		for s.i < len(s.b) && isNumberByte(s.b[s.i]) {
			s.i++
		}
		num := s.b[start:s.i]
		if !validNumber(num) {
			return nil, 0, s.errorf("bad number %q", num)
		}
		return num, '0', nil
	case s.literal("true"):
		return []byte("True"), 'b', nil
	case s.literal("false"):
		return []byte("False"), 'b', nil
	case s.literal("null"):
		return nil, 'n', nil
	default:
		return nil, 0, s.errorf("unexpected character %q", c)
	}
}

// validNumber checks the JSON number grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(b)
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

// skipNested skips an object or array, checking that brackets match and
// strings are well formed; members inside are checked again when decoded.
func (s *scanner) skipNested() error {
	var stack [64]byte
	depth := 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			if _, err := s.str(); err != nil {
				return err
			}
			continue
		case '{', '[':
			if depth == len(stack) {
				return errors.New("message nests deeper than 64 levels")
			}
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			stack[depth] = closer
			depth++
		case '}', ']':
			if depth == 0 || stack[depth-1] != c {
				return s.errorf("mismatched %q", c)
			}
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
