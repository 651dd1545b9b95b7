package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

type nonceEntry struct {
	shopNo string
	issued time.Time
}

// newNonce makes a nonce in the bank's form (PROTOCOL §2): standard base64,
// without padding, of "<milliseconds since 0001-01-01>.<digit>:<64 hex>",
// which is 108 characters until the year 3170. The bank's nonces look like
// .NET ticks; copying the form keeps clients that peek at it honest.
func newNonce(now time.Time) string {
	var rnd [33]byte
	rand.Read(rnd[:])
	// .NET's epoch is 0001-01-01; Go's Unix milliseconds start at 1970.
	const unixToDotNetMillis = 62135596800000
	b := strconv.AppendInt(make([]byte, 0, 81), now.UnixMilli()+unixToDotNetMillis, 10)
	b = append(b, '.', '0'+rnd[32]%10, ':')
	b = hex.AppendEncode(b, rnd[:32])
	return base64.RawStdEncoding.EncodeToString(b)
}

// issueNonce records a nonce for shopNo.
func (s *Sandbox) issueNonce(shopNo string) string {
	now := s.Now()
	n := newNonce(now)
	s.nonceMu.Lock()
	defer s.nonceMu.Unlock()
	// Sweep now and then so that a long run does not keep dead nonces.
	if now.Sub(s.nonceSweep) > NonceLifetime || len(s.nonces) > 100_000 {
		for k, e := range s.nonces {
			if now.Sub(e.issued) > NonceLifetime || e.issued.After(now) {
				delete(s.nonces, k)
			}
		}
		s.nonceSweep = now
	}
	s.nonces[n] = nonceEntry{shopNo: shopNo, issued: now}
	return n
}

// useNonce consumes a nonce. A nonce is single-use whatever happens to the
// request that carries it, as a replay guard should be.
func (s *Sandbox) useNonce(nonce, shopNo string) *refusal {
	now := s.Now()
	s.nonceMu.Lock()
	e, ok := s.nonces[nonce]
	if ok && e.shopNo == shopNo {
		delete(s.nonces, nonce)
	}
	s.nonceMu.Unlock()
	switch {
	case !ok:
		return refuse(CodeBadNonce, "Nonce is unknown or was already used; get a new one from /Nonce for every call")
	case e.shopNo != shopNo:
		return refuse(CodeBadNonce, "Nonce was issued to another ShopNo")
	case now.Sub(e.issued) > NonceLifetime:
		return refuse(CodeBadNonce, "Nonce expired: it was issued %s ago and lives %s", now.Sub(e.issued).Round(time.Second), NonceLifetime)
	}
	return nil
}

func (s *Sandbox) checkKeyID(r *http.Request) *refusal {
	if s.opts.KeyID == "" {
		return nil
	}
	got := r.Header.Get("X-KeyID")
	if got == "" {
		return refuse(CodeBadKeyID, "the X-KeyID header is missing")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.KeyID)) != 1 {
		return refuse(CodeBadKeyID, "the X-KeyID header does not match")
	}
	return nil
}

// readBody reads at most MaxBody bytes into dst's array, which it grows
// as needed; more is refused, not truncated.
func readBody(r *http.Request, dst []byte) ([]byte, *refusal) {
	b := dst[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > MaxBody {
			return nil, refuse(CodeBadRequest, "request body is larger than %d bytes", MaxBody)
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, refuse(CodeBadRequest, "request body could not be read")
		}
	}
}

func (s *Sandbox) handleNonce(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if ref := s.checkKeyID(r); ref != nil {
		s.refusePlain(w, r, "", "Nonce", ref, start)
		return
	}
	in := getBuf()
	body, ref := readBody(r, *in)
	defer func() { putBuf(in, body) }()
	if ref != nil {
		s.refusePlain(w, r, "", "Nonce", ref, start)
		return
	}
	shopNo, ok := nonceShopNo(body)
	if !ok {
		s.refusePlain(w, r, "", "Nonce", refuse(CodeBadRequest, "request body is not the JSON object {\"ShopNo\":…}"), start)
		return
	}
	if s.merchants[shopNo] == nil {
		s.refusePlain(w, r, shopNo, "Nonce", refuse(CodeUnknownShop, "ShopNo %s is not a merchant of this sandbox", clip(shopNo, 40)), start)
		return
	}
	// A nonce is base64, which JSON needs no escape for.
	buf := getBuf()
	b := append(append(append(*buf, `{"Nonce":"`...), s.issueNonce(shopNo)...), `"}`...)
	writeBody(w, http.StatusOK, b)
	putBuf(buf, b)
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.Debug("sandbox api", "service", "Nonce", "shop", shopNo, "duration", time.Since(start))
	}
}

// nonceShopNo reads a Nonce request's ShopNo as encoding/json reads the
// body into struct{ ShopNo string }. An envelope is a superset of that
// struct, so a body funbiz.ParseEnvelope reads (without reflection) gives
// the same ShopNo; any other body is left to encoding/json.
func nonceShopNo(body []byte) (string, bool) {
	if env, err := funbiz.ParseEnvelope(body); err == nil {
		return env.ShopNo, true
	}
	var req struct{ ShopNo string }
	if err := json.Unmarshal(bytes.TrimPrefix(body, utf8BOM), &req); err != nil {
		return "", false
	}
	return req.ShopNo, true
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// request is one /Order call on its way through the checks.
type request struct {
	r       *http.Request
	m       *merchant
	env     funbiz.Envelope
	service string
	msg     fields
}

func (s *Sandbox) handleOrder(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if ref := s.checkKeyID(r); ref != nil {
		s.refusePlain(w, r, "", "", ref, start)
		return
	}
	// Nothing keeps the body: the envelope's strings are copies, and the
	// message is decrypted elsewhere.
	in := getBuf()
	body, ref := readBody(r, *in)
	defer func() { putBuf(in, body) }()
	if ref != nil {
		s.refusePlain(w, r, "", "", ref, start)
		return
	}
	env, err := funbiz.ParseEnvelope(body)
	if err != nil || !bytes.HasPrefix(bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM)), []byte("{")) {
		s.refusePlain(w, r, "", "", refuse(CodeBadRequest, "request body is not a JSON envelope {Version, ShopNo, APIService, Sign, Nonce, Message}"), start)
		return
	}
	m := s.merchants[env.ShopNo]
	if m == nil {
		s.refusePlain(w, r, env.ShopNo, env.APIService, refuse(CodeUnknownShop, "ShopNo %s is not a merchant of this sandbox", clip(env.ShopNo, 40)), start)
		return
	}
	req := &request{r: r, m: m, env: env, service: env.APIService}
	mode := s.takeAPIChaos(env.ShopNo)
	switch mode {
	case chaosAPI500:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, internalErrorPage)
		s.recordRefusal(r, env.ShopNo, env.APIService, "HTTP 500 (chaos)", "")
		return
	case chaosAPIGarbage:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"Version":"1.0.0","ShopNo":"`+env.ShopNo+`","APIService":"`)
		s.recordRefusal(r, env.ShopNo, env.APIService, "garbage answer (chaos)", "")
		return
	case chaosAPINonceExpired:
		s.answer(w, req, nil, refuse(CodeBadNonce, "Nonce expired (chaos)"), start)
		return
	}
	answer, ref := s.process(req)
	if mode == chaosAPIHang {
		// The bank has acted; only the answer is lost. This is the case a
		// client must settle by asking OrderQuery before trying again.
		s.recordRefusal(r, env.ShopNo, env.APIService, "answer withheld after processing (chaos hang)", "")
		t := time.NewTimer(60 * time.Second)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return
		case <-s.ctx.Done():
			// Drop the connection: the sandbox is going away.
			panic(http.ErrAbortHandler)
		case <-t.C:
			// A client patient enough gets the answer late, as from a
			// slow bank.
		}
	}
	s.answer(w, req, answer, ref, start)
}

// process runs the checks that need the shop's keys, then the service.
func (s *Sandbox) process(req *request) (any, *refusal) {
	env := &req.env
	if env.Version != funbiz.Version {
		return nil, refuse(CodeBadVersion, "Version must be %s, got %s", funbiz.Version, clip(env.Version, 20))
	}
	svc := services[env.APIService]
	if svc == nil {
		return nil, refuse(CodeUnknownService, "APIService %s is not one of OrderCreate, OrderQuery, OrderPayQuery, OrderMaintain, OrderUnCapturedQuery, BillQuery, AllotQuery", clip(env.APIService, 40))
	}
	if env.Nonce == "" {
		return nil, refuse(CodeBadNonce, "the envelope has no Nonce")
	}
	if ref := s.useNonce(env.Nonce, env.ShopNo); ref != nil {
		return nil, ref
	}
	if env.Message == "" {
		return nil, refuse(CodeUndecryptable, "the envelope has no Message")
	}
	plain, mismatch, err := req.m.keys.CheckSign(env)
	if mismatch != nil {
		return nil, &refusal{
			code:       CodeBadSign,
			detail:     "expected Sign " + mismatch.Want + " from the sign string [" + mismatch.SignString + "] + Nonce + HashID",
			signString: mismatch.SignString,
		}
	}
	if err != nil {
		return nil, refuse(CodeUndecryptable, "%s", undecryptableDetail(err))
	}
	msg, ref := parseFields(plain, "")
	if ref != nil {
		return nil, ref
	}
	shop, ref := msg.str("ShopNo")
	if ref != nil {
		return nil, ref
	}
	if ref := msg.required("ShopNo", shop); ref != nil {
		return nil, ref
	}
	if shop != env.ShopNo {
		return nil, refuse(CodeBadField, "ShopNo in the Message (%s) differs from the envelope's", clip(shop, 40))
	}
	req.msg = msg
	if notes := unknownMembers(env.APIService, msg); len(notes) > 0 {
		s.recordNotice(req, notes)
	}
	return svc(s, req)
}

// undecryptableDetail says why a Message did not open, without echoing
// its content.
func undecryptableDetail(err error) string {
	var fe *funbiz.Error
	if !errors.As(err, &fe) {
		return "Message does not decrypt"
	}
	detail := fe.Msg
	if u, ok := fe.Err.(interface{ Unwrap() []error }); ok {
		for _, e := range u.Unwrap() {
			if e != funbiz.ErrMalformedResponse {
				detail += ": " + e.Error()
			}
		}
	}
	if fe.Msg == "cannot decrypt Message" {
		detail += " (are the hash values right, and is the IV taken from this Nonce?)"
	}
	return detail
}

// answer seals msg, or a refusal, for the shop with a fresh response
// nonce, as the bank does (PROTOCOL §2: the response Nonce differs from
// the request's).
func (s *Sandbox) answer(w http.ResponseWriter, req *request, msg any, ref *refusal, start time.Time) {
	desc := successDescription
	if ref != nil {
		msg = refusalMessage(req, s.Now(), ref)
		desc = ref.description()
		s.recordRefusal(req.r, req.env.ShopNo, req.env.APIService, desc, ref.signString)
	}
	buf := getBuf()
	defer func() { putBuf(buf, *buf) }()
	plain, err := funbiz.MarshalMessage(msg)
	var body []byte
	if err == nil {
		body, err = req.m.keys.AppendSealed((*buf)[:0], req.m.shopNo, req.env.APIService, newNonce(s.Now()), plain)
	}
	if err != nil {
		// Only a message the sandbox built itself is sealed; this is a bug.
		s.log.Error("sandbox: sealing an answer", "service", req.env.APIService, "error", err)
		writeJSON(w, http.StatusInternalServerError, plainRefusal{"F", describe(CodeBadRequest, "the sandbox could not build its answer")})
		return
	}
	*buf = body
	writeBody(w, http.StatusOK, body)
	if s.log.Enabled(req.r.Context(), slog.LevelDebug) {
		s.log.Debug("sandbox api", "service", req.env.APIService, "shop", req.env.ShopNo, "result", codeOf(desc), "duration", time.Since(start))
	}
}

func codeOf(desc string) string {
	if len(desc) >= 5 {
		return desc[:5]
	}
	return desc
}

// refusalMessage is the encrypted answer to a refused call: the
// identifying fields the caller sent, a Date for the services whose
// answers carry one, and Status F.
type refusalMsg struct {
	OrderNo     string `json:"OrderNo,omitempty"`
	ShopNo      string `json:"ShopNo"`
	PayToken    string `json:"PayToken,omitempty"`
	Date        string `json:"Date,omitempty"`
	Status      string `json:"Status"`
	Description string `json:"Description"`
}

func refusalMessage(req *request, now time.Time, ref *refusal) *refusalMsg {
	m := &refusalMsg{ShopNo: req.m.shopNo, Status: "F", Description: ref.description()}
	if req.msg.raw != nil {
		m.OrderNo, _ = req.msg.str("OrderNo")
		m.PayToken, _ = req.msg.str("PayToken")
		if len(m.OrderNo) > funbiz.MaxOrderNo || m.OrderNo != trimmed(m.OrderNo) {
			m.OrderNo = ""
		}
		if len(m.PayToken) > funbiz.MaxPayToken || m.PayToken != trimmed(m.PayToken) {
			m.PayToken = ""
		}
	}
	if req.env.APIService != funbiz.ServiceOrderCreate {
		m.Date = funbiz.FormatDateTime(now)
	}
	return m
}

func trimmed(s string) string { return string(bytes.TrimSpace([]byte(s))) }

type plainRefusal struct {
	Status      string `json:"Status"`
	Description string `json:"Description"`
}

// refusePlain answers without an envelope: HTTP 200 and
// {"Status":"F","Description":…}, for requests no shop's keys can answer.
func (s *Sandbox) refusePlain(w http.ResponseWriter, r *http.Request, shopNo, service string, ref *refusal, start time.Time) {
	desc := ref.description()
	s.recordRefusal(r, shopNo, service, desc, "")
	writeJSON(w, http.StatusOK, plainRefusal{"F", desc})
	s.log.Debug("sandbox api", "service", service, "result", codeOf(desc), "duration", time.Since(start))
}

func (s *Sandbox) recordRefusal(r *http.Request, shopNo, service, desc, signString string) {
	rec := refusalRecord{At: s.Now(), ShopNo: clipPlain(shopNo, 40), APIService: clipPlain(service, 40), Description: desc, SignString: signString, Remote: r.RemoteAddr}
	s.mu.Lock()
	const keep = 200
	if len(s.refusals) >= keep {
		s.refusals = append(s.refusals[:0], s.refusals[len(s.refusals)-keep+1:]...)
	}
	s.refusals = append(s.refusals, rec)
	s.mu.Unlock()
}

func clipPlain(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// writeJSON writes v as compact JSON without HTML escaping, the way the
// bank's answers look.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"error":"encoding the answer failed"}`, http.StatusInternalServerError)
		return
	}
	writeBody(w, status, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// jsonContentType is the Content-Type of every JSON answer, one slice for
// all of them (the header map keeps it as given).
var jsonContentType = []string{"application/json; charset=utf-8"}

// writeBody writes a JSON answer.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	w.Write(body)
}

// bufPool holds the arrays answers are built in.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

// putBuf returns p to the pool holding b's array, when that array is not
// too large to keep.
func putBuf(p *[]byte, b []byte) {
	if cap(b) > 64<<10 {
		return
	}
	if b == nil {
		b = *p
	}
	*p = b[:0]
	bufPool.Put(p)
}

// internalErrorPage is what an IIS front end shows for a 500, for the
// "500" chaos: a client must cope with an HTML error page.
const internalErrorPage = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>500 - Internal server error.</title></head>
<body><div id="header"><h1>Server Error</h1></div><div id="content"><fieldset><h2>500 - Internal server error.</h2>
<h3>There is a problem with the resource you are looking for, and it cannot be displayed.</h3></fieldset></div></body></html>`
