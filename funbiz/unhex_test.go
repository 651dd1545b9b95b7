package funbiz

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// unhexInto agrees with encoding/hex on every byte value at every position
// of its eight-digit words and of the tail, and on random text.
func TestUnhexInto(t *testing.T) {
	check := func(src []byte) {
		t.Helper()
		dst := make([]byte, len(src)/2)
		ok := unhexInto(dst, src)
		want, err := hex.DecodeString(string(src))
		if ok != (err == nil) {
			t.Fatalf("unhexInto(%q) ok=%v, encoding/hex err=%v", src, ok, err)
		}
		if ok && !bytes.Equal(dst, want) {
			t.Fatalf("unhexInto(%q) = %x, want %x", src, dst, want)
		}
		if ok != (unhexInto(dst, string(src))) {
			t.Fatalf("unhexInto(%q) differs for a string", src)
		}
	}
	base := []byte("0123456789abcdefABCDEF0123456789ab")
	for pos := range len(base) {
		for c := range 256 {
			src := bytes.Clone(base)
			src[pos] = byte(c)
			check(src)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	const digits = "0123456789abcdefABCDEF"
	for range 20000 {
		src := make([]byte, 2*r.IntN(40))
		for i := range src {
			src[i] = digits[r.IntN(len(digits))]
		}
		if len(src) > 0 && r.IntN(4) == 0 {
			src[r.IntN(len(src))] = byte(r.IntN(256))
		}
		check(src)
	}
}
