package funbiz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// The bank's answers are decoded by a small decoder of our own rather than
// encoding/json: the Sign check already walks the message, and decoding
// from that walk halves the cost of opening an answer (see the
// benchmarks). It handles exactly the shapes of the wire types in this
// package: strings (and named string types), amounts (cents), text that
// may be a number or a string (jsonText), pointers to structs and slices
// of structs. Unknown members are ignored, as encoding/json does; member
// names match exactly first, then without regard to case.

type fieldInfo struct {
	name  string
	index int
}

type structInfo struct {
	fields []fieldInfo
}

func (si *structInfo) lookup(name []byte) (int, bool) {
	for _, f := range si.fields {
		if f.name == string(name) {
			return f.index, true
		}
	}
	for _, f := range si.fields {
		if strings.EqualFold(f.name, string(name)) {
			return f.index, true
		}
	}
	return 0, false
}

var structCache sync.Map // reflect.Type → *structInfo

func infoFor(t reflect.Type) *structInfo {
	if si, ok := structCache.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			if n, _, _ := strings.Cut(tag, ","); n == "-" {
				continue
			} else if n != "" {
				name = n
			}
		}
		si.fields = append(si.fields, fieldInfo{name: name, index: i})
	}
	structCache.Store(t, si)
	return si
}

var (
	centsType    = reflect.TypeFor[cents]()
	jsonTextType = reflect.TypeFor[jsonText]()
)

// decodeMembers fills the struct v points to from already scanned
// top-level members.
func decodeMembers(members []member, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decode target must be a pointer to a struct, got %T", v)
	}
	return setMembers(members, rv.Elem())
}

func setMembers(members []member, sv reflect.Value) error {
	si := infoFor(sv.Type())
	for i := range members {
		m := &members[i]
		idx, ok := si.lookup(m.name)
		if !ok {
			continue
		}
		if err := setValue(sv.Field(idx), m.kind, m.value, m.raw); err != nil {
			return fmt.Errorf("member %s: %w", m.name, err)
		}
	}
	return nil
}

// setValue stores one JSON value. text is the decoded string for strings
// and the literal for numbers; raw is the whole value text.
func setValue(fv reflect.Value, kind byte, text, raw []byte) error {
	if kind == 'n' { // null leaves the zero value
		return nil
	}
	switch t := fv.Type(); {
	case t == centsType:
		var c cents
		if err := c.UnmarshalJSON(text); err != nil {
			return err
		}
		fv.SetInt(int64(c))
	case t == jsonTextType:
		fv.SetString(string(text))
	case t.Kind() == reflect.String:
		if kind != '"' && kind != '0' {
			return fmt.Errorf("want a string, got %s", kindName(kind))
		}
		fv.SetString(string(text))
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		var c cents
		if err := c.UnmarshalJSON(text); err != nil {
			return err
		}
		fv.SetInt(int64(c))
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		if kind != '{' {
			return fmt.Errorf("want an object, got %s", kindName(kind))
		}
		p := reflect.New(t.Elem())
		if err := decodeObject(raw, p.Elem()); err != nil {
			return err
		}
		fv.Set(p)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		if kind != '[' {
			return fmt.Errorf("want an array, got %s", kindName(kind))
		}
		return decodeArray(raw, fv)
	default:
		// Not a wire shape this package uses; fall back to encoding/json.
		return json.Unmarshal(raw, fv.Addr().Interface())
	}
	return nil
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

func decodeObject(raw []byte, sv reflect.Value) error {
	var buf [24]member
	members, err := scanMembers(raw, buf[:0])
	if err != nil {
		return err
	}
	return setMembers(members, sv)
}

func decodeArray(raw []byte, fv reflect.Value) error {
	s := scanner{b: raw}
	s.skipSpace()
	if !s.consume('[') {
		return s.errorf("want an array")
	}
	elem := fv.Type().Elem()
	out := reflect.MakeSlice(fv.Type(), 0, 4)
	s.skipSpace()
	if s.consume(']') {
		fv.Set(out)
		return nil
	}
	for {
		s.skipSpace()
		start := s.i
		if s.i >= len(s.b) || s.b[s.i] != '{' {
			return s.errorf("want an object in the array")
		}
		if err := s.skipNested(); err != nil {
			return err
		}
		ev := reflect.New(elem).Elem()
		if err := decodeObject(s.b[start:s.i], ev); err != nil {
			return err
		}
		out = reflect.Append(out, ev)
		s.skipSpace()
		if s.consume(',') {
			continue
		}
		if s.consume(']') {
			fv.Set(out)
			return nil
		}
		return s.errorf("want ',' or ']' in the array")
	}
}

// trimBOM drops a leading UTF-8 byte order mark, which some .NET encoders
// write.
func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, utf8BOM) }
