package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// Every recorded callback is its own work item: a row of pay_tokens
// waiting (processed_at 0) is taken by a lease (lease_until), confirmed,
// and marked processed; a lease that runs out (its instance died, or the
// bank could not be asked) makes it waiting again. No job is enqueued for
// a callback, so recording one is one row, and a forged PayToken costs
// that row and nothing more.

// InsertOtherPayToken records a notification from a sender not known as
// the bank's, in shop.LaneOther, to be taken by TakePayTokens.
func (db *DB) InsertOtherPayToken(ctx context.Context, token, shopNo string, now time.Time) (*shop.Delivery, error) {
	return db.RecordPayToken(ctx, NewDelivery{Token: token, ShopNo: shopNo, Source: shop.SourceNotify, Lane: shop.LaneOther, At: now})
}

// PayTokenSeen reports whether a delivery of token has been recorded
// already, in any lane.
func (db *DB) PayTokenSeen(ctx context.Context, token string) (bool, error) {
	var one int
	err := db.q().QueryRowContext(ctx, `SELECT 1 FROM pay_tokens WHERE pay_token = $1 LIMIT 1`, token).Scan(&one)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, mapErr(err, "look up PayToken")
	}
	return true, nil
}

// WaitingCallbacks counts the deliveries not processed yet, by lane.
func (db *DB) WaitingCallbacks(ctx context.Context) (map[shop.Lane]int, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT lane, COUNT(*) FROM pay_tokens WHERE processed_at = 0 GROUP BY lane`)
	if err != nil {
		return nil, mapErr(err, "count waiting PayTokens")
	}
	defer rows.Close()
	out := map[shop.Lane]int{}
	for rows.Next() {
		var lane shop.Lane
		var n int
		if err := rows.Scan(&lane, &n); err != nil {
			return nil, mapErr(err, "count waiting PayTokens")
		}
		out[lane] = n
	}
	return out, mapErr(rows.Err(), "count waiting PayTokens")
}

// OtherBacklog counts the deliveries of shop.LaneOther not processed yet.
func (db *DB) OtherBacklog(ctx context.Context) (int, error) {
	var n int
	err := db.q().QueryRowContext(ctx, `SELECT COUNT(*) FROM pay_tokens WHERE lane = 1 AND processed_at = 0`).Scan(&n)
	return n, mapErr(err, "count waiting PayTokens")
}

// Taken is a delivery taken to confirm.
type Taken struct {
	ID int64
	// Attempts is how often it has been taken, this take included.
	Attempts int
	// Origin is the telemetry.Origin of the request that brought it.
	Origin []byte
}

// TakePayTokens leases up to n waiting deliveries of lane, oldest first,
// whose lease has run out, until now+lease. Instances sharing a database
// never take the same row while its lease runs.
func (db *DB) TakePayTokens(ctx context.Context, lane shop.Lane, n int, lease time.Duration, now time.Time) ([]Taken, error) {
	// A read first: on SQLite an UPDATE takes the write lock even when it
	// matches nothing, and idle workers ask often.
	var one int
	err := db.q().QueryRowContext(ctx, `SELECT 1 FROM pay_tokens WHERE lane = $1 AND processed_at = 0 AND lease_until < $2 LIMIT 1`,
		int(lane), ms(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr(err, "take waiting PayTokens")
	}
	pick := `SELECT id FROM pay_tokens WHERE lane = $4 AND processed_at = 0 AND lease_until < $2 ORDER BY id LIMIT $3`
	if db.Dialect == Postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	rows, err := db.q().QueryContext(ctx, `UPDATE pay_tokens SET lease_until = $1, attempts = attempts + 1
		WHERE id IN (`+pick+`) RETURNING id, attempts, origin`, ms(now.Add(lease)), ms(now), n, int(lane))
	if err != nil {
		return nil, mapErr(err, "take waiting PayTokens")
	}
	defer rows.Close()
	var taken []Taken
	for rows.Next() {
		var t Taken
		var orig string
		if err := rows.Scan(&t.ID, &t.Attempts, &orig); err != nil {
			return nil, mapErr(err, "take waiting PayTokens")
		}
		if orig != "" {
			t.Origin = []byte(orig)
		}
		taken = append(taken, t)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "take waiting PayTokens")
	}
	// RETURNING comes in no particular order: oldest first.
	slices.SortFunc(taken, func(a, b Taken) int { return cmp.Compare(a.ID, b.ID) })
	return taken, nil
}

// ReleasePayToken ends the lease of a delivery not processed, so that it
// is taken again from at on.
func (db *DB) ReleasePayToken(ctx context.Context, id int64, at time.Time) error {
	_, err := db.q().ExecContext(ctx, `UPDATE pay_tokens SET lease_until = $1 WHERE id = $2 AND processed_at = 0`, ms(at), id)
	return mapErr(err, "release PayToken")
}

// RetryPayTokenNow makes a delivery not processed yet waiting again at
// once, whatever its backoff, and returns its lane; NotFound when there
// is no such delivery or it is processed already.
func (db *DB) RetryPayTokenNow(ctx context.Context, id int64) (shop.Lane, error) {
	var lane shop.Lane
	err := db.q().QueryRowContext(ctx, `UPDATE pay_tokens SET lease_until = 0 WHERE id = $1 AND processed_at = 0 RETURNING lane`, id).Scan(&lane)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, shop.Errorf(shop.NotFound, "admin.tokens.gone", "PayToken %d is confirmed already, or was never recorded", id)
	}
	return lane, mapErr(err, "retry PayToken")
}

// PruneOtherPayTokens deletes the deliveries of shop.LaneOther processed
// before cutoff that the bank refused (a PayToken it does not know: a
// forgery or a mistake), which nothing refers to, and returns how many.
// What the bank knew stays, whoever sent it.
func (db *DB) PruneOtherPayTokens(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := db.q().ExecContext(ctx, `DELETE FROM pay_tokens
		WHERE lane = 1 AND processed_at <> 0 AND processed_at < $1 AND outcome LIKE 'refused%'`, ms(cutoff))
	if err != nil {
		return 0, mapErr(err, "prune PayTokens")
	}
	n, _ := res.RowsAffected()
	return n, nil
}
