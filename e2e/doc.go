// Package e2e holds the shop's browser tests: real user flows in headless
// Chromium (driven by chromedp) against the real sinopay binary, with its
// embedded bank sandbox, on SQLite and on PostgreSQL.
//
// The tests build ./cmd/sinopay once, start it as a subprocess on free
// loopback ports for each database, and save a screenshot of every page a
// scenario visits under screenshots/<db>/<scenario>/ at the module root.
// Without /usr/bin/chromium they skip, unless CI is set.
package e2e
