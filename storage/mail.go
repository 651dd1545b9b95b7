package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// The shop's outbox: a message is a row of mails, inserted in the
// transaction of the event that causes it, and the row is its own work
// item (as a callback's PayToken row is): a sender takes due rows with a
// lease (TakeMails), renders and sends each, then marks it done.

// queueOrderMail queues the message kind about an order to its customer,
// once per key: a second event with the same key queues nothing.
//
// The API's orders (of the shop's own account, customers.system) get no
// message: the merchant who made them hears through webhooks.
func queueOrderMail(ctx context.Context, tx querier, key string, kind shop.MailKind, orderID int64, amount shop.Money, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO mails (event_key, kind, customer_id, order_id, amount, next_at, created_at)
		SELECT $1, $2, o.customer_id, o.id, $3, $4, $4 FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $5 AND c.system = 0
		ON CONFLICT (event_key) DO NOTHING`, key, string(kind), int64(amount), ms(now), orderID)
	return mapErr(err, "queue mail")
}

const mailColumns = `id, kind, customer_id, order_id, amount, secret, to_addr, lang, subject, text_body, html_body,
	status, attempts, next_at, last_error, created_at, done_at`

func scanMail(row interface{ Scan(...any) error }) (*shop.Mail, error) {
	var m shop.Mail
	var kind, status string
	var amount, next, created, done int64
	err := row.Scan(&m.ID, &kind, &m.CustomerID, &m.OrderID, &amount, &m.Secret, &m.To, &m.Lang, &m.Subject, &m.Text, &m.HTML,
		&status, &m.Attempts, &next, &m.LastError, &created, &done)
	if err != nil {
		return nil, err
	}
	m.Kind, m.Status, m.Amount = shop.MailKind(kind), shop.MailStatus(status), shop.Money(amount)
	m.NextAt, m.CreatedAt, m.DoneAt = fromMS(next), fromMS(created), fromMS(done)
	return &m, nil
}

// TakeMails leases up to n messages that are due: each is taken by one
// sender until now+lease (a sender that dies leaves it to be taken again
// then), and counts an attempt. Oldest first.
func (db *DB) TakeMails(ctx context.Context, n int, lease time.Duration, now time.Time) ([]*shop.Mail, error) {
	// A read first: on SQLite an UPDATE takes the write lock even when it
	// matches nothing, and idle senders ask every second.
	var one int
	err := db.q().QueryRowContext(ctx, `SELECT 1 FROM mails WHERE status = 'queued' AND next_at <= $1 LIMIT 1`, ms(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr(err, "take mail")
	}
	pick := `SELECT id FROM mails WHERE status = 'queued' AND next_at <= $2 ORDER BY next_at, id LIMIT $3`
	if db.Dialect == Postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	rows, err := db.q().QueryContext(ctx, `UPDATE mails SET next_at = $1, attempts = attempts + 1
		WHERE id IN (`+pick+`) AND status = 'queued' AND next_at <= $2 RETURNING `+mailColumns, ms(now.Add(lease)), ms(now), n)
	if err != nil {
		return nil, mapErr(err, "take mail")
	}
	defer rows.Close()
	var out []*shop.Mail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, mapErr(err, "take mail")
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "take mail")
	}
	slices.SortFunc(out, func(a, b *shop.Mail) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// SaveMail stores an attempt at a message taken with TakeMails, in one
// write: what it says (its address, language and text stay as first
// written, whatever changes later), and its Status. Queued puts it back
// to be tried at NextAt, with LastError saying why; any other status ends
// it at now. A sent reset message forgets its token and its text: the
// customer's mailbox has them now, the database need not. It changes
// nothing on a message no longer queued.
func (db *DB) SaveMail(ctx context.Context, m *shop.Mail, now time.Time) error {
	var err error
	if m.Status == shop.MailQueued {
		_, err = db.q().ExecContext(ctx, `UPDATE mails SET to_addr = $1, lang = $2, subject = $3, text_body = $4, html_body = $5,
			next_at = $6, last_error = $7 WHERE id = $8 AND status = 'queued'`,
			m.To, m.Lang, m.Subject, m.Text, m.HTML, ms(m.NextAt), m.LastError, m.ID)
		return mapErr(err, "save mail")
	}
	text, html, secret := m.Text, m.HTML, m.Secret
	if m.Status == shop.MailSent && secret != "" {
		text, html, secret = "", "", ""
	}
	_, err = db.q().ExecContext(ctx, `UPDATE mails SET to_addr = $1, lang = $2, subject = $3, text_body = $4, html_body = $5,
		status = $6, last_error = $7, done_at = $8, secret = $9 WHERE id = $10 AND status = 'queued'`,
		m.To, m.Lang, m.Subject, text, html, string(m.Status), m.LastError, ms(now), secret, m.ID)
	return mapErr(err, "save mail")
}

// ResendMail queues a message that ended (sent, kept or failed) to be
// sent again now, as it was written; NotFound when there is none, or its
// text is forgotten (a sent reset link).
func (db *DB) ResendMail(ctx context.Context, id int64, now time.Time) error {
	res, err := db.q().ExecContext(ctx, `UPDATE mails SET status = 'queued', next_at = $1, done_at = 0
		WHERE id = $2 AND status <> 'queued' AND (text_body <> '' OR subject = '')`, ms(now), id)
	if err != nil {
		return mapErr(err, "resend mail")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return shop.Errorf(shop.NotFound, "error.not_found", "mail %d", id)
	}
	return nil
}

// MailFilter narrows the outbox's list.
type MailFilter struct {
	Status shop.MailStatus // "" for any
	// CustomerID, when not 0, lists one customer's messages.
	CustomerID int64
}

// Mails lists messages, newest first, and how many match in all.
func (db *DB) Mails(ctx context.Context, f MailFilter, limit, offset int) ([]*shop.Mail, int, error) {
	var conds []string
	var args []any
	if f.Status != "" {
		args = append(args, string(f.Status))
		conds = append(conds, fmt.Sprintf("status = $%d", len(args)))
	}
	if f.CustomerID != 0 {
		args = append(args, f.CustomerID)
		conds = append(conds, fmt.Sprintf("customer_id = $%d", len(args)))
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	var total int
	if err := db.q().QueryRowContext(ctx, `SELECT COUNT(*) FROM mails `+where, args...).Scan(&total); err != nil {
		return nil, 0, mapErr(err, "count mail")
	}
	rows, err := db.q().QueryContext(ctx, `SELECT `+mailColumns+` FROM mails `+where+fmt.Sprintf(` ORDER BY id DESC LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2),
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, mapErr(err, "list mail")
	}
	defer rows.Close()
	var out []*shop.Mail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, 0, mapErr(err, "list mail")
		}
		out = append(out, m)
	}
	return out, total, mapErr(rows.Err(), "list mail")
}

// Mail returns one message; NotFound when there is none.
func (db *DB) Mail(ctx context.Context, id int64) (*shop.Mail, error) {
	m, err := scanMail(db.q().QueryRowContext(ctx, `SELECT `+mailColumns+` FROM mails WHERE id = $1`, id))
	if err != nil {
		return nil, mapErr(err, "mail")
	}
	return m, nil
}

// SetCustomerLang remembers the language a customer reads the shop in,
// for the e-mail sent to them.
func (db *DB) SetCustomerLang(ctx context.Context, customerID int64, lang string) error {
	_, err := db.q().ExecContext(ctx, `UPDATE customers SET lang = $1 WHERE id = $2 AND lang <> $1`, lang, customerID)
	return mapErr(err, "set customer language")
}

// CreatePasswordReset stores a reset link's token (hashed) for a
// customer, valid until expires, and queues the message that carries it,
// in one transaction.
func (db *DB) CreatePasswordReset(ctx context.Context, customerID int64, token string, now, expires time.Time) error {
	h := tokenHash(token)
	return db.Tx(ctx, func(sqltx *sql.Tx) error {
		tx := db.inTx(sqltx)
		// The shop's own accounts (the API's) have no password to reset.
		res, err := tx.ExecContext(ctx, `INSERT INTO password_resets (token_hash, customer_id, created_at, expires_at)
			SELECT $1, id, $3, $4 FROM customers WHERE id = $2 AND system = 0`,
			h, customerID, ms(now), ms(expires))
		if err != nil {
			return mapErr(err, "store password reset")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO mails (event_key, kind, customer_id, secret, next_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)`,
			"reset-"+h, string(shop.MailPasswordReset), customerID, token, ms(now))
		return mapErr(err, "queue mail")
	})
}

// PasswordResetCustomer returns the customer whose reset link token is,
// while it is unused and unexpired; NotFound otherwise.
func (db *DB) PasswordResetCustomer(ctx context.Context, token string, now time.Time) (int64, error) {
	var id int64
	err := db.q().QueryRowContext(ctx, `SELECT customer_id FROM password_resets WHERE token_hash = $1 AND used_at = 0 AND expires_at > $2`,
		tokenHash(token), ms(now)).Scan(&id)
	if err != nil {
		return 0, shop.Wrap(shop.NotFound, "reset.invalid", mapErr(err, "password reset"), "no such reset link")
	}
	return id, nil
}

// ResetPassword sets a new password through a reset link, in one
// transaction: the link and every other open link of the account are
// used up, and every session of the account ends. It returns the
// customer; a link unknown, used or expired is NotFound ("reset.invalid").
func (db *DB) ResetPassword(ctx context.Context, token, passwordHash string, now time.Time) (int64, error) {
	var id int64
	err := db.Tx(ctx, func(sqltx *sql.Tx) error {
		tx := db.inTx(sqltx)
		// The UPDATE first: of two uses of one link at once, one wins.
		err := tx.QueryRowContext(ctx, `UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at = 0 AND expires_at > $1 RETURNING customer_id`,
			ms(now), tokenHash(token)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return shop.Errorf(shop.NotFound, "reset.invalid", "no such reset link")
		}
		if err != nil {
			return mapErr(err, "use password reset")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET password_hash = $1 WHERE id = $2`, passwordHash, id); err != nil {
			return mapErr(err, "set password")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = $1 WHERE customer_id = $2 AND used_at = 0`, ms(now), id); err != nil {
			return mapErr(err, "use password resets")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE customer_id = $1`, id); err != nil {
			return mapErr(err, "end sessions")
		}
		return nil
	})
	return id, err
}

// MailCounts counts the outbox's messages by status.
func (db *DB) MailCounts(ctx context.Context) (map[shop.MailStatus]int, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT status, COUNT(*) FROM mails GROUP BY status`)
	if err != nil {
		return nil, mapErr(err, "count mail")
	}
	defer rows.Close()
	out := map[shop.MailStatus]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, mapErr(err, "count mail")
		}
		out[shop.MailStatus(st)] = n
	}
	return out, mapErr(rows.Err(), "count mail")
}
