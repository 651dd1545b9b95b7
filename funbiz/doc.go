// Package funbiz is a client for Bank SinoPac's online collection API
// (豐收款, "funBIZ", QPay.WebAPI): ATM virtual accounts and credit cards.
//
// It speaks the bank's protocol byte for byte: the Nonce call, the HashID
// key, the per-call IV, the Sign, the AES-256-CBC envelope, and the Sign
// check on every answer. It imports only the standard library.
//
// A payment goes like this:
//
//  1. OrderCreate makes an order and returns an ATM virtual account (at
//     bank ATMBankCode, payable until ATMAccount.Deadline) or the URL of
//     the bank's card page.
//  2. The buyer pays. The bank posts a notification to your BackendURL
//     (NotificationHandler: record the PayToken, then acknowledge) and,
//     for cards, sends the browser back to your ReturnURL (ReturnHandler).
//  3. Neither callback is signed, so a PayToken proves nothing by itself:
//     ConfirmToken asks the bank with OrderPayQuery, looks up the order
//     the bank names in your own records, and checks shop, order and
//     amount. ErrUnknownToken says the bank knows no such token (drop
//     it); Temporary says whether asking again later may help.
//
// The runnable examples (example_test.go, shown on pkg.go.dev; go doc
// does not print examples) do each step against our sandbox of the bank,
// and examples/shop in this repository is a whole shop built on them.
// Package funbiztest starts that sandbox for your tests.
//
// Amounts are whole NT$ (int64) everywhere in this package; the ×100 of
// the wire format happens only inside it.
//
// Calls that change money (OrderCreate, OrderMaintain) are sent exactly
// once. When one fails with ErrTransport the bank may or may not have acted:
// ask with FindOrder or OrderQuery before trying again. Read-only queries
// and the Nonce call are retried with capped, jittered backoff.
//
// Where the public record of the protocol is unsure, this package chooses
// and says so next to the code: the Sign treats disputed values the way
// the bank's C# sample does; lengths are counted in UTF-8 bytes; the
// refusal codes read as an expired nonce, an unknown PayToken and a
// repeated OrderNo are our sandbox's, listed in NonceExpiredCodes,
// UnknownTokenCodes and DuplicateOrderCodes.
package funbiz
