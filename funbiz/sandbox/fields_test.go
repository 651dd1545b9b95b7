package sandbox

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/url"
	"testing"
)

// splitObject reads an object's members as encoding/json reads them into
// a map of raw values, or leaves the body to encoding/json.
func FuzzSplitObject(f *testing.F) {
	for _, s := range []string{
		`{"ShopNo":"NA0249_001","OrderNo":"A1","Amount":50000,"ATMParam":{"ExpireDate":"20261231"},"X":[1,{"a":"}"}],"Y":null,"Z":true}`,
		` { "a" : "b\"}" , "a" : 1 } `, `{"\u0041":1}`, `{"é":1}`, `{}`, `[]`, `null`, `{"a":"` + "\xff" + `"}`, `{"a":1}x`,
		`{"a":-1.5e+3,"b":"x\\"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		split, ok := splitObject(b)
		var want map[string]json.RawMessage
		err := json.Unmarshal(b, &want)
		if !ok {
			return
		}
		got := map[string]json.RawMessage{}
		for _, m := range split {
			if _, twice := got[m.name]; twice {
				t.Fatalf("%q: %s split twice", b, m.name)
			}
			got[m.name] = m.v
		}
		if err != nil || !maps.EqualFunc(got, want, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
			t.Fatalf("%q: split %q; encoding/json %q, %v", b, got, want, err)
		}
	})
}

// A string member is read as encoding/json reads it, escapes, numbers and
// invalid UTF-8 included; names match as strings.ToLower matches them.
func TestFieldsStr(t *testing.T) {
	f, ref := parseFields([]byte(`{"a":"plain","b":"esc\u0041\n","c":"`+"\xff"+`","d":123,"E":"upper","k":"kelvin"}`), "")
	if ref != nil {
		t.Fatal(ref)
	}
	for name, want := range map[string]string{"a": "plain", "b": "escA\n", "c": "\uFFFD", "d": "123", "e": "upper", "E": "upper", "\u212a": "kelvin"} {
		if got, ref := f.str(name); ref != nil || got != want {
			t.Errorf("str(%q) = %q, %v; want %q", name, got, ref, want)
		}
	}
}

// The WebATM link is what url.Values.Encode renders.
func TestWebATMURL(t *testing.T) {
	o := &order{TSNo: "NA024900000227", ATMTicket: "a b&c=d/é", AtmPayNo: "99922530174963"}
	for _, channel := range []string{"", "ebank", "x&y z"} {
		q := url.Values{"TD": {o.TSNo}, "TK": {o.ATMTicket}}
		if channel != "" {
			q.Set("Channel", channel)
		}
		want := "http://h/_sandbox/atm/" + o.AtmPayNo + "?" + q.Encode()
		if got := webATMURL("http://h", o, channel); got != want {
			t.Errorf("channel %q:\n got %s\nwant %s", channel, got, want)
		}
	}
}
