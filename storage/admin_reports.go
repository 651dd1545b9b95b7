package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// Movement is money that moved on an order by our own books: a
// collection (Kind "P", as the bank's BillQuery says) or a refund ("R").
type Movement struct {
	OrderNo string
	PayType shop.PayType
	Kind    string
	Amount  shop.Money
	At      time.Time
}

// Ledger lists the money that moved in [from, to) by our books, in time
// order. A collection is the payment of an ATM order or of a card order
// the bank charged at once (the "paid" event), or the capture of a
// manual-capture card order (the charge happens then, not at the
// authorisation); a refund is a refund the bank did. Cancelled
// authorisations moved no money and are not listed, nor do the orders at
// the test bank, whose money is not real and not in the shop's bank's
// statement. A payment is dated as the bank dates it (its PayDate, as the
// bank's statement does) when the bank said, else when the shop heard.
func (db *DB) Ledger(ctx context.Context, from, to time.Time) ([]Movement, error) {
	rows, err := db.q().QueryContext(ctx, `
		SELECT o.order_no, o.pay_type, 'P', o.amount, e.bank_at FROM payment_events e JOIN orders o ON o.id = e.order_id
		 WHERE e.event = 'paid' AND e.bank_at >= $1 AND e.bank_at < $2 AND NOT (o.pay_type = 'C' AND o.capture = 'manual') AND o.test_bank = 0
		UNION ALL
		SELECT o.order_no, o.pay_type, 'P', o.amount, e.at FROM payment_events e JOIN orders o ON o.id = e.order_id
		 WHERE e.event = 'paid' AND e.bank_at = 0 AND e.at >= $1 AND e.at < $2 AND NOT (o.pay_type = 'C' AND o.capture = 'manual') AND o.test_bank = 0
		UNION ALL
		SELECT o.order_no, o.pay_type, CASE p.op WHEN 'capture' THEN 'P' ELSE 'R' END, p.amount, p.updated_at
		  FROM order_ops p JOIN orders o ON o.id = p.order_id
		 WHERE p.state = 'done' AND p.op IN ('capture', 'refund') AND p.updated_at >= $1 AND p.updated_at < $2 AND o.test_bank = 0
		ORDER BY 5, 1`, ms(from), ms(to))
	if err != nil {
		return nil, mapErr(err, "ledger")
	}
	defer rows.Close()
	var out []Movement
	for rows.Next() {
		var m Movement
		var payType string
		var amount, at int64
		if err := rows.Scan(&m.OrderNo, &payType, &m.Kind, &amount, &at); err != nil {
			return nil, mapErr(err, "ledger")
		}
		m.PayType, m.Amount, m.At = shop.PayType(payType), shop.Money(amount), fromMS(at)
		out = append(out, m)
	}
	return out, mapErr(rows.Err(), "ledger")
}

// SaveReport stores rep, which a list of reports reads back without its
// rows, and deletes all but the keep newest reports, in one transaction.
// It sets rep's ID and CreatedAt.
func (db *DB) SaveReport(ctx context.Context, rep *shop.Report, keep int, now time.Time) error {
	body, err := json.Marshal(rep)
	if err != nil {
		return shop.Wrap(shop.Internal, "", err, "encoding a report")
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO recon_reports (day, source, admin_email, matched, differs, missing_bank, missing_shop, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			rep.Day, string(rep.Source), rep.AdminEmail, rep.Counts[shop.VerdictMatched], rep.Counts[shop.VerdictDiffers],
			rep.Counts[shop.VerdictMissingBank], rep.Counts[shop.VerdictMissingShop], string(body), ms(now)).Scan(&rep.ID)
		if err != nil {
			return mapErr(err, "save report")
		}
		rep.CreatedAt = now.UTC()
		_, err = tx.ExecContext(ctx, `DELETE FROM recon_reports WHERE id NOT IN (SELECT id FROM recon_reports ORDER BY id DESC LIMIT $1)`, keep)
		return mapErr(err, "prune reports")
	})
}

const reportColumns = `id, day, source, admin_email, matched, differs, missing_bank, missing_shop, created_at`

// scanReport reads a report's columns, and its body into body when body
// is not nil.
func scanReport(row interface{ Scan(...any) error }, body *string) (*shop.Report, error) {
	var r shop.Report
	var source string
	var matched, differs, missingBank, missingShop int
	var created int64
	dest := []any{&r.ID, &r.Day, &source, &r.AdminEmail, &matched, &differs, &missingBank, &missingShop, &created}
	if body != nil {
		dest = append(dest, body)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	r.Source, r.CreatedAt = shop.ReportSource(source), fromMS(created)
	r.Counts = map[shop.Verdict]int{shop.VerdictMatched: matched, shop.VerdictDiffers: differs,
		shop.VerdictMissingBank: missingBank, shop.VerdictMissingShop: missingShop}
	return &r, nil
}

// Reports lists the stored reports, newest first, with their counts but
// without their rows.
func (db *DB) Reports(ctx context.Context, limit int) ([]*shop.Report, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT `+reportColumns+` FROM recon_reports ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, mapErr(err, "reports")
	}
	defer rows.Close()
	var out []*shop.Report
	for rows.Next() {
		r, err := scanReport(rows, nil)
		if err != nil {
			return nil, mapErr(err, "reports")
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err(), "reports")
}

// ReportByID reads one report with its rows. A body that cannot be read
// is Internal.
func (db *DB) ReportByID(ctx context.Context, id int64) (*shop.Report, error) {
	var body string
	r, err := scanReport(db.q().QueryRowContext(ctx, `SELECT `+reportColumns+`, body FROM recon_reports WHERE id = $1`, id), &body)
	if err != nil {
		return nil, mapErr(err, "report")
	}
	// The body holds the rows and settlements; the columns who made the
	// report, when, and its counts.
	var rep shop.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		return nil, shop.Wrap(shop.Internal, "", err, "report %d", id)
	}
	rep.ID, rep.Source, rep.AdminEmail, rep.CreatedAt, rep.Counts = r.ID, r.Source, r.AdminEmail, r.CreatedAt, r.Counts
	return &rep, nil
}
