// Package sandbox is an offline simulator of Bank SinoPac's 豐收款 API
// (funBIZ / QPay.WebAPI), close enough that a correct client cannot tell
// it from the bank.
//
// A Sandbox is an http.Handler. Under /QPay.WebAPI/api it answers /Nonce
// and /Order exactly as the bank does: single-use nonces bound to a shop,
// envelopes opened and their Sign checked, answers encrypted and signed
// under a fresh response nonce, refusals with a code. Under /_sandbox/ it
// serves the pages the bank would host (the card page, the ATM page), a
// dashboard, and a JSON control API to pay, move the clock and break
// things on purpose.
//
// Behind the API is a small bank: orders with a one-way state table,
// payments and their PayTokens, notifications to BackendURL with the
// bank's retry policy, and the settlement that BillQuery and AllotQuery
// report. Time comes from a Clock plus an offset that Advance moves, so
// tests make ten minutes pass without waiting for them.
//
// See README.md for the code table, the control API and the choices made
// where the bank's behaviour is not public.
package sandbox
