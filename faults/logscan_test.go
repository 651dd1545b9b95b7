package faults

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/proctest"
)

// logs keeps every line written during the suite: the output of every
// process the suite starts, and whatever the in-process tests log.
var logs = &logBook{}

type logBook struct {
	mu     sync.Mutex
	procs  []*proctest.Proc
	sbx    map[*proctest.Proc]bool // sandbox processes, whose start-up banner is exempt
	inproc bytes.Buffer
}

// watch adds a process; its output is read at the end, once it has exited.
func (b *logBook) watch(p *proctest.Proc, isSandbox bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.procs = append(b.procs, p)
	if b.sbx == nil {
		b.sbx = map[*proctest.Proc]bool{}
	}
	b.sbx[p] = isSandbox
}

func (b *logBook) procCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.procs)
}

func (b *logBook) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inproc.Write(p)
}

// logger is an in-process logger whose lines are scanned too. Debug
// level, so that the most talkative lines are covered.
func (b *logBook) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// reBanner matches the four lines of the sandbox's start-up banner that
// print the demo merchant's hash values. They are the bank's published
// sandbox credentials, printed on purpose to standard output so that a
// developer can configure a client; they are not log lines.
var reBanner = regexp.MustCompile(`^    (A1|A2|B1|B2) [0-9A-F]{16}$`)

// scan returns how many lines it read and the lines with a secret.
func (b *logBook) scan() (int, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	var leaks []string
	check := func(source, text string, exemptBanner bool) {
		sc := bufio.NewScanner(strings.NewReader(text))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			n++
			if exemptBanner && reBanner.MatchString(line) {
				continue
			}
			for _, what := range secretsIn(line) {
				leaks = append(leaks, fmt.Sprintf("%s: %s in %.200q", source, what, line))
			}
		}
	}
	for _, p := range b.procs {
		check(p.Name, p.Output(), b.sbx[p])
	}
	check("in-process", b.inproc.String(), false)
	return n, leaks
}

// The secrets a log line must never hold.
var (
	hashValues = func() []string {
		h := sandbox.DemoHash()
		id, err := h.HashID()
		if err != nil {
			panic(err)
		}
		return []string{string(h.A1), string(h.A2), string(h.B1), string(h.B2), id}
	}()
	// Pieces of a decrypted bank message: its members are never logged.
	messageMarks = []string{`"TSResultContent"`, `"Description":"S0000`, `"ATMParam":{`, `"CardParam":{`, `"AtmPayNo":"`}
	// The sandbox's test cards, which a Luhn check alone would miss
	// (4000-2211-1111-1111 fails it).
	testCards = []string{"4000221111111111", "4000000000000002", "4000000000000995", "4000000000000069", "4000000000000119"}
	// A run of 13 to 19 digits, maybe in groups split by one space or
	// dash, standing alone: not part of an order number like
	// K2026112712345678 or a longer number.
	reDigits = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(\d(?:[ -]?\d){12,18})(?:$|[^0-9A-Za-z])`)
)

// secretsIn names the secrets found in line.
func secretsIn(line string) []string {
	var found []string
	upper := strings.ToUpper(line)
	for _, h := range hashValues {
		if strings.Contains(upper, h) {
			found = append(found, "hash value "+h[:4]+"…")
		}
	}
	for _, m := range messageMarks {
		if strings.Contains(line, m) {
			found = append(found, "decrypted message ("+m+")")
		}
	}
	for _, m := range reDigits.FindAllStringSubmatch(line, -1) {
		digits := strings.NewReplacer(" ", "", "-", "").Replace(m[1])
		if luhn(digits) || contains(testCards, digits) {
			found = append(found, "card number "+digits[:4]+"…"+digits[len(digits)-4:])
		}
	}
	return found
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// luhn reports whether digits pass the Luhn check, as card numbers do.
func luhn(digits string) bool {
	sum := 0
	for i := range len(digits) {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func TestSecretsIn(t *testing.T) {
	for _, line := range []string{
		`{"level":"INFO","msg":"order","order":"K2026112712345678","duration":1234567}`,
		`time=2026-11-27T10:00:00.000+08:00 level=INFO msg="sandbox notification" shop=NA0249_001 order=K2026112700000018`,
		`{"msg":"request","route":"POST /funbiz/notify","status":200}`,
		`ts_no NA024900000001 and 20261127103000 (a wire time)`,
		`{"card":"400022******1111"}`,
		`1234567890123`, // fails Luhn
		`{"client_id":"vm_2026_11_27T10_22_21_529846","time":"2026-11-27T10:22:21.722443167Z"}`,
	} {
		if got := secretsIn(line); len(got) != 0 {
			t.Errorf("%q: false alarm %q", line, got)
		}
	}
	for line, want := range map[string]string{
		`{"hash":"86d50def3eb7400e"}`:                         "hash value 86D5…",
		`HashID=87282A2FA0E209EBE1B3713AB56A06C2`:             "hash value 8728…",
		`card 4000-2211-1111-1111 paid`:                       "card number 4000…1111",
		`{"pan":"4111 1111 1111 1111"}`:                       "card number 4111…1111",
		`pan=4000000000000002`:                                "card number 4000…0002",
		`{"msg":{"TSResultContent":{"Status":"S"}}}`:          `decrypted message ("TSResultContent")`,
		`{"Status":"S","Description":"S0000 – 處理成功"}`:         `decrypted message ("Description":"S0000)`,
		`answer {"OrderNo":"K1","ATMParam":{"AtmPayNo":"9"}}`: `decrypted message ("ATMParam":{)`,
	} {
		if got := secretsIn(line); !contains(got, want) {
			t.Errorf("%q: found %q, want %q", line, got, want)
		}
	}
}
