package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/sinopay/sinopay/shop/picture"
)

// pictureURL is where a product's photo of size ("thumb" or "page") is
// served; the tag makes a new photo a new URL, so each can be cached for
// good. "" when the product has none.
func pictureURL(productID int64, tag, size string) string {
	if tag == "" {
		return ""
	}
	return "/pictures/" + strconv.FormatInt(productID, 10) + "/" + size + "/" + tag + ".jpg"
}

// productPicture serves a product's photo (GET
// /pictures/{id}/{size}/{tag}.jpg) from the database, so every instance
// serves the same one, cached for a year: a new photo has a new tag. An
// old tag is sent on to the current photo's address.
func (s *Server) productPicture(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	size := r.PathValue("size")
	if err != nil || (size != "thumb" && size != "page") {
		s.notFound(w, r)
		return
	}
	b, tag, err := s.db.ProductPicture(ctx, id, size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.PathValue("file") != tag+".jpg" {
		w.Header().Set("Cache-Control", "no-cache")
		http.Redirect(w, r, pictureURL(id, tag, size), http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("ETag", `"`+tag+"-"+size+`"`)
	if r.Header.Get("If-None-Match") == `"`+tag+"-"+size+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// pictureProblem is the locale key of what is wrong with an upload.
func pictureProblem(err error) string {
	switch {
	case errors.Is(err, picture.ErrTooLarge):
		return "product.picture_too_large"
	case errors.Is(err, picture.ErrTooManyPx):
		return "product.picture_too_many_px"
	case errors.Is(err, picture.ErrWrongType):
		return "product.picture_wrong_type"
	}
	return "product.picture_bad"
}

// maxProductForm bounds the product form: its photo and its texts.
const maxProductForm = picture.MaxBytes + 256<<10
