package funbiz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"unicode/utf8"
)

// Version is the only envelope Version the bank knows.
const Version = "1.0.0"

// Envelope is the JSON body of a request to, or a response from,
// {base}/Order (PROTOCOL §7). Message is the encrypted message as hex and
// Sign is computed over the plain message.
type Envelope struct {
	Version    string `json:"Version"`
	ShopNo     string `json:"ShopNo"`
	APIService string `json:"APIService"`
	Sign       string `json:"Sign"`
	Nonce      string `json:"Nonce"`
	Message    string `json:"Message"`
}

// LogValue logs an envelope without its Message and Sign.
func (e Envelope) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("ShopNo", e.ShopNo),
		slog.String("APIService", e.APIService),
		slog.Int("MessageLen", len(e.Message)),
	)
}

// MarshalMessage renders a message the way the bank renders its own:
// compact JSON, raw UTF-8, no HTML escaping, no trailing newline.
func MarshalMessage(v any) ([]byte, error) {
	return appendMessage(nil, v)
}

// bufPool holds byte arrays for text that lives only during a call: a
// rendered message before it is encrypted, an answer's plaintext before it
// is decoded.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

// putBuf returns p to the pool with b, what was last appended to *p, so
// that an array grown past *p's serves the next call.
func putBuf(p *[]byte, b []byte) {
	if cap(b) > cap(*p) && cap(b) <= 64<<10 {
		*p = b[:0]
	}
	bufPool.Put(p)
}

// Seal builds the envelope of one request: it renders message as JSON,
// signs it and encrypts it under nonce. message is a struct or a map; the
// Sign is computed from exactly the JSON text that is encrypted.
func (k *Keys) Seal(shopNo, service, nonce string, message any) (*Envelope, error) {
	buf := getBuf()
	b, err := appendMessage(*buf, message)
	defer putBuf(buf, b)
	if err != nil {
		return nil, fmt.Errorf("funbiz: rendering %s message: %w", service, err)
	}
	return k.SealJSON(shopNo, service, nonce, b)
}

// SealJSON is Seal for a message that is already JSON text. The text is
// encrypted byte for byte as given.
func (k *Keys) SealJSON(shopNo, service, nonce string, message []byte) (*Envelope, error) {
	var buf [24]member
	members, err := scanMembers(message, buf[:0])
	if err != nil {
		return nil, &Error{Service: service, Msg: "cannot sign message", Err: err}
	}
	return &Envelope{
		Version:    Version,
		ShopNo:     shopNo,
		APIService: service,
		Sign:       k.signMembers(nonce, members),
		Nonce:      nonce,
		Message:    k.Encrypt(nonce, message),
	}, nil
}

// AppendSealed appends to dst the JSON of the envelope SealJSON builds,
// without building it, rendered as the bank renders its answers: compact,
// members in Envelope's order, no HTML escaping (what encoding/json's
// Encoder gives with SetEscapeHTML(false), less the newline). A server
// answering many calls, such as the sandbox, uses it with a reused dst.
func (k *Keys) AppendSealed(dst []byte, shopNo, service, nonce string, message []byte) ([]byte, error) {
	return k.appendSealed(dst, shopNo, service, nonce, message, false)
}

// appendSealed appends the JSON of the envelope SealJSON builds, exactly
// as json.Marshal renders that Envelope (with html set) or as an Encoder
// without HTML escaping does, without building it.
func (k *Keys) appendSealed(dst []byte, shopNo, service, nonce string, message []byte, html bool) ([]byte, error) {
	var buf [24]member
	members, err := scanMembers(message, buf[:0])
	if err != nil {
		return dst, &Error{Service: service, Msg: "cannot sign message", Err: err}
	}
	sign := signHex(k, nonce, members)
	dst = slices.Grow(dst, len(`{"Version":"1.0.0","ShopNo":"","APIService":"","Sign":"","Nonce":"","Message":""}`)+
		len(shopNo)+len(service)+len(sign)+len(nonce)+encryptedLen(len(message)))
	dst = append(dst, `{"Version":"`+Version+`","ShopNo":`...)
	dst = appendJSONString(dst, shopNo, html)
	dst = append(dst, `,"APIService":`...)
	dst = appendJSONString(dst, service, html)
	dst = append(dst, `,"Sign":"`...)
	dst = append(dst, sign[:]...)
	dst = append(dst, `","Nonce":`...)
	dst = appendJSONString(dst, nonce, html)
	dst = append(dst, `,"Message":"`...)
	dst = k.appendEncrypted(dst, nonce, message)
	return append(dst, `"}`...), nil
}

// ParseEnvelope reads an envelope from a request or answer body exactly
// as encoding/json's Unmarshal reads it into an Envelope (names without
// regard to case, the last of a name winning, null leaving a member
// empty, other members ignored, a leading byte order mark skipped), with
// the same errors, but several times faster for the bodies clients send:
// those are read without reflection, and anything unusual (escapes aside)
// is left to encoding/json.
func ParseEnvelope(body []byte) (Envelope, error) {
	if env, ok := parseEnvelopeFast(body); ok {
		return env, nil
	}
	var env Envelope
	if err := json.Unmarshal(trimBOM(body), &env); err != nil {
		return Envelope{}, err
	}
	return env, nil
}

// parseEnvelopeFast is ParseEnvelope for the bodies where the scanner and
// encoding/json are known to agree; ok is false for any other.
func parseEnvelopeFast(body []byte) (env Envelope, ok bool) {
	ok = readStrings(body, envelopeNames[:], []*string{&env.Version, &env.ShopNo, &env.APIService, &env.Sign, &env.Nonce, &env.Message})
	return env, ok
}

var envelopeNames = [...]string{"Version", "ShopNo", "APIService", "Sign", "Nonce", "Message"}

// readStrings reads the string members names[i] of the JSON object body
// into *dsts[i] exactly as encoding/json's Unmarshal reads them into a
// struct of string fields (names without regard to case, the last of a
// name winning, null leaving the field alone, other members ignored, a
// byte order mark skipped), for the bodies where the scanner and
// encoding/json are known to agree: ok is false for any other, which the
// caller leaves to encoding/json. The strings are cut from one copy of
// body.
func readStrings(body []byte, names []string, dsts []*string) (ok bool) {
	var buf [12]member
	members, err := scanMembers(body, buf[:0])
	if err != nil {
		// Invalid JSON, or a name given twice, which encoding/json takes.
		return false
	}
	// The strings are cut from one copy of the body, made on first use.
	text := decoder{msg: body}
	for i := range members {
		m := &members[i]
		// encoding/json also folds two non-ASCII letters into ASCII
		// names (the Kelvin sign and the long s); it refuses raw control
		// characters and replaces invalid UTF-8.
		if !plainText(m.name) {
			return false
		}
		switch m.kind {
		case '{', '[':
			// The scanner checks only brackets and strings inside.
			if !json.Valid(m.raw) {
				return false
			}
		case '"':
			if bytes.IndexByte(m.raw, '\\') < 0 && !plainText(m.value) {
				return false
			}
		}
		var dst *string
		for j, n := range names {
			if m.is(n) {
				dst = dsts[j]
				break
			}
		}
		if dst == nil {
			continue
		}
		switch m.kind {
		case '"':
			*dst = text.share(m.value)
		case 'n':
		default:
			// A number or boolean for a string: encoding/json's error.
			return false
		}
	}
	return true
}

// plainText reports whether b is printable ASCII.
func plainText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Open decrypts an envelope's Message with the IV of the envelope's own
// Nonce and checks its Sign, in constant time. It returns the plain message
// JSON. A Sign mismatch is an *Error wrapping ErrBadSignature whose Msg
// gives the expected and the received Sign; anything unreadable wraps
// ErrMalformedResponse. Open works for requests (the sandbox opens those)
// and responses alike.
func (k *Keys) Open(env *Envelope) ([]byte, error) {
	var buf [24]member
	plain, _, err := openMessage(k, nil, env.APIService, env.Nonce, env.Message, env.Sign, buf[:0])
	if err != nil {
		return nil, err
	}
	return plain, nil
}

// OpenInto is Open followed by decoding the message into v with
// encoding/json.
func (k *Keys) OpenInto(env *Envelope, v any) error {
	plain, err := k.Open(env)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(trimBOM(plain), v); err != nil {
		return &Error{Service: env.APIService, Msg: "decrypted message does not have the expected shape", Err: joinSentinel(ErrMalformedResponse, err)}
	}
	return nil
}

// SignMismatch describes a failed Sign check: what the envelope carried,
// what the message signs to, and the sign string behind it.
type SignMismatch struct {
	Got, Want  string
	SignString string
}

// CheckSign opens an envelope like Open and, when its Sign does not verify,
// also reports the expected Sign and the sign string it was computed from,
// with the decrypted message. Debugging tools and the sandbox use it;
// plain callers use Open.
func (k *Keys) CheckSign(env *Envelope) (plain []byte, mismatch *SignMismatch, err error) {
	var buf [24]member
	plain, members, err := openMessage(k, nil, env.APIService, env.Nonce, env.Message, env.Sign, buf[:0])
	if err == nil || !errors.Is(err, ErrBadSignature) {
		return plain, nil, err
	}
	return plain, &SignMismatch{
		Got:        env.Sign,
		Want:       k.signMembers(env.Nonce, members),
		SignString: string(appendSignString(nil, members)),
	}, err
}

// openMessage decrypts message under nonce into dst's array, scans it and
// verifies sign. On a Sign mismatch it still returns the plaintext and
// members, for CheckSign. Envelopes give it strings; the client gives it
// slices of the answer body, which it never copies.
func openMessage[T ~string | ~[]byte](k *Keys, dst []byte, service string, nonce, message, sign T, buf []member) ([]byte, []member, error) {
	if len(nonce) == 0 {
		return nil, nil, &Error{Service: service, Msg: "envelope has no Nonce", Err: ErrMalformedResponse}
	}
	if len(message) == 0 {
		return nil, nil, &Error{Service: service, Msg: "envelope has no Message", Err: ErrMalformedResponse}
	}
	plain, err := decryptInto(k, dst, nonce, message)
	if err != nil {
		return nil, nil, &Error{Service: service, Msg: "cannot decrypt Message", Err: joinSentinel(ErrMalformedResponse, err)}
	}
	members, err := scanMembers(plain, buf)
	if err != nil {
		return nil, nil, &Error{Service: service, Msg: "decrypted Message is not a JSON object", Err: joinSentinel(ErrMalformedResponse, err)}
	}
	want := signHex(k, nonce, members)
	if !signEqual(sign, &want) {
		return plain, members, &Error{Service: service, Msg: fmt.Sprintf("Sign %q does not match the message (expected %q)", sign, string(want[:])), Err: ErrBadSignature}
	}
	return plain, members, nil
}

// joinSentinel wraps a cause under a sentinel so that both errors.Is(err,
// sentinel) and the cause's text survive.
func joinSentinel(sentinel, cause error) error {
	return &wrapped{sentinel: sentinel, cause: cause}
}

type wrapped struct{ sentinel, cause error }

func (w *wrapped) Error() string   { return w.cause.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.sentinel, w.cause} }
