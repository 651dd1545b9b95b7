package funbizcli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/sinopay/sinopay/funbiz"
)

// maxInput bounds what the offline tools read from stdin; the bank's
// messages are a few kilobytes.
const maxInput = 4 << 20

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// keyFlags selects the keys of the offline tools: the hash values, or
// the HashID when that is all the user has (a bank calculator, a log).
type keyFlags struct{ hash, hashID string }

func (k *keyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.hash, "hash", "", "the four hash values `A1,A2,B1,B2` (default: env "+envHash+")")
	fs.StringVar(&k.hashID, "hash-id", "", "the 32-character `HASHID`, instead of --hash")
}

func (k *keyFlags) keys(o Process) (*funbiz.Keys, error) {
	if k.hash != "" && k.hashID != "" {
		return nil, usagef("give --hash or --hash-id, not both")
	}
	if k.hashID != "" {
		keys, err := funbiz.NewKeysFromHashID(k.hashID)
		if err != nil {
			return nil, usagef("bad --hash-id: %v", err)
		}
		return keys, nil
	}
	text, from := o.pick(k.hash, "hash", envHash)
	if text == "" {
		return nil, usagef("no keys: give --hash A1,A2,B1,B2 or --hash-id HASHID, or set %s", envHash)
	}
	h, err := funbiz.ParseHash(text)
	if err == nil {
		var keys *funbiz.Keys
		if keys, err = funbiz.NewKeys(h); err == nil {
			return keys, nil
		}
	}
	return nil, usagef("bad hash values (from %s; set --hash or %s): %v", from, envHash, err)
}

// readJSON reads one JSON document from stdin. A leading BOM is dropped:
// Windows editors and PowerShell add one, and it is not JSON.
func readJSON(r io.Reader, what string) ([]byte, error) {
	if r == nil {
		return nil, usagef("no input: pipe %s into stdin", what)
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	if len(b) > maxInput {
		return nil, usagef("stdin is larger than %d bytes; want %s", maxInput, what)
	}
	b = bytes.TrimPrefix(b, utf8BOM)
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, usagef("stdin is empty; want %s", what)
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return nil, usagef("stdin is not valid JSON (%v); want %s", err, what)
	}
	return b, nil
}

func runSign(_ context.Context, args []string, o Process) int {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	nonce := fs.String("nonce", "", "the Nonce the message is sent or answered with (required)")
	var kf keyFlags
	kf.register(fs)
	if code, ok := parseFlags(fs, args, "Reads a plain message JSON object on stdin and prints its sign string and\nSign under --nonce. Compare the sign string with yours when the bank says a\nSign is wrong. Nothing is sent anywhere.", o); !ok {
		return code
	}
	if *nonce == "" {
		return report(o.Stderr, fs.Name(), usagef("--nonce is required"), nil)
	}
	keys, err := kf.keys(o)
	if err != nil {
		return report(o.Stderr, fs.Name(), err, nil)
	}
	msg, err := readJSON(o.Stdin, "a message JSON object")
	if err != nil {
		return report(o.Stderr, fs.Name(), err, nil)
	}
	signString, err := funbiz.SignString(msg)
	if err != nil {
		return report(o.Stderr, fs.Name(), usagef("cannot sign stdin: %v", err), nil)
	}
	sign, err := keys.Sign(*nonce, msg)
	if err != nil {
		return report(o.Stderr, fs.Name(), usagef("cannot sign stdin: %v", err), nil)
	}
	if err := printJSON(o.Stdout, struct {
		SignString string `json:"signString"`
		Sign       string `json:"sign"`
	}{signString, sign}); err != nil {
		return report(o.Stderr, fs.Name(), err, nil)
	}
	return 0
}

func runOpen(_ context.Context, args []string, o Process) int {
	fs := flag.NewFlagSet("open", flag.ContinueOnError)
	var kf keyFlags
	kf.register(fs)
	if code, ok := parseFlags(fs, args, "Reads a response envelope {Version, ShopNo, APIService, Sign, Nonce, Message}\non stdin, decrypts its Message and checks its Sign. Prints the message JSON.\nExits 1 when the Sign does not verify (the message is still printed if it\ndecrypted) or when the Message cannot be decrypted.", o); !ok {
		return code
	}
	keys, err := kf.keys(o)
	if err != nil {
		return report(o.Stderr, fs.Name(), err, nil)
	}
	const what = "a response envelope {Version, ShopNo, APIService, Sign, Nonce, Message}"
	raw, err := readJSON(o.Stdin, what)
	if err != nil {
		return report(o.Stderr, fs.Name(), err, nil)
	}
	var env funbiz.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return report(o.Stderr, fs.Name(), usagef("stdin is not %s: %v", what, err), nil)
	}
	plain, mismatch, err := keys.CheckSign(&env)
	if plain != nil {
		printMessage(o.Stdout, plain)
	}
	switch {
	case err == nil:
		return 0
	case mismatch != nil:
		fmt.Fprintf(o.Stderr, "sinopay funbiz open: the Sign does not verify; do not trust the message printed on stdout\n"+
			"  expected Sign: %s\n  got Sign:      %s\n  sign string:   %s\n"+
			"(the expected Sign is SHA-256 of the sign string, the envelope's Nonce and the HashID)\n",
			mismatch.Want, mismatch.Got, mismatch.SignString)
		return 1
	default:
		fmt.Fprintf(o.Stderr, "sinopay funbiz open: cannot open the envelope: %v\n", err)
		return 1
	}
}

// printMessage pretty-prints a decrypted message. json.Indent keeps
// member order, number text and raw UTF-8 exactly as the bank sent them,
// which decoding into a map and encoding again would not.
func printMessage(w io.Writer, plain []byte) {
	plain = bytes.TrimPrefix(plain, utf8BOM)
	var buf bytes.Buffer
	if err := json.Indent(&buf, plain, "", "  "); err != nil {
		buf.Reset()
		buf.Write(plain)
	}
	buf.WriteByte('\n')
	w.Write(buf.Bytes())
}
