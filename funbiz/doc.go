// Package funbiz is a client for Bank SinoPac's online collection API
// (豐收款, "funBIZ", QPay.WebAPI): ATM virtual accounts and credit cards.
//
// It speaks the bank's protocol byte for byte: the Nonce call, the HashID
// key, the per-call IV, the Sign, the AES-256-CBC envelope, and the Sign
// check on every answer. It imports only the standard library.
//
// A payment goes like this:
//
//  1. OrderCreate makes an order and returns an ATM virtual account or the
//     URL of the bank's card page.
//  2. The buyer pays. The bank posts a notification to your BackendURL
//     (ParseNotification, WriteAck) and, for cards, sends the browser back
//     to your ReturnURL (ParseReturn).
//  3. Neither callback is signed, so a PayToken proves nothing by itself:
//     Confirm asks the bank with OrderPayQuery and checks that the answer
//     is for your shop, your order and your amount.
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
// nonce-expired code is listed in NonceExpiredCodes.
package funbiz
