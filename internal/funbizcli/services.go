package funbizcli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

func runNonce(ctx context.Context, args []string, o Process) int {
	fs := flag.NewFlagSet("nonce", flag.ContinueOnError)
	var conn connection
	conn.register(fs)
	if code, ok := parseFlags(fs, args, "Fetches a fresh Nonce. It changes nothing at the bank, so it is the\ncheapest test of the URL, the shop number and the key id.", o); !ok {
		return code
	}
	return callBank(ctx, o, &conn, bankCall{name: fs.Name()}, func(ctx context.Context, cl *funbiz.Client) (any, error) {
		n, err := cl.Nonce(ctx)
		if err != nil {
			return nil, err
		}
		return struct{ Nonce string }{n}, nil
	})
}

func runOrderCreate(ctx context.Context, args []string, o Process) int {
	fs := flag.NewFlagSet("order-create", flag.ContinueOnError)
	var conn connection
	conn.register(fs)
	orderNo := fs.String("order-no", "", "merchant order number, unique (required; ASCII letters, digits, - and _)")
	amount := fs.Int64("amount", 0, "amount in whole NT$ (required)")
	payType := fs.String("pay-type", "", "A (ATM virtual account) or C (credit card) (required)")
	name := fs.String("name", "", "PrdtName: what is being paid for, shown to the buyer (required)")
	memo := fs.String("memo", "", "Memo")
	param1 := fs.String("param1", "", "Param1, echoed back by the bank")
	param2 := fs.String("param2", "", "Param2, echoed back by the bank")
	param3 := fs.String("param3", "", "Param3, echoed back by the bank")
	returnURL := fs.String("return-url", "", "ReturnURL: where the buyer's browser goes after the card page (required for C)")
	backendURL := fs.String("backend-url", "", "BackendURL: where the bank posts its payment notification")
	expireDate := fs.String("expire-date", "", "ATM: last day to pay, `yyyyMMdd` (default: 7 days from today, Taipei time)")
	autoBilling := fs.Bool("auto-billing", true, "card: capture right after authorisation; false waits for maintain --command P or --exp-billing-days")
	expBillingDays := fs.Int("exp-billing-days", 0, "card: days to the scheduled capture, 1-21 (sandbox 1-7); only with --auto-billing=false")
	expMinutes := fs.Int("exp-minutes", 0, "card: lifetime of the card page link in minutes, 1-30 (bank default 10)")
	payTypeSub := fs.String("pay-type-sub", "", "card: sub-type, e.g. ONE (pay in full; the only one the sandbox takes)")
	if code, ok := parseFlags(fs, args, "Creates an order: an ATM virtual account, or a card page to send the buyer to.\nIt is sent exactly once; if it fails without an answer, ask with order-query\nbefore trying again.", o); !ok {
		return code
	}
	set := setFlags(fs)
	p := &funbiz.OrderCreateParams{
		OrderNo: *orderNo, Amount: *amount, PayType: funbiz.PayType(strings.ToUpper(*payType)), PrdtName: *name,
		Memo: *memo, Param1: *param1, Param2: *param2, Param3: *param3, ReturnURL: *returnURL, BackendURL: *backendURL,
	}
	cardFlags := []string{"auto-billing", "exp-billing-days", "exp-minutes", "pay-type-sub"}
	switch p.PayType {
	case funbiz.PayTypeATM:
		for _, f := range cardFlags {
			if set[f] {
				return report(o.Stderr, fs.Name(), usagef("--%s is for card orders (--pay-type C)", f), nil)
			}
		}
		date := *expireDate
		if !set["expire-date"] {
			date = funbiz.FormatDate(time.Now().In(funbiz.Taipei).AddDate(0, 0, 7))
		}
		p.ATM = &funbiz.ATMParams{ExpireDate: date}
	case funbiz.PayTypeCard:
		if set["expire-date"] {
			return report(o.Stderr, fs.Name(), usagef("--expire-date is for ATM orders (--pay-type A)"), nil)
		}
		p.Card = &funbiz.CardParams{AutoBilling: *autoBilling, ExpBillingDays: *expBillingDays, ExpMinutes: *expMinutes, PayTypeSub: *payTypeSub}
	case "":
		return report(o.Stderr, fs.Name(), usagef("--pay-type is required: A (ATM) or C (card)"), nil)
	default:
		return report(o.Stderr, fs.Name(), usagef("--pay-type must be A (ATM) or C (card), got %q", *payType), nil)
	}
	s := bankCall{
		name: fs.Name(),
		flagOf: map[string]string{
			"OrderNo": "--order-no", "Amount": "--amount", "PayType": "--pay-type", "PrdtName": "--name",
			"Memo": "--memo", "Param1": "--param1", "Param2": "--param2", "Param3": "--param3",
			"ReturnURL": "--return-url", "BackendURL": "--backend-url", "ATM.ExpireDate": "--expire-date",
			"Card.ExpBillingDays": "--exp-billing-days", "Card.ExpMinutes": "--exp-minutes", "Card.PayTypeSub": "--pay-type-sub",
		},
		transportHint: fmt.Sprintf("The call did not complete, so the bank may or may not have created order %s.\n"+
			"Do not create it again before asking the bank:\n  sinopay funbiz order-query --order-no %s", p.OrderNo, p.OrderNo),
	}
	return callBank(ctx, o, &conn, s, func(ctx context.Context, cl *funbiz.Client) (any, error) {
		return resultOf(cl.OrderCreate(ctx, p))
	})
}

func runOrderQuery(ctx context.Context, args []string, o Process) int {
	fs := flag.NewFlagSet("order-query", flag.ContinueOnError)
	var conn connection
	conn.register(fs)
	orderNo := fs.String("order-no", "", "one order by its number")
	payType := fs.String("pay-type", "", "A (ATM) or C (card)")
	orderFrom := fs.String("order-from", "", "orders created from `yyyyMMddHHmm` (Taipei time; with --order-to)")
	orderTo := fs.String("order-to", "", "orders created until `yyyyMMddHHmm` (with --order-from)")
	payFrom := fs.String("pay-from", "", "orders paid from `yyyyMMddHHmm` (Taipei time; with --pay-to)")
	payTo := fs.String("pay-to", "", "orders paid until `yyyyMMddHHmm` (with --pay-from)")
	payFlag := fs.String("pay-flag", "", "Y paid (card: captured) or N not")
	if code, ok := parseFlags(fs, args, "Lists orders, at most 300, matching every filter given (at least one).", o); !ok {
		return code
	}
	p := &funbiz.OrderQueryParams{
		OrderNo: *orderNo, PayType: funbiz.PayType(strings.ToUpper(*payType)),
		OrderDateTimeS: *orderFrom, OrderDateTimeE: *orderTo, PayDateTimeS: *payFrom, PayDateTimeE: *payTo,
		PayFlag: funbiz.Flag(strings.ToUpper(*payFlag)),
	}
	s := bankCall{name: fs.Name(), flagOf: map[string]string{
		"OrderNo": "--order-no", "PayType": "--pay-type", "OrderDateTimeS": "--order-from", "OrderDateTimeE": "--order-to",
		"PayDateTimeS": "--pay-from", "PayDateTimeE": "--pay-to", "PayFlag": "--pay-flag",
		"OrderQueryParams": "--order-no, --pay-type, --order-from/--order-to, --pay-from/--pay-to or --pay-flag",
	}}
	return callBank(ctx, o, &conn, s, func(ctx context.Context, cl *funbiz.Client) (any, error) {
		return resultOf(cl.OrderQuery(ctx, p))
	})
}

func runPayQuery(ctx context.Context, args []string, o Process) int {
	fs := flag.NewFlagSet("pay-query", flag.ContinueOnError)
	var conn connection
	conn.register(fs)
	token := fs.String("token", "", "the PayToken from a BackendURL or ReturnURL callback (required)")
	if code, ok := parseFlags(fs, args, "Asks the bank what a PayToken stands for. Callbacks are not signed, so this\nanswer, not the callback, is the proof of a payment.", o); !ok {
		return code
	}
	s := bankCall{name: fs.Name(), flagOf: map[string]string{"PayToken": "--token"}}
	return callBank(ctx, o, &conn, s, func(ctx context.Context, cl *funbiz.Client) (any, error) {
		return resultOf(cl.OrderPayQuery(ctx, *token))
	})
}

func runMaintain(ctx context.Context, args []string, o Process) int {
	fs := flag.NewFlagSet("maintain", flag.ContinueOnError)
	var conn connection
	conn.register(fs)
	orderNo := fs.String("order-no", "", "the card order (required)")
	command := fs.String("command", "", "P capture (請款), C cancel the authorisation, R refund (required)")
	amount := fs.Int64("amount", 0, "whole NT$ to capture or refund; 0 means the whole order")
	remark := fs.String("remark", "", "reason, kept by the bank")
	if code, ok := parseFlags(fs, args, "Captures, cancels or refunds a card order. It is sent exactly once; if it\nfails without an answer, ask with order-query before trying again.", o); !ok {
		return code
	}
	p := &funbiz.OrderMaintainParams{OrderNo: *orderNo, Command: funbiz.Command(strings.ToUpper(*command)), Amount: *amount, Remark: *remark}
	s := bankCall{
		name:   fs.Name(),
		flagOf: map[string]string{"OrderNo": "--order-no", "Command": "--command", "Amount": "--amount", "Remark": "--remark"},
		transportHint: fmt.Sprintf("The call did not complete, so the bank may or may not have carried out %s on order %s.\n"+
			"Do not ask again before checking the order:\n  sinopay funbiz order-query --order-no %s", p.Command, p.OrderNo, p.OrderNo),
	}
	return callBank(ctx, o, &conn, s, func(ctx context.Context, cl *funbiz.Client) (any, error) {
		return resultOf(cl.OrderMaintain(ctx, p))
	})
}

func runUncaptured(ctx context.Context, args []string, o Process) int {
	fs := flag.NewFlagSet("uncaptured", flag.ContinueOnError)
	var conn connection
	conn.register(fs)
	orderNo := fs.String("order-no", "", "only this order (default: all of them)")
	if code, ok := parseFlags(fs, args, "Lists the card orders that are authorised but not captured.", o); !ok {
		return code
	}
	s := bankCall{name: fs.Name(), flagOf: map[string]string{"OrderNo": "--order-no"}}
	return callBank(ctx, o, &conn, s, func(ctx context.Context, cl *funbiz.Client) (any, error) {
		return resultOf(cl.OrderUnCapturedQuery(ctx, *orderNo))
	})
}

func runBill(ctx context.Context, args []string, o Process) int {
	fs := flag.NewFlagSet("bill", flag.ContinueOnError)
	var conn connection
	conn.register(fs)
	date := fs.String("date", "", "the day, `yyyyMMdd` (required)")
	if code, ok := parseFlags(fs, args, "Lists one day's collections (TSType P) and refunds (R), for reconciliation.", o); !ok {
		return code
	}
	s := bankCall{name: fs.Name(), flagOf: map[string]string{"BillDate": "--date"}}
	return callBank(ctx, o, &conn, s, func(ctx context.Context, cl *funbiz.Client) (any, error) {
		return resultOf(cl.BillQuery(ctx, *date))
	})
}

func runAllot(ctx context.Context, args []string, o Process) int {
	fs := flag.NewFlagSet("allot", flag.ContinueOnError)
	var conn connection
	conn.register(fs)
	from := fs.String("from", "", "first day, `yyyyMMdd` (required)")
	to := fs.String("to", "", "last day, `yyyyMMdd` (required)")
	payType := fs.String("pay-type", "", "A (ATM) or C (card); default both")
	if code, ok := parseFlags(fs, args, "Lists the settlements (撥款) the bank paid out in a date range. The\namounts are printed as the bank sent them: their form is not documented\n(a whole number is read as NT$0.01, one with a decimal point as NT$).", o); !ok {
		return code
	}
	p := &funbiz.AllotParams{AllotDateS: *from, AllotDateE: *to, PayType: funbiz.PayType(strings.ToUpper(*payType))}
	s := bankCall{name: fs.Name(), flagOf: map[string]string{"AllotDateS": "--from", "AllotDateE": "--to", "PayType": "--pay-type"}}
	return callBank(ctx, o, &conn, s, func(ctx context.Context, cl *funbiz.Client) (any, error) {
		return resultOf(cl.AllotQuery(ctx, p))
	})
}
