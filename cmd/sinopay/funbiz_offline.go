package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/sinopay/sinopay/funbiz"
)

// fbMaxInput bounds what the offline tools read from stdin; the bank's
// messages are a few kilobytes.
const fbMaxInput = 4 << 20

var fbUTF8BOM = []byte{0xEF, 0xBB, 0xBF}

// fbKeyFlags selects the keys of the offline tools: the hash values, or
// the HashID when that is all the user has (a bank calculator, a log).
type fbKeyFlags struct{ hash, hashID string }

func (k *fbKeyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.hash, "hash", "", "the four hash values `A1,A2,B1,B2` (default: env "+fbEnvHash+")")
	fs.StringVar(&k.hashID, "hash-id", "", "the 32-character `HASHID`, instead of --hash")
}

func (k *fbKeyFlags) keys() (*funbiz.Keys, error) {
	if k.hash != "" && k.hashID != "" {
		return nil, fbUsagef("give --hash or --hash-id, not both")
	}
	if k.hashID != "" {
		keys, err := funbiz.NewKeysFromHashID(k.hashID)
		if err != nil {
			return nil, fbUsagef("bad --hash-id: %v", err)
		}
		return keys, nil
	}
	text, from := fbPick(k.hash, "hash", fbEnvHash)
	if text == "" {
		return nil, fbUsagef("no keys: give --hash A1,A2,B1,B2 or --hash-id HASHID, or set %s", fbEnvHash)
	}
	h, err := funbiz.ParseHash(text)
	if err == nil {
		var keys *funbiz.Keys
		if keys, err = funbiz.NewKeys(h); err == nil {
			return keys, nil
		}
	}
	return nil, fbUsagef("bad hash values (from %s; set --hash or %s): %v", from, fbEnvHash, err)
}

// fbReadJSON reads one JSON document from stdin. A leading BOM is dropped:
// Windows editors and PowerShell add one, and it is not JSON.
func fbReadJSON(r io.Reader, what string) ([]byte, error) {
	if r == nil {
		return nil, fbUsagef("no input: pipe %s into stdin", what)
	}
	b, err := io.ReadAll(io.LimitReader(r, fbMaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	if len(b) > fbMaxInput {
		return nil, fbUsagef("stdin is larger than %d bytes; want %s", fbMaxInput, what)
	}
	b = bytes.TrimPrefix(b, fbUTF8BOM)
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fbUsagef("stdin is empty; want %s", what)
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return nil, fbUsagef("stdin is not valid JSON (%v); want %s", err, what)
	}
	return b, nil
}

func fbRunSign(_ context.Context, args []string, o fbIO) int {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	nonce := fs.String("nonce", "", "the Nonce the message is sent or answered with (required)")
	var kf fbKeyFlags
	kf.register(fs)
	if code, ok := fbParse(fs, args, "Reads a plain message JSON object on stdin and prints its sign string and\nSign under --nonce. Compare the sign string with yours when the bank says a\nSign is wrong. Nothing is sent anywhere.", o); !ok {
		return code
	}
	if *nonce == "" {
		return fbReport(o.stderr, fs.Name(), fbUsagef("--nonce is required"), nil)
	}
	keys, err := kf.keys()
	if err != nil {
		return fbReport(o.stderr, fs.Name(), err, nil)
	}
	msg, err := fbReadJSON(o.stdin, "a message JSON object")
	if err != nil {
		return fbReport(o.stderr, fs.Name(), err, nil)
	}
	signString, err := funbiz.SignString(msg)
	if err != nil {
		return fbReport(o.stderr, fs.Name(), fbUsagef("cannot sign stdin: %v", err), nil)
	}
	sign, err := keys.Sign(*nonce, msg)
	if err != nil {
		return fbReport(o.stderr, fs.Name(), fbUsagef("cannot sign stdin: %v", err), nil)
	}
	if err := fbPrintJSON(o.stdout, struct {
		SignString string `json:"signString"`
		Sign       string `json:"sign"`
	}{signString, sign}); err != nil {
		return fbReport(o.stderr, fs.Name(), err, nil)
	}
	return 0
}

func fbRunOpen(_ context.Context, args []string, o fbIO) int {
	fs := flag.NewFlagSet("open", flag.ContinueOnError)
	var kf fbKeyFlags
	kf.register(fs)
	if code, ok := fbParse(fs, args, "Reads a response envelope {Version, ShopNo, APIService, Sign, Nonce, Message}\non stdin, decrypts its Message and checks its Sign. Prints the message JSON.\nExits 1 when the Sign does not verify (the message is still printed if it\ndecrypted) or when the Message cannot be decrypted.", o); !ok {
		return code
	}
	keys, err := kf.keys()
	if err != nil {
		return fbReport(o.stderr, fs.Name(), err, nil)
	}
	const what = "a response envelope {Version, ShopNo, APIService, Sign, Nonce, Message}"
	raw, err := fbReadJSON(o.stdin, what)
	if err != nil {
		return fbReport(o.stderr, fs.Name(), err, nil)
	}
	var env funbiz.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return fbReport(o.stderr, fs.Name(), fbUsagef("stdin is not %s: %v", what, err), nil)
	}
	plain, mismatch, err := keys.CheckSign(&env)
	if plain != nil {
		fbPrintMessage(o.stdout, plain)
	}
	switch {
	case err == nil:
		return 0
	case mismatch != nil:
		fmt.Fprintf(o.stderr, "sinopay funbiz open: the Sign does not verify; do not trust the message printed on stdout\n"+
			"  expected Sign: %s\n  got Sign:      %s\n  sign string:   %s\n"+
			"(the expected Sign is SHA-256 of the sign string, the envelope's Nonce and the HashID)\n",
			mismatch.Want, mismatch.Got, mismatch.SignString)
		return 1
	default:
		fmt.Fprintf(o.stderr, "sinopay funbiz open: cannot open the envelope: %v\n", err)
		return 1
	}
}

// fbPrintMessage pretty-prints a decrypted message. json.Indent keeps
// member order, number text and raw UTF-8 exactly as the bank sent them,
// which decoding into a map and encoding again would not.
func fbPrintMessage(w io.Writer, plain []byte) {
	plain = bytes.TrimPrefix(plain, fbUTF8BOM)
	var buf bytes.Buffer
	if err := json.Indent(&buf, plain, "", "  "); err != nil {
		buf.Reset()
		buf.Write(plain)
	}
	buf.WriteByte('\n')
	w.Write(buf.Bytes())
}
