package storage

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"slices"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// The notifications of shop.LaneOther are their own work items: a row of
// pay_tokens waiting (processed_at 0) is taken by a lease (lease_until),
// confirmed, and marked processed; a lease that runs out (its instance
// died, or the bank could not be asked) makes it waiting again. No job is
// enqueued for them, so a forged PayToken costs one row.

// InsertOtherPayToken records a notification from a sender not known as
// the bank's, in shop.LaneOther, to be taken by TakeOtherPayTokens.
func (db *DB) InsertOtherPayToken(ctx context.Context, token, shopNo string, now time.Time) (*shop.Delivery, error) {
	var b [16]byte
	rand.Read(b[:])
	d := &shop.Delivery{Ref: hex.EncodeToString(b[:]), Token: token, ShopNo: shopNo, Source: shop.SourceNotify,
		ReceivedAt: now.UTC(), Lane: shop.LaneOther}
	err := db.SQL.QueryRowContext(ctx, `INSERT INTO pay_tokens (ref, pay_token, shop_no, source, received_at, lane)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		d.Ref, token, shopNo, string(d.Source), ms(now), int(shop.LaneOther)).Scan(&d.ID)
	if err != nil {
		return nil, mapErr(err, "record PayToken")
	}
	return d, nil
}

// PayTokenSeen reports whether a delivery of token has been recorded
// already, in any lane.
func (db *DB) PayTokenSeen(ctx context.Context, token string) (bool, error) {
	var one int
	err := db.SQL.QueryRowContext(ctx, `SELECT 1 FROM pay_tokens WHERE pay_token = $1 LIMIT 1`, token).Scan(&one)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, mapErr(err, "look up PayToken")
	}
	return true, nil
}

// OtherBacklog counts the deliveries of shop.LaneOther not processed yet.
func (db *DB) OtherBacklog(ctx context.Context) (int, error) {
	var n int
	err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM pay_tokens WHERE lane = 1 AND processed_at = 0`).Scan(&n)
	return n, mapErr(err, "count waiting PayTokens")
}

// TakeOtherPayTokens leases up to n waiting deliveries of
// shop.LaneOther, oldest first, whose lease has run out, until now+lease,
// and returns their ids with how often each has been taken (this take
// included). Instances sharing a database never take the same row while
// its lease runs.
func (db *DB) TakeOtherPayTokens(ctx context.Context, n int, lease time.Duration, now time.Time) (ids []int64, attempts []int, err error) {
	// A read first: on SQLite an UPDATE takes the write lock even when it
	// matches nothing, and idle workers ask often.
	var one int
	err = db.SQL.QueryRowContext(ctx, `SELECT 1 FROM pay_tokens WHERE lane = 1 AND processed_at = 0 AND lease_until < $1 LIMIT 1`,
		ms(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, mapErr(err, "take waiting PayTokens")
	}
	pick := `SELECT id FROM pay_tokens WHERE lane = 1 AND processed_at = 0 AND lease_until < $2 ORDER BY id LIMIT $3`
	if db.Dialect == Postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	rows, err := db.SQL.QueryContext(ctx, `UPDATE pay_tokens SET lease_until = $1, attempts = attempts + 1
		WHERE id IN (`+pick+`) RETURNING id, attempts`, ms(now.Add(lease)), ms(now), n)
	if err != nil {
		return nil, nil, mapErr(err, "take waiting PayTokens")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var a int
		if err := rows.Scan(&id, &a); err != nil {
			return nil, nil, mapErr(err, "take waiting PayTokens")
		}
		ids, attempts = append(ids, id), append(attempts, a)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, mapErr(err, "take waiting PayTokens")
	}
	// RETURNING comes in no particular order: oldest first.
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(ids[a], ids[b]) })
	sortedIDs, sortedAttempts := make([]int64, len(ids)), make([]int, len(ids))
	for i, j := range order {
		sortedIDs[i], sortedAttempts[i] = ids[j], attempts[j]
	}
	return sortedIDs, sortedAttempts, nil
}

// ReleaseOtherPayToken ends the lease of a delivery not processed, so
// that it is taken again from at on.
func (db *DB) ReleaseOtherPayToken(ctx context.Context, id int64, at time.Time) error {
	_, err := db.SQL.ExecContext(ctx, `UPDATE pay_tokens SET lease_until = $1 WHERE id = $2 AND processed_at = 0`, ms(at), id)
	return mapErr(err, "release PayToken")
}

// PruneOtherPayTokens deletes the deliveries of shop.LaneOther processed
// before cutoff that the bank refused (a PayToken it does not know: a
// forgery or a mistake), which nothing refers to, and returns how many.
// What the bank knew stays, whoever sent it.
func (db *DB) PruneOtherPayTokens(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := db.SQL.ExecContext(ctx, `DELETE FROM pay_tokens
		WHERE lane = 1 AND processed_at <> 0 AND processed_at < $1 AND outcome LIKE 'refused%'`, ms(cutoff))
	if err != nil {
		return 0, mapErr(err, "prune PayTokens")
	}
	n, _ := res.RowsAffected()
	return n, nil
}
