// Package e2e holds the shop's browser tests: real user flows in headless
// Chromium (driven by chromedp) against the real sinopay binary, with its
// embedded bank sandbox, on SQLite and on PostgreSQL.
//
// The tests build ./cmd/sinopay once, start it as a subprocess on free
// loopback ports for each database, and run the shop's scenarios on two
// screens, the desktop's (1280 × 900) and a phone's (390 × 844, touch).
// They save a screenshot of every page a scenario visits under
// screenshots/<db>/<screen>/<scenario>/ at the module root (the back
// office's under screenshots/<db>/<scenario>/), and fail when a shop page
// is wider than the screen (document.documentElement.scrollWidth >
// innerWidth) or when axe-core finds an accessibility violation on any
// page photographed (e2e/axe, installed by npm ci --prefix e2e/axe).
// Without /usr/bin/chromium or axe-core they skip, unless CI is set.
package e2e
