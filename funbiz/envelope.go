package funbiz

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { b := bufPool.Get().(*bytes.Buffer); b.Reset(); return b }
func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 64<<10 {
		bufPool.Put(b)
	}
}

// Seal builds the envelope of one request: it renders message as JSON,
// signs it and encrypts it under nonce. message is a struct or a map; the
// Sign is computed from exactly the JSON text that is encrypted.
func (k *Keys) Seal(shopNo, service, nonce string, message any) (*Envelope, error) {
	buf := getBuf()
	defer putBuf(buf)
	b, err := appendMessage(buf.AvailableBuffer(), message)
	if err != nil {
		return nil, fmt.Errorf("funbiz: rendering %s message: %w", service, err)
	}
	buf.Write(b) // keeps the grown array in the pooled buffer for next time
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

// Open decrypts an envelope's Message with the IV of the envelope's own
// Nonce and checks its Sign, in constant time. It returns the plain message
// JSON. A Sign mismatch is an *Error wrapping ErrBadSignature whose Msg
// gives the expected and the received Sign; anything unreadable wraps
// ErrMalformedResponse. Open works for requests (the sandbox opens those)
// and responses alike.
func (k *Keys) Open(env *Envelope) ([]byte, error) {
	var buf [24]member
	plain, _, err := k.open(env, buf[:0])
	if err != nil {
		return nil, err
	}
	return plain, nil
}

// OpenInto is Open followed by decoding the message into v, a pointer to a
// struct (encoding/json field names and tags apply).
func (k *Keys) OpenInto(env *Envelope, v any) error {
	// The plaintext only lives until it is decoded into v (which copies
	// every string), so its array can be pooled.
	plainBuf := getBuf()
	defer putBuf(plainBuf)
	plainBuf.Grow(len(env.Message) / 2)
	var buf [24]member
	_, members, err := k.openInto(plainBuf.AvailableBuffer(), env, buf[:0])
	if err != nil {
		return err
	}
	if err := decodeMembers(members, v); err != nil {
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
	plain, members, err := k.open(env, buf[:0])
	if err == nil || !errors.Is(err, ErrBadSignature) {
		return plain, nil, err
	}
	return plain, &SignMismatch{
		Got:        env.Sign,
		Want:       k.signMembers(env.Nonce, members),
		SignString: string(appendSignString(nil, members)),
	}, err
}

// open decrypts and verifies. On a Sign mismatch it still returns the
// plaintext and members, for CheckSign.
func (k *Keys) open(env *Envelope, buf []member) ([]byte, []member, error) {
	return k.openInto(nil, env, buf)
}

func (k *Keys) openInto(dst []byte, env *Envelope, buf []member) ([]byte, []member, error) {
	if env.Nonce == "" {
		return nil, nil, &Error{Service: env.APIService, Msg: "envelope has no Nonce", Err: ErrMalformedResponse}
	}
	if env.Message == "" {
		return nil, nil, &Error{Service: env.APIService, Msg: "envelope has no Message", Err: ErrMalformedResponse}
	}
	plain, err := k.decryptInto(dst, env.Nonce, env.Message)
	if err != nil {
		return nil, nil, &Error{Service: env.APIService, Msg: "cannot decrypt Message", Err: joinSentinel(ErrMalformedResponse, err)}
	}
	members, err := scanMembers(plain, buf)
	if err != nil {
		return nil, nil, &Error{Service: env.APIService, Msg: "decrypted Message is not a JSON object", Err: joinSentinel(ErrMalformedResponse, err)}
	}
	want := k.signMembers(env.Nonce, members)
	if !signEqual(env.Sign, want) {
		return plain, members, &Error{Service: env.APIService, Msg: fmt.Sprintf("Sign %q does not match the message (expected %q)", env.Sign, want), Err: ErrBadSignature}
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
