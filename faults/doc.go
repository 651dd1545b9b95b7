// Package faults is the shop's reliability and security suite: the shop
// and the bank sandbox as real processes on 127.0.0.1 (built once from
// ./cmd/sinopay), killed with SIGKILL at chosen points, cut off from their
// database, facing a bank that fails, and attacked through every door.
// Every fault test ends with the same audit as `sinopay loadtest`
// (internal/audit): paid at the bank if and only if paid in the shop, the
// same amounts, one payment and one transition to paid per order. Where a
// process adds nothing (a bank fault seen by one call, the state machine)
// the tests run in process against the sandbox over real HTTP and real
// databases.
//
// At the end, every line the processes and the in-process loggers wrote
// during the suite is scanned for hash values, card numbers and decrypted
// bank messages.
//
// The default settings are short, for CI. For long runs:
//
//	SINOPAY_FAULT_RUNS=500 SINOPAY_FAULT_PAIRS=10000 SINOPAY_FAULT_FORGED=100000 \
//	  go test -timeout 2h -v ./faults -args -rapid.checks=10000
//
// or the same as flags: go test ./faults -args -fault.runs 500 …
//
// With CI set, a missing PostgreSQL fails instead of skipping.
package faults
