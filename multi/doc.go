// Package multi tests the shop as it runs in production: several
// `sinopay serve` processes on one PostgreSQL database and a bank (the
// sandbox process) calling them back, and a database that goes away and
// comes back while they run. It has only tests; they need PostgreSQL and
// skip without it, unless CI is set.
package multi
