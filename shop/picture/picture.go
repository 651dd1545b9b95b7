// Package picture turns a product photo a merchant uploads into the two
// sizes the shop serves: it decodes the file (JPEG, PNG or WebP, told by
// its content, never by its name), refuses what does not decode, is too
// large, or claims to be another type than it is, and writes a thumbnail
// and a page-size JPEG.
package picture

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Limits on an upload.
const (
	// MaxBytes bounds the file: a phone's photo fits.
	MaxBytes = 8 << 20
	// MaxSide bounds either side in pixels before decoding, so that a
	// small file that claims a huge picture is refused before it takes
	// the memory.
	MaxSide = 8000
	// Thumb and Page are the longest side of the two sizes written.
	Thumb = 320
	Page  = 1200
)

// Errors of Make; each says what the merchant can do.
var (
	ErrTooLarge   = errors.New("the file is larger than 8 MiB")
	ErrNotPicture = errors.New("the file is not a JPEG, PNG or WebP picture")
	ErrTooManyPx  = errors.New("the picture is more than 8000 pixels on a side")
	ErrWrongType  = errors.New("the file claims another type than it is")
)

// Picture is an uploaded photo in the shop's two sizes.
type Picture struct {
	Thumb, Page []byte // JPEG
	// Tag names the content: it changes when the picture does, so its
	// URL can be cached for good.
	Tag string
}

// formats maps what a file's first bytes say to its MIME type.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	}
	return ""
}

// Make reads an upload (at most MaxBytes) whose sender said it is of
// type claimed ("" when it said nothing, or said application/octet-stream)
// and returns it in the shop's sizes.
func Make(r io.Reader, claimed string) (*Picture, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBytes {
		return nil, ErrTooLarge
	}
	kind := sniff(b)
	if kind == "" {
		return nil, ErrNotPicture
	}
	if claimed != "" && claimed != "application/octet-stream" && claimed != kind && !(claimed == "image/jpg" && kind == "image/jpeg") {
		return nil, fmt.Errorf("%w: it says %s and is %s", ErrWrongType, claimed, kind)
	}
	decodeConfig, decode := jpeg.DecodeConfig, jpeg.Decode
	switch kind {
	case "image/png":
		decodeConfig, decode = png.DecodeConfig, png.Decode
	case "image/webp":
		decodeConfig, decode = webp.DecodeConfig, webp.Decode
	}
	cfg, err := decodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPicture, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxSide || cfg.Height > MaxSide {
		return nil, ErrTooManyPx
	}
	img, err := decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPicture, err)
	}
	p := &Picture{}
	if p.Thumb, err = scaled(img, Thumb); err != nil {
		return nil, err
	}
	if p.Page, err = scaled(img, Page); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(p.Page)
	p.Tag = hex.EncodeToString(sum[:8])
	return p, nil
}

// scaled writes img as a JPEG whose longest side is at most side pixels,
// on white where it was transparent.
func scaled(img image.Image, side int) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > side || h > side {
		if w >= h {
			w, h = side, max(1, h*side/b.Dx())
		} else {
			w, h = max(1, w*side/b.Dy()), side
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	stddraw.Draw(dst, dst.Bounds(), &image.Uniform{C: color.White}, image.Point{}, stddraw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
