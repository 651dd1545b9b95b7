package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// InsertPayToken records a callback delivery inside tx, so the caller can
// enqueue its confirmation in the same transaction.
func InsertPayToken(ctx context.Context, tx *sql.Tx, token, shopNo string, source shop.Source, now time.Time) (*shop.Delivery, error) {
	var b [16]byte
	rand.Read(b[:])
	d := &shop.Delivery{Ref: hex.EncodeToString(b[:]), Token: token, ShopNo: shopNo, Source: source, ReceivedAt: now.UTC()}
	err := tx.QueryRowContext(ctx, `INSERT INTO pay_tokens (ref, pay_token, shop_no, source, received_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		d.Ref, token, shopNo, string(source), ms(now)).Scan(&d.ID)
	if err != nil {
		return nil, mapErr(err, "record PayToken")
	}
	return d, nil
}

const tokenColumns = `id, ref, pay_token, shop_no, source, received_at, order_no, outcome, processed_at, lane, attempts`

func scanToken(row interface{ Scan(...any) error }) (*shop.Delivery, error) {
	var d shop.Delivery
	var source, outcome string
	var recv, proc int64
	if err := row.Scan(&d.ID, &d.Ref, &d.Token, &d.ShopNo, &source, &recv, &d.OrderNo, &outcome, &proc, &d.Lane, &d.Attempts); err != nil {
		return nil, err
	}
	d.Source, d.Outcome = shop.Source(source), decodeOutcome(outcome)
	d.ReceivedAt, d.ProcessedAt = fromMS(recv), fromMS(proc)
	return &d, nil
}

// deliveries runs a query of tokenColumns and names the deliveries the
// rows repeat. what names the query in errors.
func (db *DB) deliveries(ctx context.Context, what, query string, args ...any) ([]*shop.Delivery, error) {
	rows, err := db.q().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err, what)
	}
	defer rows.Close()
	var out []*shop.Delivery
	for rows.Next() {
		d, err := scanToken(rows)
		if err != nil {
			return nil, mapErr(err, what)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, what)
	}
	rows.Close()
	if err := db.nameRepeated(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// delivery is deliveries for a query of one row; no row is NotFound.
func (db *DB) delivery(ctx context.Context, query string, args ...any) (*shop.Delivery, error) {
	list, err := db.deliveries(ctx, "PayToken", query, args...)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, mapErr(sql.ErrNoRows, "PayToken")
	}
	return list[0], nil
}

// nameRepeated completes the Outcome.Repeats of the deliveries that
// repeat another, which the outcome column refers to by id (or, in rows
// written before, by ref), with one query. A delivery that no longer
// exists is left as it was referred to.
func (db *DB) nameRepeated(ctx context.Context, list []*shop.Delivery) error {
	var conds []string
	var args []any
	for _, d := range list {
		switch r := d.Outcome.Repeats; {
		case r == nil:
		case r.ID != 0:
			args = append(args, r.ID)
			conds = append(conds, "id = $"+strconv.Itoa(len(args)))
		case r.Ref != "":
			args = append(args, r.Ref)
			conds = append(conds, "ref = $"+strconv.Itoa(len(args)))
		}
	}
	if len(conds) == 0 {
		return nil
	}
	rows, err := db.q().QueryContext(ctx, `SELECT id, ref, source, received_at FROM pay_tokens WHERE `+strings.Join(conds, " OR "), args...)
	if err != nil {
		return mapErr(err, "repeated PayTokens")
	}
	defer rows.Close()
	byID, byRef := map[int64]shop.DeliveryRef{}, map[string]shop.DeliveryRef{}
	for rows.Next() {
		var r shop.DeliveryRef
		var source string
		var recv int64
		if err := rows.Scan(&r.ID, &r.Ref, &source, &recv); err != nil {
			return mapErr(err, "repeated PayTokens")
		}
		r.Source, r.ReceivedAt = shop.Source(source), fromMS(recv)
		byID[r.ID], byRef[r.Ref] = r, r
	}
	if err := rows.Err(); err != nil {
		return mapErr(err, "repeated PayTokens")
	}
	for _, d := range list {
		r := d.Outcome.Repeats
		if r == nil {
			continue
		}
		found, ok := byID[r.ID]
		if r.ID == 0 {
			found, ok = byRef[r.Ref]
		}
		if ok {
			*r = found
		}
	}
	return nil
}

// PayTokenByID reads one delivery.
func (db *DB) PayTokenByID(ctx context.Context, id int64) (*shop.Delivery, error) {
	return db.delivery(ctx, `SELECT `+tokenColumns+` FROM pay_tokens WHERE id = $1`, id)
}

// PayTokenByRef reads one delivery by its public reference.
func (db *DB) PayTokenByRef(ctx context.Context, ref string) (*shop.Delivery, error) {
	return db.delivery(ctx, `SELECT `+tokenColumns+` FROM pay_tokens WHERE ref = $1`, ref)
}

// MarkPayToken records what confirming a delivery did.
func (db *DB) MarkPayToken(ctx context.Context, id int64, orderNo string, outcome shop.Outcome, now time.Time) error {
	_, err := db.q().ExecContext(ctx, `UPDATE pay_tokens SET order_no = $1, outcome = $2, processed_at = $3 WHERE id = $4`,
		orderNo, encodeOutcome(outcome), ms(now), id)
	return mapErr(err, "mark PayToken")
}

// PayTokens lists deliveries for an order number, or all when orderNo is
// empty, newest first.
func (db *DB) PayTokens(ctx context.Context, orderNo string, limit int) ([]*shop.Delivery, error) {
	q, args := `SELECT `+tokenColumns+` FROM pay_tokens ORDER BY id DESC LIMIT $1`, []any{limit}
	if orderNo != "" {
		q, args = `SELECT `+tokenColumns+` FROM pay_tokens WHERE order_no = $1 ORDER BY id DESC LIMIT $2`, []any{orderNo, limit}
	}
	return db.deliveries(ctx, "PayTokens", q, args...)
}

// ProcessedTwin finds an already processed delivery of the same PayToken
// other than id; found is false when there is none.
func (db *DB) ProcessedTwin(ctx context.Context, token string, id int64) (twin *shop.Delivery, found bool, err error) {
	twin, err = db.delivery(ctx, `SELECT `+tokenColumns+` FROM pay_tokens
		WHERE pay_token = $1 AND id <> $2 AND processed_at <> 0 ORDER BY id LIMIT 1`, token, id)
	if shop.IsCode(err, shop.NotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return twin, true, nil
}

// The outcome column of pay_tokens holds a shop.Outcome as text: its
// kind, then fields after semicolons, the detail last since it may hold
// anything:
//
//	paid
//	paid;unchanged
//	paid;repeats=42                     (the delivery with id 42 asked the bank)
//	mismatch;unchanged;detail=amount 1950, want 1000
//	refused;detail=E0302 – 查無資料
//
// Rows written before this form have "kind", "kind: detail", then
// " (no change)" and, for a repeat, " (as <ref>)"; decodeOutcome reads
// them too. A kind is made of lower-case letters and '-', so the
// character after it tells the two forms apart.

func encodeOutcome(o shop.Outcome) string {
	if o.Kind == "" {
		return ""
	}
	s := string(o.Kind)
	if o.Unchanged {
		s += ";unchanged"
	}
	if o.Repeats != nil {
		s += ";repeats=" + strconv.FormatInt(o.Repeats.ID, 10)
	}
	if o.Detail != "" {
		s += ";detail=" + o.Detail
	}
	return s
}

func decodeOutcome(s string) shop.Outcome {
	end := strings.IndexAny(s, ";: ")
	if end < 0 {
		return shop.Outcome{Kind: shop.OutcomeKind(s)}
	}
	if s[end] != ';' {
		return decodeOldOutcome(s)
	}
	o := shop.Outcome{Kind: shop.OutcomeKind(s[:end])}
	for rest := s[end+1:]; rest != ""; {
		if detail, ok := strings.CutPrefix(rest, "detail="); ok {
			o.Detail = detail
			break
		}
		var field string
		field, rest, _ = strings.Cut(rest, ";")
		switch name, value, _ := strings.Cut(field, "="); name {
		case "unchanged":
			o.Unchanged = true
		case "repeats":
			id, _ := strconv.ParseInt(value, 10, 64)
			o.Repeats = &shop.DeliveryRef{ID: id}
		}
	}
	return o
}

// decodeOldOutcome reads an outcome in the form written before the
// fields: "kind[: detail][ (no change)][ (as <ref>)]".
func decodeOldOutcome(s string) shop.Outcome {
	var o shop.Outcome
	if i := strings.LastIndex(s, " (as "); i >= 0 && strings.HasSuffix(s, ")") {
		if ref := s[i+len(" (as ") : len(s)-1]; isHex(ref) {
			o.Repeats = &shop.DeliveryRef{Ref: ref}
			s = s[:i]
		}
	}
	s, o.Unchanged = strings.CutSuffix(s, " (no change)")
	kind, detail, _ := strings.Cut(s, ": ")
	o.Kind, o.Detail = shop.OutcomeKind(kind), detail
	if o.Repeats != nil {
		// A repeat changed nothing itself; the " (no change)" it carried
		// was the earlier delivery's.
		o.Unchanged = false
	}
	return o
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return s != "" && err == nil
}
