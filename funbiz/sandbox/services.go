package sandbox

import (
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

type serviceFunc func(s *Sandbox, req *request) (any, *refusal)

// services are the APIService values the sandbox answers (PROTOCOL §8).
var services = map[string]serviceFunc{
	funbiz.ServiceOrderCreate:          (*Sandbox).orderCreate,
	funbiz.ServiceOrderQuery:           (*Sandbox).orderQuery,
	funbiz.ServiceOrderPayQuery:        (*Sandbox).orderPayQuery,
	funbiz.ServiceOrderMaintain:        (*Sandbox).orderMaintain,
	funbiz.ServiceOrderUnCapturedQuery: (*Sandbox).orderUnCapturedQuery,
	funbiz.ServiceBillQuery:            (*Sandbox).billQuery,
	funbiz.ServiceAllotQuery:           (*Sandbox).allotQuery,
}

// Limits of PROTOCOL §10 in the wire unit.
const (
	maxAmountCents    = funbiz.MaxAmount * 100
	defaultExpMinutes = 10
)

// strs reads several string members, stopping at the first bad one.
func (f fields) strs(names ...string) (map[string]string, *refusal) {
	out := make(map[string]string, len(names))
	for _, n := range names {
		v, r := f.str(n)
		if r != nil {
			return nil, r
		}
		out[n] = v
	}
	return out, nil
}

// amount reads an amount in the wire unit: a positive whole number of
// NT$0.01 that is a whole NT$, since TWD has no cents in practice.
func (f fields) amount(name string, required bool, limit int64) (int64, bool, *refusal) {
	n, set, r := f.int(name)
	switch {
	case r != nil:
		return 0, false, r
	case !set && required:
		return 0, false, refuse(CodeMissingField, "%s%s is required (NT$ × 100)", f.prefix, name)
	case !set:
		return 0, false, nil
	case n <= 0:
		return 0, false, refuse(CodeBadField, "%s%s must be more than 0", f.prefix, name)
	case n%100 != 0:
		return 0, false, refuse(CodeBadField, "%s%s %d is not a whole NT$ amount: the unit is NT$0.01, so NT$180 is 18000", f.prefix, name, n)
	case n > limit:
		return 0, false, refuse(CodeBadField, "%s%s %d is more than the limit %d (NT$%d)", f.prefix, name, n, limit, limit/100)
	}
	return n, true, nil
}

func dt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return funbiz.FormatDateTime(t)
}

func yesNo(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}
