package payment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// OpRequest is an operation the back office asks for on a card order.
type OpRequest struct {
	OrderNo string
	Op      shop.Op
	// Amount is whole NT$; 0 asks for the whole amount the operation can
	// take (all that is left to refund, the whole authorisation).
	Amount shop.Money
	// Reason is why, in the admin's words; it goes into the timeline.
	Reason string
	// Key comes from the confirmation form (random when the form was
	// drawn): the same form sent twice is one operation.
	Key   string
	Admin *shop.Customer
	// Restock: a refund puts the order's items back in stock.
	Restock bool
}

// maintainTimeout bounds the OrderMaintain call. It outlives the
// admin's request: once the operation is recorded, a browser that gives
// up must not leave it pending.
const maintainTimeout = 35 * time.Second

// staleAfter is how long a pending operation may wait for its bank call
// before the resolver asks the bank what became of it (its process died).
const staleAfter = 2 * time.Minute

// Maintain captures, cancels or refunds a card order for an admin. It
// records the operation first (shop.PlanOp's rules, checked with the
// order locked: never more than was collected, one operation at a time),
// then asks the bank once (OrderMaintain is never retried), then applies
// the answer to the order, its timeline (source "admin", the admin and
// the reason in the note) and its status. It returns the operation: done,
// refused by the bank (BankError says why), or unknown when the call
// failed in transport; an unknown one keeps its amount reserved and is
// resolved by asking the bank (OrderQuery, BillQuery), at once and then by
// a periodic job. The same Key again returns the first operation as it
// stands, without a second bank call. Errors: Invalid and Conflict with
// admin.op.* keys, NotFound, Unauthorized for a non-admin.
func (s *Service) Maintain(ctx context.Context, req OpRequest) (*shop.Operation, error) {
	if !req.Admin.IsAdmin() {
		return nil, shop.Errorf(shop.Unauthorized, "error.unauthorized", "not an admin")
	}
	if !validKey(req.Key) {
		return nil, shop.Errorf(shop.Invalid, "admin.op.expired_form", "bad form key")
	}
	rec, o, existed, err := s.db.BeginOp(ctx, req.OrderNo, shop.Operation{
		Key: req.Key, Op: req.Op, Amount: req.Amount, Reason: req.Reason,
		AdminID: req.Admin.ID, AdminEmail: req.Admin.Email, Restock: req.Restock,
	}, s.now())
	if err != nil {
		return nil, err
	}
	if existed {
		return rec, nil
	}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), maintainTimeout)
	defer cancel()
	out := s.callMaintain(bctx, o, rec)
	rec, _, err = s.db.FinishOp(bctx, rec.ID, out, s.now())
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "back-office operation", "order", o.No, "op", rec.Op, "amount", rec.Amount, "state", rec.State,
		"admin", rec.AdminEmail, "bank_error", rec.BankError)
	if rec.State == shop.OpUnknown {
		if r, err := s.ResolveOp(bctx, rec.ID); err == nil {
			rec = r
		}
	}
	return rec, nil
}

// validKey accepts the form keys the back office draws: 32 hex digits.
func validKey(k string) bool {
	if len(k) != 32 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// callMaintain asks the bank for one operation and reads its answer.
func (s *Service) callMaintain(ctx context.Context, o *shop.Order, rec *shop.Operation) storage.OpOutcome {
	amount := int64(rec.Amount)
	var res *funbiz.MaintainResult
	var err error
	switch rec.Op {
	case shop.OpCapture:
		res, err = s.bankOf(o).Capture(ctx, o.No, amount)
	case shop.OpCancel:
		res, err = s.bankOf(o).CancelAuthorization(ctx, o.No, "")
	default:
		res, err = s.bankOf(o).Refund(ctx, &funbiz.RefundParams{OrderNo: o.No, Amount: amount})
	}
	switch {
	case err == nil:
		out := storage.OpOutcome{State: shop.OpDone, BankTSNo: res.TSNo}
		if rec.Op != shop.OpCancel && res.Amount != 0 && res.Amount != amount {
			// Keep what the bank said beside our record for a person to see.
			out.BankError = fmt.Sprintf("the bank reported NT$%d", res.Amount)
		}
		return out
	case errors.Is(err, funbiz.ErrBankRefused) || errors.Is(err, funbiz.ErrInvalid):
		// The bank said no, or nothing was sent: nothing happened.
		return storage.OpOutcome{State: shop.OpRefused, BankError: bankErrorText(err)}
	default:
		// A timeout, garbage, a bad signature, an answer about another
		// order: the bank may have acted.
		s.log.WarnContext(ctx, "OrderMaintain outcome unknown; asking the bank", "order", o.No, "op", rec.Op, "error", err)
		return storage.OpOutcome{State: shop.OpUnknown, BankError: clip(err.Error(), 300)}
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ResolveOp asks the bank what became of an operation whose answer was
// lost (unknown, or pending past staleAfter), and records it. It concludes
// only on the bank's word: a capture or a cancellation from the order's
// PayStatus; a refund from the refunds the bank lists (OrderQuery's
// RefundAmount, or BillQuery since the operation began). When the bank's
// answers do not settle it, the operation stays open, its amount reserved,
// for the next run or for an admin who checked the bank's own portal
// (SettleOp). An error means the bank could not be asked.
func (s *Service) ResolveOp(ctx context.Context, id int64) (*shop.Operation, error) {
	op, err := s.db.OpByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !op.State.Open() || (op.State == shop.OpPending && s.now().Sub(op.UpdatedAt) < staleAfter) {
		return op, nil
	}
	o, err := s.db.OrderByID(ctx, op.OrderID)
	if err != nil {
		return nil, err
	}
	info, found, err := s.findOrder(ctx, o)
	if err != nil {
		return op, shop.Wrap(shop.Unavailable, "error.bank_unavailable", err, "asking the bank about operation %d", id)
	}
	state := shop.OpUnknown
	switch {
	case !found:
		state = shop.OpRefused // the bank has no such order to act on
	case op.Op == shop.OpCapture:
		switch info.PayStatus {
		case funbiz.PayStatusCardCaptured, funbiz.PayStatusCardSettled:
			state = shop.OpDone
		case funbiz.PayStatusCardAuthed, funbiz.PayStatusCardCanceled, funbiz.PayStatusCardVoid:
			state = shop.OpRefused
		}
	case op.Op == shop.OpCancel:
		switch info.PayStatus {
		case funbiz.PayStatusCardCanceled, funbiz.PayStatusCardVoid:
			state = shop.OpDone
		case funbiz.PayStatusCardAuthed, funbiz.PayStatusCardCaptured, funbiz.PayStatusCardSettled:
			state = shop.OpRefused
		}
	default:
		state, err = s.refundOutcome(ctx, o, op, info)
		if err != nil {
			return op, err
		}
	}
	if state == shop.OpUnknown {
		if op.State == shop.OpPending {
			op, _, err = s.db.FinishOp(ctx, op.ID, storage.OpOutcome{State: shop.OpUnknown, BankError: "no answer from the bank"}, s.now())
			return op, err
		}
		return op, nil
	}
	out := storage.OpOutcome{State: state}
	if state == shop.OpRefused {
		out.BankError = "not done at the bank (checked with OrderQuery)"
	}
	op, _, err = s.db.FinishOp(ctx, op.ID, out, s.now())
	if err == nil {
		s.log.InfoContext(ctx, "back-office operation resolved with the bank", "order", o.No, "op", op.Op, "state", op.State)
	}
	return op, err
}

// refundOutcome reads from the bank whether a refund happened. OrderQuery
// says whether the order has any refund (RefundFlag) and, at the real
// bank, how much in all (RefundAmount), which compares with ours
// (o.Refunded holds the refunds already done). When it does not say how
// much (the sandbox does not), the refunds BillQuery lists from the day
// the operation began are compared with ours done since then. Only a
// total beyond ours proves the refund; the absence of one proves nothing
// when it comes from BillQuery, which may lag, so that case stays open.
func (s *Service) refundOutcome(ctx context.Context, o *shop.Order, op *shop.Operation, info funbiz.OrderInfo) (shop.OpState, error) {
	if info.RefundFlag == "N" && o.Refunded == 0 {
		return shop.OpRefused, nil
	}
	if bank := shop.Money(info.RefundAmount); bank > 0 {
		switch {
		case bank >= o.Refunded+op.Amount:
			return shop.OpDone, nil
		case bank == o.Refunded:
			return shop.OpRefused, nil
		}
		return shop.OpUnknown, nil
	}
	y, m, d := op.CreatedAt.In(funbiz.Taipei).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, funbiz.Taipei)
	ops, err := s.db.Ops(ctx, o.ID)
	if err != nil {
		return shop.OpUnknown, err
	}
	var ours shop.Money
	for _, p := range ops {
		if p.Op == shop.OpRefund && p.State == shop.OpDone && !p.UpdatedAt.Before(start) {
			ours += p.Amount
		}
	}
	var bank shop.Money
	for day := start; funbiz.FormatDate(day) <= funbiz.FormatDate(s.now()); day = day.AddDate(0, 0, 1) {
		bill, err := s.bankOf(o).BillQuery(ctx, funbiz.FormatDate(day))
		if err != nil {
			return shop.OpUnknown, shop.Wrap(shop.Unavailable, "error.bank_unavailable", err, "BillQuery")
		}
		for _, it := range bill.Items {
			if it.OrderNo == o.No && it.TSType == "R" {
				bank += shop.Money(it.Amount)
			}
		}
	}
	if bank >= ours+op.Amount {
		return shop.OpDone, nil
	}
	return shop.OpUnknown, nil
}

// SettleOp records, for an admin who checked the bank's own portal,
// whether an operation whose answer was lost happened (done) or not.
// Only open operations can be settled. Errors: Unauthorized, NotFound,
// Conflict (admin.op.settled) when it is no longer open.
func (s *Service) SettleOp(ctx context.Context, id int64, done bool, admin *shop.Customer) (*shop.Operation, error) {
	if !admin.IsAdmin() {
		return nil, shop.Errorf(shop.Unauthorized, "error.unauthorized", "not an admin")
	}
	op, err := s.db.OpByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !op.State.Open() {
		return nil, shop.Errorf(shop.Conflict, "admin.op.settled", "operation %d is %s", id, op.State)
	}
	out := storage.OpOutcome{State: shop.OpRefused, BankError: "not done, as " + admin.Email + " found at the bank"}
	if done {
		out = storage.OpOutcome{State: shop.OpDone, BankError: "done, as " + admin.Email + " found at the bank"}
	}
	op, _, err = s.db.FinishOp(ctx, id, out, s.now())
	if err == nil {
		s.log.InfoContext(ctx, "back-office operation settled by hand", "op_id", id, "state", op.State, "admin", admin.Email)
	}
	return op, err
}

// ResolveOps resolves every stale operation (run-once; a periodic job
// calls it). One operation's failure does not stop the others.
func (s *Service) ResolveOps(ctx context.Context) error {
	ops, err := s.db.StaleOps(ctx, s.now().Add(-staleAfter), 50)
	if err != nil {
		return err
	}
	for _, op := range ops {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := s.ResolveOp(ctx, op.ID); err != nil {
			s.log.WarnContext(ctx, "could not resolve a back-office operation", "op_id", op.ID, "error", err)
		}
	}
	return nil
}

// ResolveOpsArgs is the periodic job that resolves stale operations.
type ResolveOpsArgs struct{}

func (ResolveOpsArgs) Kind() string { return "resolve_ops" }

func (s *Service) resolveOpsJob(ctx context.Context, _ ResolveOpsArgs) error {
	return s.ResolveOps(ctx)
}

// Ops lists an order's operations, oldest first.
func (s *Service) Ops(ctx context.Context, orderID int64) ([]*shop.Operation, error) {
	return s.db.Ops(ctx, orderID)
}
