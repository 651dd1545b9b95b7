package funbiz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The wire types of this package encode and decode themselves with
// hand-written code: each message type has an appendJSON method and each
// answer type a decodeMember method, beside the type in its service's
// file; the client writes and reads the envelope's JSON by hand too.
// Anything else (a map, a caller's struct) goes through encoding/json.
// codec_test.go checks every wire type against encoding/json.
//
// Why, by measurement. BenchmarkRoundOrderCreate and
// BenchmarkRoundOrderPayQuery run the client's whole round without the
// network: typed parameters to the request body, the bank's answer body to
// the typed result, envelope JSON included. Each design was run five
// times, interleaved, with go test -bench -benchmem on a shared 2-core
// machine (AMD EPYC, Go 1.26); min / median / max in µs, and allocations:
//
//	design                                     OrderCreate          OrderPayQuery        allocs
//	reflection codecs, encoding/json envelope  31.2 / 32.6 / 44.4   20.3 / 29.9 / 38.9   29, 31
//	encoding/json after the Sign, envelope too 35.4 / 39.2 / 48.7   29.7 / 33.4 / 43.3   37, 39
//	reflection codecs, hand-written envelope   13.0 / 14.2 / 65.7    8.1 / 10.6 / 16.4   12, 14
//	hand-written codecs and envelope (this)    11.2 / 13.0 / 29.9    9.4 / 12.1 / 19.1    7,  7
//
// The envelope was most of the cost: encoding/json takes about 11 µs and
// 11 allocations to read an answer's envelope and 4 µs to write a
// request's, the code here 0.4 µs each without allocating. For the
// messages themselves (BenchmarkCodecs), rendering an OrderCreate takes
// 0.36 / 0.49 / 1.19 µs here against 1.00 / 1.15 / 1.72 with encoding/json,
// and decoding its answer 1.5 / 2.4 / 3.7 µs and 4 allocations against
// 6.8 / 9.7 / 11.0 µs and 15. Between the reflection codecs and these the
// rounds differ by less than the machine's noise; timed against each
// other in one process by thread CPU time, the reflection codecs took
// about a third longer (render 1.2 µs against 0.9 with validation, decode
// 1.0 against 0.7) and made 9 to 11 allocations per answer where these
// make 3. They did not pay for themselves, and only hand-written codecs
// keep a round within 10 allocations.
//
// What is left is mostly cryptography: the AES-CBC, SHA-256 and hex of a
// round take 3.8 / 4.5 / 15.3 µs with the standard library alone on the
// same machine (BenchmarkRoundCryptoFloor).
//
// The decoder reads names without regard to ASCII case, null as the zero
// value, a number where a string is expected as its text, and an amount
// from a number or a string holding one, as the bank's answers need.

// jsonAppender is a message that renders itself as the bank renders JSON:
// compact, raw UTF-8, no HTML escaping, members in declaration order.
type jsonAppender interface {
	appendJSON(dst []byte) []byte
}

// appendMessage renders v into dst: by its own appendJSON, or else by
// encoding/json without HTML escaping and without the trailing newline.
func appendMessage(dst []byte, v any) ([]byte, error) {
	if a, ok := v.(jsonAppender); ok {
		return a.appendJSON(dst), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// appendName appends a member name and its colon, after a comma unless
// the member is the object's first; start is len(dst) just after the
// object's '{'. Names are the package's own ASCII names, which need no
// escaping.
func appendName(dst []byte, start int, name string) []byte {
	if len(dst) > start {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

// appendStr appends a string member.
func appendStr(dst []byte, start int, name, v string) []byte {
	return appendJSONString(appendName(dst, start, name), v, false)
}

// appendOptStr appends a string member unless it is empty (omitempty).
func appendOptStr(dst []byte, start int, name, v string) []byte {
	if v == "" {
		return dst
	}
	return appendStr(dst, start, name, v)
}

// appendInt appends a number member.
func appendInt(dst []byte, start int, name string, v int64) []byte {
	return strconv.AppendInt(appendName(dst, start, name), v, 10)
}

// appendOptInt appends a number member unless it is 0 (omitempty).
func appendOptInt(dst []byte, start int, name string, v int64) []byte {
	if v == 0 {
		return dst
	}
	return appendInt(dst, start, name, v)
}

// appendJSONString quotes s as encoding/json does: quote, backslash and
// control characters escaped, U+2028 and U+2029 escaped, invalid UTF-8
// replaced by U+FFFD, and, when html is set, <, > and & escaped as well;
// everything else raw.
func appendJSONString(dst []byte, s string, html bool) []byte {
	dst = append(dst, '"')
	safe := &plainSafe
	if html {
		safe = &htmlSafe
	}
	start := 0
	for i := 0; i < len(s); {
		// Runs of bytes that go out as they are, by table: most strings
		// (nonces, numbers, URLs) are nothing else.
		for i < len(s) && safe[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!html || (c != '<' && c != '>' && c != '&')) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', lowerHex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const lowerHex = "0123456789abcdef"

// plainSafe and htmlSafe mark the bytes appendJSONString copies as they
// are: printable ASCII but the quote and the backslash, and for htmlSafe
// not <, > and & either. Bytes of multi-byte UTF-8 are not marked: they
// are checked rune by rune.
var plainSafe, htmlSafe = func() (plain, html [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		if c == '"' || c == '\\' {
			continue
		}
		plain[c] = true
		html[c] = c != '<' && c != '>' && c != '&'
	}
	return plain, html
}()

// wireAnswer is the wire form of a service's answer.
type wireAnswer interface {
	memberDecoder
	status() (Status, string)
}

// memberDecoder is a wire type that takes its fields from the members of
// a JSON object, one member at a time; members it does not know are
// ignored. The member comes by value: a pointer would make every member
// buffer escape to the heap through the interface call.
type memberDecoder interface {
	decodeMember(d *decoder, m member)
}

// decoder reads the members of an opened message into wire types. It
// never keeps a slice of the message, whose array is reused: every string
// it returns is a copy. The copies are cut from one string of the whole
// message, made on first use, so decoding an answer costs one allocation
// for all its text (a string that held escapes is the exception and gets
// its own).
//
// A member of the wrong kind records the first error in err and decoding
// goes on; the caller checks err once at the end.
type decoder struct {
	msg  []byte
	text string
	err  error
}

// is reports whether a member's name is name, without regard to ASCII
// case, as encoding/json and the bank's .NET both match names.
func (m *member) is(name string) bool {
	if len(m.name) != len(name) {
		return false
	}
	for i := range len(name) {
		if c := m.name[i]; c != name[i] && upperASCII(c) != upperASCII(name[i]) {
			return false
		}
	}
	return true
}

func (d *decoder) fail(m member, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("member %s: %s", m.name, fmt.Sprintf(format, args...))
	}
}

// share returns b as a string, cut from the one copy of the message when
// b lies inside the message.
func (d *decoder) share(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	// A slice of msg has msg's capacity less its offset; the address check
	// tells a slice of msg from a copy that merely has a fitting capacity.
	off := cap(d.msg) - cap(b)
	if off < 0 || off+len(b) > len(d.msg) || &d.msg[off] != &b[0] {
		return string(b)
	}
	if d.text == "" {
		d.text = string(d.msg)
	}
	return d.text[off : off+len(b)]
}

// str reads a string member. A number is taken as its literal text (the
// bank sends some dates as numbers) and null as "".
func (d *decoder) str(m member) string {
	switch m.kind {
	case '"', '0':
		return d.share(m.value)
	case 'n':
		return ""
	}
	d.fail(m, "want a string, got %s", kindName(m.kind))
	return ""
}

// amount reads an amount in the wire unit: a JSON number or a string of
// one (TSResultContent sends a string). null and "" read as 0.
func (d *decoder) amount(m member) cents {
	switch m.kind {
	case '"', '0':
		c, err := parseCents(m.value)
		if err != nil {
			d.fail(m, "%v", err)
		}
		return c
	case 'n':
		return 0
	}
	d.fail(m, "want an amount, got %s", kindName(m.kind))
	return 0
}

// object decodes an object member into v and reports whether there was
// one: null gives false and leaves v alone.
func (d *decoder) object(m member, v memberDecoder) bool {
	switch m.kind {
	case 'n':
		return false
	case '{':
	default:
		d.fail(m, "want an object, got %s", kindName(m.kind))
		return false
	}
	var buf [24]member
	members, err := scanMembers(m.raw, buf[:0])
	if err != nil {
		d.fail(m, "%v", err)
		return false
	}
	before := d.err
	for _, f := range members {
		v.decodeMember(d, f)
	}
	if d.err != nil && before == nil {
		d.err = fmt.Errorf("member %s: %w", m.name, d.err)
	}
	return true
}

// array calls elem with each element of an array member, which must be
// objects; elem decodes it with object. null calls nothing.
func (d *decoder) array(m member, elem func(e member)) {
	switch m.kind {
	case 'n':
		return
	case '[':
	default:
		d.fail(m, "want an array, got %s", kindName(m.kind))
		return
	}
	s := scanner{b: m.raw}
	s.consume('[')
	s.skipSpace()
	if s.consume(']') {
		return
	}
	for {
		s.skipSpace()
		start := s.i
		if s.i >= len(s.b) || s.b[s.i] != '{' {
			d.fail(m, "want an object in the array")
			return
		}
		if err := s.skipNested(); err != nil {
			d.fail(m, "%v", err)
			return
		}
		elem(member{name: m.name, raw: s.b[start:s.i], kind: '{'})
		s.skipSpace()
		if s.consume(',') {
			continue
		}
		if !s.consume(']') {
			d.fail(m, "want ',' or ']' in the array")
		}
		return
	}
}

func kindName(k byte) string {
	switch k {
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 'b':
		return "a boolean"
	}
	return "null"
}

// trimBOM drops a leading UTF-8 byte order mark, which some .NET encoders
// write.
func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, utf8BOM) }
