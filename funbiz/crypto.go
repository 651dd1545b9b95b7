package funbiz

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
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

func ivFor[T ~string | ~[]byte](nonce T, iv *[16]byte) {
	// Copied to the stack: converting a long string to []byte for the
	// hash would allocate. The bank's nonces are 108 characters.
	var buf [128]byte
	sum := sha256.Sum256(append(buf[:0], nonce...))
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
	buf := getBuf()
	out := k.appendEncrypted(*buf, nonce, plaintext)
	s := string(out)
	putBuf(buf, out)
	return s
}

// encryptedLen is the length of the hex ciphertext of n plaintext bytes.
func encryptedLen(n int) int { return 2 * (n + aes.BlockSize - n%aes.BlockSize) }

// appendEncrypted appends what Encrypt returns to dst. plaintext must not
// overlap dst's spare capacity.
func (k *Keys) appendEncrypted(dst []byte, nonce string, plaintext []byte) []byte {
	n := len(plaintext)
	pad := aes.BlockSize - n%aes.BlockSize
	// The padded plaintext is encrypted in place at the end of dst and
	// then spread into hex in place, back to front, so that no byte is
	// overwritten before it is read.
	start := len(dst)
	dst = slices.Grow(dst, 2*(n+pad))
	dst = append(dst, plaintext...)
	for range pad {
		dst = append(dst, byte(pad))
	}
	buf := dst[start:]
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
	dst = dst[:start+2*len(buf)]
	out := dst[start:]
	for i := len(buf) - 4; i >= 0; i -= 4 {
		binary.LittleEndian.PutUint64(out[2*i:], hex8(binary.LittleEndian.Uint32(out[i:])))
	}
	return dst
}

// Decrypt reverses Encrypt: it accepts hex in either letter case, decrypts
// under the IV of nonce and strips the PKCS#7 padding. The error says what
// was wrong: bad hex, a length that is not whole blocks, or bad padding.
func (k *Keys) Decrypt(nonce string, hexMessage string) ([]byte, error) {
	return decryptInto(k, nil, nonce, hexMessage)
}

// decryptInto is Decrypt writing into dst's array when it is large enough.
func decryptInto[T ~string | ~[]byte](k *Keys, dst []byte, nonce, hexMessage T) ([]byte, error) {
	if len(hexMessage) == 0 {
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
	src := hexMessage[:2*n]
	if !unhexInto(buf, src) {
		for i := range len(src) {
			if unhex[src[i]] > 0x0f {
				return nil, fmt.Errorf("message is not hexadecimal: bad character at byte %d", i)
			}
		}
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

// unhexInto decodes src, hex digits in either case, into dst, which is
// half as long, and reports whether every character was a hex digit.
// Eight digits at a time in a uint64, checked by range and converted
// without a table, the loop takes a third of the time of a table lookup
// per digit; it was the largest part of opening an answer after the AES.
func unhexInto[T ~string | ~[]byte](dst []byte, src T) bool {
	const (
		each = 0x0101010101010101
		high = 0x80 * each
	)
	var bad uint64
	i := 0
	for ; i+8 <= len(src); i += 8 {
		var w [8]byte
		copy(w[:], src[i:i+8])
		x := binary.LittleEndian.Uint64(w[:])
		// Every byte is below 0x80, so adding to it never carries into
		// the next: the high bit of x+(0x80-lo) says x >= lo, that of
		// x+(0x7f-hi) says x > hi.
		digit := (x + (0x80-'0')*each) &^ (x + (0x7f-'9')*each)
		lower := x | 0x20*each // 'A'–'F' to 'a'–'f'; nothing else lands there
		letter := (lower + (0x80-'a')*each) &^ (lower + (0x7f-'f')*each)
		bad |= x&high | (^(digit | letter))&high
		// A digit's value is its low nibble; a letter's is its low nibble
		// plus 9, and letters are the ones with bit 6 set.
		v := x&(0x0f*each) + (x>>6&each)*9
		// Pair the nibbles (the first digit is the high nibble), then pack
		// the four bytes together.
		v = (v&0x00ff00ff00ff00ff)<<4 | v>>8&0x00ff00ff00ff00ff
		v = (v | v>>8) & 0x0000ffff0000ffff
		v = (v | v>>16) & 0xffffffff
		binary.LittleEndian.PutUint32(dst[i/2:], uint32(v))
	}
	var digits byte
	for ; i+1 < len(src); i += 2 {
		hi, lo := unhex[src[i]], unhex[src[i+1]]
		digits |= hi | lo
		dst[i/2] = hi<<4 | lo
	}
	return bad == 0 && digits <= 0x0f
}

// unhex maps a hex digit, either case, to its value, and anything else to
// 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789ABCDEF" {
		t[c] = byte(i)
		t[c|0x20] = byte(i)
	}
	return t
}()

// hex8 encodes four bytes, the first in the low byte of b, as eight
// upper-case hex digits, the first in the low byte of the result. Doing
// eight digits at a time in a uint64 halves the time of a loop over a
// table of digit pairs, which took as long as the AES itself.
func hex8(b uint32) uint64 {
	const (
		eachByte  = 0x0101010101010101
		lowNibble = 0x0f0f0f0f0f0f0f0f
	)
	x := uint64(b)
	// Spread the bytes to the even bytes, then each byte's nibbles to a
	// byte each, the high nibble first.
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = x>>4&lowNibble | (x&lowNibble)<<8
	// A nibble of 10 or more gets 7 added to it, to go from '9'+1 to 'A'.
	letters := (x + 0x76*eachByte) >> 7 & eachByte
	return x + '0'*eachByte + letters*7
}

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
	sign := signHex(k, nonce, members)
	return string(sign[:])
}

// signHex computes a Sign as its 64 upper-case hex digits.
func signHex[T ~string | ~[]byte](k *Keys, nonce T, members []member) [64]byte {
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
	return out
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

// signEqual compares a Sign with the expected one in constant time,
// ignoring letter case (the bank sends upper case; one published client
// compares case-insensitively).
func signEqual[T ~string | ~[]byte](got T, want *[64]byte) bool {
	if len(got) != len(want) {
		return false
	}
	var up [64]byte
	for i := range up {
		up[i] = upperASCII(got[i])
	}
	return subtle.ConstantTimeCompare(up[:], want[:]) == 1
}
