package picture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"testing"
)

func encoded(t *testing.T, w, h int, asPNG bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 200, uint8(255 - x%256)})
		}
	}
	var b bytes.Buffer
	var err error
	if asPNG {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// longest returns the longest side of a JPEG, failing unless it decodes.
func longest(t *testing.T, b []byte) (int, int) {
	t.Helper()
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a JPEG: %v", err)
	}
	return cfg.Width, cfg.Height
}

// JPEG, PNG (with transparency) and WebP come out as two JPEG sizes
// keeping their shape; a small picture is not enlarged; the tag follows
// the content.
func TestMake(t *testing.T) {
	webp, err := os.ReadFile("testdata/small.webp")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		file    []byte
		claimed string
		thumbW  int
		thumbH  int
		pageW   int
		pageH   int
	}{
		{"jpeg", encoded(t, 2000, 1000, false), "image/jpeg", 320, 160, 1200, 600},
		{"png", encoded(t, 600, 900, true), "image/png", 213, 320, 600, 900},
		{"webp", webp, "", 40, 30, 40, 30},
		{"octet-stream", encoded(t, 100, 100, true), "application/octet-stream", 100, 100, 100, 100},
	} {
		p, err := Make(bytes.NewReader(c.file), c.claimed)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if w, h := longest(t, p.Thumb); w != c.thumbW || h != c.thumbH {
			t.Errorf("%s: thumbnail %d×%d, want %d×%d", c.name, w, h, c.thumbW, c.thumbH)
		}
		if w, h := longest(t, p.Page); w != c.pageW || h != c.pageH {
			t.Errorf("%s: page size %d×%d, want %d×%d", c.name, w, h, c.pageW, c.pageH)
		}
		if len(p.Tag) != 16 {
			t.Errorf("%s: tag %q", c.name, p.Tag)
		}
	}
}

// What is not a picture, too large, too many pixels, or claims another
// type is refused, with an error saying which.
func TestMakeRefuses(t *testing.T) {
	jpg := encoded(t, 50, 50, false)
	big := append(bytes.Clone(jpg), make([]byte, MaxBytes)...)
	// A PNG header claiming 9000×9000 pixels, with nothing behind it.
	huge := encoded(t, 10, 10, true)
	huge = bytes.Clone(huge)
	copy(huge[16:24], []byte{0, 0, 0x23, 0x28, 0, 0, 0x23, 0x28})
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29]))
	for _, c := range []struct {
		name    string
		file    []byte
		claimed string
		want    error
	}{
		{"text", []byte("<html>not a picture</html>"), "image/png", ErrNotPicture},
		{"truncated jpeg", jpg[:len(jpg)/2], "image/jpeg", ErrNotPicture},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "image/gif", ErrNotPicture},
		{"too large", big, "image/jpeg", ErrTooLarge},
		{"too many pixels", huge, "image/png", ErrTooManyPx},
		{"png claimed jpeg", encoded(t, 10, 10, true), "image/jpeg", ErrWrongType},
		{"empty", nil, "", ErrNotPicture},
	} {
		if _, err := Make(bytes.NewReader(c.file), c.claimed); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// A fuzzed upload never panics: it makes a picture or says why not.
func FuzzMake(f *testing.F) {
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Make(bytes.NewReader(b), "")
		if err == nil && (len(p.Thumb) == 0 || len(p.Page) == 0) {
			t.Fatal("a picture without its sizes")
		}
	})
}
