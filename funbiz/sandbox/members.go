package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The members of each request message the bank is known to read
// (PROTOCOL §8), including those the sandbox itself ignores. A member
// outside these lists is not refused: the bank's behaviour with one is
// not public, and a sandbox stricter than the bank would break clients
// that work in production. It is reported instead (Notices, the
// dashboard and the log), with the known name it was probably meant to
// be: a misspelt filter, such as one SDK's "PayFlag " with a trailing
// space, is silently ignored by the bank too.
var knownMembers = map[string][]string{
	"OrderCreate": {"ShopNo", "OrderNo", "Amount", "CurrencyID", "PayType", "PrdtName", "Memo", "Param1", "Param2", "Param3",
		"ReturnURL", "BackendURL", "ATMParam", "CardParam", "ConvStoreParam", "MobileParam", "WalletParam",
		"Sender", "SenderMobile", "Receiver", "ReceiverMobile", "QRCodeStatus", "QRCodeSize"},
	"OrderCreate.ATMParam":  {"ExpireDate", "ExpireTime"},
	"OrderCreate.CardParam": {"AutoBilling", "ExpBillingDays", "ExpMinutes", "PayTypeSub", "Staging", "CCToken", "DeductTotalNum", "PeriodType", "DeductFreq"},
	"OrderQuery":            {"ShopNo", "OrderNo", "PayType", "OrderDateTimeS", "OrderDateTimeE", "PayDateTimeS", "PayDateTimeE", "PayFlag"},
	"OrderPayQuery":         {"ShopNo", "PayToken"},
	"OrderMaintain":         {"ShopNo", "OrderNo", "Command", "Amount", "Remark"},
	"OrderUnCapturedQuery":  {"ShopNo", "OrderNo"},
	"BillQuery":             {"ShopNo", "BillDate"},
	"AllotQuery":            {"ShopNo", "AllotDateS", "AllotDateE", "PayType"},
}

// memberNote is one member of a request the bank is not known to read.
type memberNote struct {
	Name    string // as sent, within its object ("CardParam.Autobiling")
	Nearest string // the known name it was probably meant to be; "" when none is near
}

func (n memberNote) text() string {
	if n.Nearest != "" {
		return fmt.Sprintf("unknown member %q ignored — did you mean %q?", n.Name, n.Nearest)
	}
	return fmt.Sprintf("unknown member %q ignored", n.Name)
}

// unknownMembers lists the members of a service's message (and of its
// known nested objects) that are not among the known ones. Names match
// case-insensitively, as the bank's deserialiser does.
func unknownMembers(service string, msg fields) []memberNote {
	var out []memberNote
	check := func(path string, f fields, prefix string) {
		known, ok := knownMembers[path]
		if !ok {
			return
		}
		var names []string
		for _, m := range f.raw {
			if !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, m.name) }) {
				names = append(names, m.name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			out = append(out, memberNote{Name: prefix + name, Nearest: prefixed(prefix, nearest(name, known))})
		}
	}
	check(service, msg, "")
	for path := range knownMembers {
		parent, child, nested := strings.Cut(path, ".")
		if !nested || parent != service {
			continue
		}
		raw, ok := msg.get(child)
		if !ok {
			continue
		}
		if sub, ref := parseFields(raw, child+"."); ref == nil {
			check(path, sub, child+".")
		}
	}
	return out
}

func prefixed(prefix, name string) string {
	if name == "" {
		return ""
	}
	return prefix + name
}

// nearest is the known name closest to name: the same letters but for
// case and blanks, else at most two edits away (a typo); "" when none is.
func nearest(name string, known []string) string {
	norm := strings.ToLower(strings.Join(strings.Fields(name), ""))
	best, bestDist := "", 3
	for _, k := range known {
		kn := strings.ToLower(k)
		if kn == norm {
			return k
		}
		if d := editDistance(norm, kn); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short names.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// noticeRecord is a request that carried members the bank is not known
// to read. The request itself went on as if they were absent.
type noticeRecord struct {
	At         time.Time
	ShopNo     string
	APIService string
	Notes      []memberNote
	Remote     string
}

// NoticeView is one request with unknown members, for the dashboard and
// the control API.
type NoticeView struct {
	At         string
	ShopNo     string
	APIService string
	// Notes say what was ignored, one line per member, with the name it
	// was probably meant to be.
	Notes  []string
	Remote string
}

// recordNotice keeps the unknown members of a request and logs them.
func (s *Sandbox) recordNotice(req *request, notes []memberNote) {
	rec := noticeRecord{At: s.Now(), ShopNo: req.env.ShopNo, APIService: req.env.APIService, Notes: notes, Remote: req.r.RemoteAddr}
	s.mu.Lock()
	const keep = 200
	if len(s.notices) >= keep {
		s.notices = append(s.notices[:0], s.notices[len(s.notices)-keep+1:]...)
	}
	s.notices = append(s.notices, rec)
	s.mu.Unlock()
	for _, n := range notes {
		s.log.Warn("sandbox: "+n.text(), "service", req.env.APIService, "shop", req.env.ShopNo)
	}
}

// Notices lists recent requests that carried members the bank is not
// known to read, newest first. Only the last 200 are kept.
func (s *Sandbox) Notices() []NoticeView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []NoticeView{}
	for i := len(s.notices) - 1; i >= 0; i-- {
		r := s.notices[i]
		v := NoticeView{At: rfc(r.At), ShopNo: r.ShopNo, APIService: r.APIService, Remote: r.Remote}
		for _, n := range r.Notes {
			v.Notes = append(v.Notes, n.text())
		}
		out = append(out, v)
	}
	return out
}
