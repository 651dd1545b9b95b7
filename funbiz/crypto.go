package funbiz

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Hash holds the four hash values (A1, A2, B1, B2) that the bank issues to a
// shop. Each is 16 hexadecimal characters. The values are secrets: a Hash
// prints as "[redacted]" through fmt and slog.
type Hash struct {
	A1, A2, B1, B2 Secret
}

// ParseHash reads the four hash values from "A1,A2,B1,B2", the form used by
// the SINOPAY_HASH environment variable and the CLI's --hash flag.
func ParseHash(s string) (Hash, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return Hash{}, invalid("Hash", "want four hash values A1,A2,B1,B2 separated by commas, got %d", len(parts))
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	h := Hash{A1: Secret(parts[0]), A2: Secret(parts[1]), B1: Secret(parts[2]), B2: Secret(parts[3])}
	if _, err := h.hashID(); err != nil {
		return Hash{}, err
	}
	return h, nil
}

func (h Hash) String() string   { return redacted }
func (h Hash) GoString() string { return "funbiz.Hash{" + redacted + "}" }

// Format keeps the values out of every fmt verb, including %+v and %#v.
func (h Hash) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, h.GoString())
		return
	}
	fmt.Fprint(f, redacted)
}

// HashID computes the shop's HashID (PROTOCOL §3): the upper-case hex of
// A1 XOR A2 followed by that of B1 XOR B2, 32 characters, each byte
// zero-padded. The HashID is the AES key and part of every Sign, so it is as
// secret as the hash values themselves.
func (h Hash) HashID() (string, error) { return h.hashID() }

func (h Hash) hashID() (string, error) {
	var vals [4][8]byte
	for i, f := range []struct {
		name string
		v    Secret
	}{{"Hash.A1", h.A1}, {"Hash.A2", h.A2}, {"Hash.B1", h.B1}, {"Hash.B2", h.B2}} {
		s := string(f.v)
		if len(s) != 16 {
			return "", invalid(f.name, "must be 16 hexadecimal characters, got %d characters", len(s))
		}
		if _, err := hex.Decode(vals[i][:], []byte(s)); err != nil {
			return "", invalid(f.name, "must be 16 hexadecimal characters (0-9, A-F)")
		}
	}
	var x [16]byte
	for i := range 8 {
		x[i] = vals[0][i] ^ vals[1][i]
		x[8+i] = vals[2][i] ^ vals[3][i]
	}
	return strings.ToUpper(hex.EncodeToString(x[:])), nil
}

// IV returns the AES initialisation vector for a Nonce (PROTOCOL §4): the
// last 16 characters of the upper-case hex SHA-256 of the Nonce, used as 16
// ASCII bytes.
func IV(nonce string) string {
	var iv [16]byte
	ivFor(nonce, &iv)
	return string(iv[:])
}

const upperHex = "0123456789ABCDEF"

func ivFor(nonce string, iv *[16]byte) {
	sum := sha256.Sum256([]byte(nonce))
	// The last 16 hex characters are the hex of the last 8 bytes.
	for i, b := range sum[24:] {
		iv[2*i] = upperHex[b>>4]
		iv[2*i+1] = upperHex[b&0x0f]
	}
}

// Keys holds a shop's derived key material: the HashID and the AES cipher
// built from it. Build it once with NewKeys and share it; a Keys is safe for
// concurrent use.
type Keys struct {
	hashID string
	block  cipher.Block
}

// NewKeys derives the keys from the four hash values. It fails, naming the
// field, when a value is not 16 hexadecimal characters.
func NewKeys(h Hash) (*Keys, error) {
	id, err := h.hashID()
	if err != nil {
		return nil, err
	}
	return newKeysFromHashID(id)
}

// NewKeysFromHashID builds keys from an already computed 32-character
// HashID, for tools that are given the HashID instead of the hash values.
func NewKeysFromHashID(hashID string) (*Keys, error) {
	if len(hashID) != 32 {
		return nil, invalid("HashID", "must be 32 hexadecimal characters, got %d characters", len(hashID))
	}
	if _, err := hex.DecodeString(hashID); err != nil {
		return nil, invalid("HashID", "must be 32 hexadecimal characters")
	}
	// The bank's key is the upper-case text; lower-case input would give a
	// different key, so normalise it.
	return newKeysFromHashID(strings.ToUpper(hashID))
}

func newKeysFromHashID(id string) (*Keys, error) {
	block, err := aes.NewCipher([]byte(id))
	if err != nil {
		return nil, err
	}
	return &Keys{hashID: id, block: block}, nil
}

// HashID returns the 32-character HashID. Treat it as a secret.
func (k *Keys) HashID() string { return k.hashID }

func (k *Keys) String() string { return "funbiz.Keys{" + redacted + "}" }

// Format keeps the key material out of every fmt verb.
func (k *Keys) Format(f fmt.State, verb rune) { fmt.Fprint(f, k.String()) }

// Encrypt encrypts plaintext with AES-256-CBC and PKCS#7 padding under the
// IV of nonce, and returns the ciphertext as upper-case hex (PROTOCOL §6).
func (k *Keys) Encrypt(nonce string, plaintext []byte) string {
	n := len(plaintext)
	pad := aes.BlockSize - n%aes.BlockSize
	scratch := getBuf()
	defer putBuf(scratch)
	// One pooled array holds the padded plaintext and then its hex, so the
	// only allocation is the returned string.
	scratch.Grow(3 * (n + pad))
	arena := scratch.AvailableBuffer()[:3*(n+pad)]
	buf := arena[:n+pad]
	copy(buf, plaintext)
	for i := n; i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	// CBC by hand: the standard library's CBC encrypter is a serial loop of
	// the same block calls, plus an allocation per message.
	var iv [16]byte
	ivFor(nonce, &iv)
	prev := iv[:]
	for i := 0; i < len(buf); i += aes.BlockSize {
		blk := buf[i : i+aes.BlockSize]
		subtle.XORBytes(blk, blk, prev)
		k.block.Encrypt(blk, blk)
		prev = blk
	}
	out := arena[len(buf):]
	for i, b := range buf {
		p := hexPairs[b]
		out[2*i], out[2*i+1] = p[0], p[1]
	}
	return string(out)
}

// Decrypt reverses Encrypt: it accepts hex in either letter case, decrypts
// under the IV of nonce and strips the PKCS#7 padding. The error says what
// was wrong: bad hex, a length that is not whole blocks, or bad padding.
func (k *Keys) Decrypt(nonce string, hexMessage string) ([]byte, error) {
	return k.decryptInto(nil, nonce, hexMessage)
}

// decryptInto is Decrypt writing into dst's array when it is large enough.
func (k *Keys) decryptInto(dst []byte, nonce string, hexMessage string) ([]byte, error) {
	if hexMessage == "" {
		return nil, errors.New("message is empty")
	}
	if len(hexMessage)%2 != 0 {
		return nil, fmt.Errorf("message is not hexadecimal: odd length %d", len(hexMessage))
	}
	n := len(hexMessage) / 2
	if n%aes.BlockSize != 0 {
		return nil, fmt.Errorf("message is %d bytes, not a whole number of %d-byte AES blocks", n, aes.BlockSize)
	}
	buf := dst[:0]
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	for i := range n {
		hi, lo := unhex[hexMessage[2*i]], unhex[hexMessage[2*i+1]]
		if hi|lo == 0xff || (hi|lo)&0xf0 != 0 {
			return nil, fmt.Errorf("message is not hexadecimal: bad character near byte %d", 2*i)
		}
		buf[i] = hi<<4 | lo
	}
	var iv [16]byte
	ivFor(nonce, &iv)
	// CBC by hand, last block first, so each block's predecessor is still
	// ciphertext when it is needed; no allocation, unlike cipher's decrypter.
	for i := len(buf) - aes.BlockSize; i >= 0; i -= aes.BlockSize {
		blk := buf[i : i+aes.BlockSize]
		k.block.Decrypt(blk, blk)
		if i == 0 {
			subtle.XORBytes(blk, blk, iv[:])
		} else {
			subtle.XORBytes(blk, blk, buf[i-aes.BlockSize:i])
		}
	}
	pad := int(buf[len(buf)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, errors.New("message has bad PKCS#7 padding (wrong key, nonce or ciphertext)")
	}
	// Check every padding byte without branching on which one differs.
	var bad byte
	for _, b := range buf[len(buf)-pad:] {
		bad |= b ^ byte(pad)
	}
	if bad != 0 {
		return nil, errors.New("message has bad PKCS#7 padding (wrong key, nonce or ciphertext)")
	}
	return buf[:len(buf)-pad], nil
}

// unhex maps a hex digit, either case, to its value, and anything else to
// 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789ABCDEF" {
		t[c] = byte(i)
		t[unicode.ToLower(c)] = byte(i)
	}
	return t
}()

// hexPairs maps a byte to its two upper-case hex digits.
var hexPairs = func() (t [256][2]byte) {
	for i := range t {
		t[i] = [2]byte{upperHex[i>>4], upperHex[i&0x0f]}
	}
	return t
}()

// Sign computes the Sign of a plain message JSON object under nonce
// (PROTOCOL §5): SHA-256, upper-case hex, of the sign string followed by the
// nonce and the HashID.
func (k *Keys) Sign(nonce string, message []byte) (string, error) {
	var buf [24]member
	members, err := scanMembers(message, buf[:0])
	if err != nil {
		return "", err
	}
	return k.signMembers(nonce, members), nil
}

func (k *Keys) signMembers(nonce string, members []member) string {
	var scratch [512]byte
	b := appendSignString(scratch[:0], members)
	b = append(b, nonce...)
	b = append(b, k.hashID...)
	sum := sha256.Sum256(b)
	var out [64]byte
	for i, c := range sum {
		out[2*i] = upperHex[c>>4]
		out[2*i+1] = upperHex[c&0x0f]
	}
	return string(out[:])
}

// SignString returns the text that the Sign hashes before the nonce and the
// HashID are appended: the message's top-level scalar members that are not
// null or blank, sorted by name without regard to case, as Name=Value joined
// by "&", with raw values (PROTOCOL §5). It is what a merchant compares when
// the bank says the Sign is wrong.
func SignString(message []byte) (string, error) {
	var buf [24]member
	members, err := scanMembers(message, buf[:0])
	if err != nil {
		return "", err
	}
	return string(appendSignString(nil, members)), nil
}

// SignWith computes a Sign from a HashID given as text, for tools.
func SignWith(hashID, nonce string, message []byte) (string, error) {
	k, err := NewKeysFromHashID(hashID)
	if err != nil {
		return "", err
	}
	return k.Sign(nonce, message)
}

// signEqual compares two Signs in constant time, ignoring letter case (the
// bank sends upper case; one published client compares case-insensitively).
func signEqual(got, want string) bool {
	if len(got) != len(want) {
		return false
	}
	a := []byte(strings.ToUpper(got))
	return subtle.ConstantTimeCompare(a, []byte(want)) == 1
}
