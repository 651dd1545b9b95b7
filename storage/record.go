package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/sinopay/sinopay/internal/telemetry"
	"github.com/sinopay/sinopay/shop"
)

// A callback is acknowledged only once its row is committed, and on
// SQLite every commit takes the one write lock: a burst of notifications,
// each committing its own row, spends its time waiting for that lock and
// writing the same pages to the WAL again and again. RecordPayToken
// therefore commits together the rows that arrive while a commit is under
// way (group commit): one goroutine writes them, as many as are waiting,
// in one transaction, and answers each caller when it is committed. A
// caller alone pays one transaction, as before; a busy shop pays one per
// batch. PostgreSQL takes concurrent commits, but each costs its backend
// a WAL flush and the shop a round trip: there two writers each commit
// what waits as one INSERT of many rows.

// maxGroup bounds the rows of one group commit.
const maxGroup = 256

// NewDelivery is a callback delivery to record.
type NewDelivery struct {
	Token, ShopNo string
	Source        shop.Source
	Lane          shop.Lane
	// HeldUntil is when the service's workers may take it to confirm: zero
	// at once. A card return, confirmed by the request that brought it,
	// is held a while so that no worker asks the bank about it twice.
	HeldUntil time.Time
	At        time.Time
}

// RecordPayToken durably records a callback delivery, to be taken by
// TakePayTokens. When it returns nil the row is committed.
func (db *DB) RecordPayToken(ctx context.Context, n NewDelivery) (d *shop.Delivery, err error) {
	orig := string(telemetry.Origin(ctx))
	ctx, span := telemetry.Tracer().Start(ctx, "db.transaction", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", db.systemName())))
	defer func() {
		if err != nil {
			span.SetStatus(codes.Error, "not recorded")
		}
		span.SetAttributes(attribute.Bool("db.committed", err == nil))
		span.End()
	}()
	var b [16]byte
	rand.Read(b[:])
	d = &shop.Delivery{Ref: hex.EncodeToString(b[:]), Token: n.Token, ShopNo: n.ShopNo, Source: n.Source,
		ReceivedAt: n.At.UTC(), Lane: n.Lane}
	var held int64
	if !n.HeldUntil.IsZero() {
		held = ms(n.HeldUntil)
	}
	r := &recordReq{d: d, held: held, at: ms(n.At), origin: orig, done: make(chan error, 1)}
	g := db.group()
	select {
	case g.reqs <- r:
	case <-g.closed:
		return nil, unavailable(errors.New("database closed"))
	case <-ctx.Done():
		return nil, unavailable(ctx.Err())
	}
	select {
	case err := <-r.done:
		span.SetAttributes(attribute.Int("db.group_size", r.group))
		if err != nil {
			return nil, err
		}
		return d, nil
	case <-ctx.Done():
		// It may yet be committed, and confirmed: a delivery that was not
		// acknowledged costs nothing but a row, and the bank sends again.
		return nil, unavailable(ctx.Err())
	}
}

const insertPayToken = `INSERT INTO pay_tokens (ref, pay_token, shop_no, source, received_at, lane, lease_until, origin)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`

type recordReq struct {
	d        *shop.Delivery
	held, at int64
	origin   string
	group    int // the rows committed with it, itself included; set before done
	done     chan error
}

// groupCommit is the writers of RecordPayToken.
type groupCommit struct {
	reqs   chan *recordReq
	closed chan struct{}
	done   chan struct{}
}

// group starts the writers on first use: one on SQLite, whose writes
// take turns anyway, two on PostgreSQL.
func (db *DB) group() *groupCommit {
	db.groupOnce.Do(func() {
		g := &groupCommit{reqs: make(chan *recordReq), closed: make(chan struct{}), done: make(chan struct{})}
		db.groupW = g
		writers := 1
		if db.Dialect == Postgres {
			writers = 2
		}
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() { db.writeGroups(g) })
		}
		go func() { wg.Wait(); close(g.done) }()
	})
	return db.groupW
}

// stopGroup ends the writer, after the batch under way; RecordPayToken
// fails from then on.
func (db *DB) stopGroup() {
	db.groupOnce.Do(func() {
		// None started: none will be.
		db.groupW = &groupCommit{closed: make(chan struct{}), done: make(chan struct{})}
		close(db.groupW.done)
	})
	g := db.groupW
	db.groupStop.Do(func() { close(g.closed) })
	<-g.done
}

func (db *DB) writeGroups(g *groupCommit) {
	batch := make([]*recordReq, 0, maxGroup)
	for {
		select {
		case r := <-g.reqs:
			batch = append(batch[:0], r)
		case <-g.closed:
			return
		}
	more:
		for len(batch) < maxGroup {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		var err error
		if db.Dialect == Postgres {
			err = db.insertRows(batch)
		} else {
			err = db.insertGroup(batch)
		}
		for _, r := range batch {
			r.group = len(batch)
			r.done <- err
		}
		clear(batch)
	}
}

// insertGroup commits the rows of batch in one transaction; on error none
// is recorded. The transaction's span is each caller's.
func (db *DB) insertGroup(batch []*recordReq) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	defer tx.Rollback()
	q := db.inTx(tx)
	for _, r := range batch {
		d := r.d
		if err := q.QueryRowContext(ctx, insertPayToken, d.Ref, d.Token, d.ShopNo, string(d.Source), r.at, int(d.Lane), r.held, r.origin).Scan(&d.ID); err != nil {
			return mapErr(err, "record PayToken")
		}
	}
	if err := db.CheckFile(); err != nil {
		return err
	}
	return mapErr(tx.Commit(), "commit")
}

// insertRows commits the rows of batch as one INSERT (PostgreSQL); on
// error none is recorded.
func (db *DB) insertRows(batch []*recordReq) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var q strings.Builder
	q.WriteString(`INSERT INTO pay_tokens (ref, pay_token, shop_no, source, received_at, lane, lease_until, origin) VALUES `)
	args := make([]any, 0, 8*len(batch))
	byRef := make(map[string]*shop.Delivery, len(batch))
	for i, r := range batch {
		if i > 0 {
			q.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
		d := r.d
		args = append(args, d.Ref, d.Token, d.ShopNo, string(d.Source), r.at, int(d.Lane), r.held, r.origin)
		byRef[d.Ref] = d
	}
	q.WriteString(` RETURNING id, ref`)
	rows, err := db.SQL.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return mapErr(err, "record PayToken")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var ref string
		if err := rows.Scan(&id, &ref); err != nil {
			return mapErr(err, "record PayToken")
		}
		if d := byRef[ref]; d != nil {
			d.ID = id
		}
	}
	if err := rows.Err(); err != nil {
		return mapErr(err, "record PayToken")
	}
	for _, r := range batch {
		if r.d.ID == 0 {
			return unavailable(errors.New("record PayToken: a row came back without its id"))
		}
	}
	return nil
}

// groupState is the part of DB that RecordPayToken's writer keeps.
type groupState struct {
	groupOnce sync.Once
	groupStop sync.Once
	groupW    *groupCommit
}
