package payment

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
)

// Anyone can post a notification. The bank's own, from the addresses the
// shop knows as the bank's (web decides: SINOPAY_NOTIFY_FROM), go through
// RecordCallback like the browser's returns: a row and a job each,
// confirmed first. Every other sender's go through RecordOther into
// shop.LaneOther, where they cannot delay the bank's:
//
//   - a PayToken recorded before is acknowledged with no write at all;
//   - at most Config.OtherBacklog wait at once; past that they are
//     answered 503, and a real bank sends again later;
//   - they are confirmed by the service's own workers (the row is the
//     work item; no job each), and only with a turn of the confirmation
//     limit that leaves half of its burst for LaneKnown: the bank's
//     notifications and the returns always find a turn, and the bank
//     calls of both lanes together stay within the limit;
//   - what the bank refused (a forged PayToken) is deleted an hour after
//     it was confirmed, so a flood leaves no lasting rows.

// ErrBacklogFull is returned (wrapped, with code Unavailable) when a
// notification of LaneOther finds Config.OtherBacklog waiting already.
var ErrBacklogFull = errors.New("payment: too many notifications from unknown senders are waiting")

const (
	// otherWorkers take and confirm the deliveries of LaneOther.
	otherWorkers = 2
	// otherBatch is how many deliveries a worker takes at once.
	otherBatch = 8
	// otherLease is how long a taken delivery stays with its worker
	// before another may take it: longer than a confirmation can take.
	otherLease = 2 * time.Minute
	// otherKept is how long a refused delivery of LaneOther is kept.
	otherKept = time.Hour
	// otherPoll is how often an idle worker looks for work at least.
	otherPoll = 250 * time.Millisecond
	// backlogFresh is how old the count of waiting deliveries may be.
	backlogFresh = 250 * time.Millisecond
)

// otherLane is the state of LaneOther in one instance.
type otherLane struct {
	wake chan struct{}

	mu      sync.Mutex
	waiting int       // deliveries waiting, as last counted, plus recorded and less confirmed here since
	counted time.Time // when waiting was counted; zero: never

	stop context.CancelFunc
	done sync.WaitGroup
}

// RecordOther durably records a notification from a sender not known as
// the bank's, in LaneOther, unless its PayToken has been recorded before.
// Only after it returns nil may the notification be acknowledged. It
// fails with ErrBacklogFull when OtherBacklog deliveries are waiting.
func (s *Service) RecordOther(ctx context.Context, n funbiz.Notification) error {
	if n.ShopNo != s.bank.ShopNo() {
		return shop.Errorf(shop.Invalid, "callback.other_shop", "callback for shop %q", n.ShopNo)
	}
	seen, err := s.db.PayTokenSeen(ctx, n.PayToken)
	if err != nil {
		return err
	}
	if seen {
		return nil
	}
	if err := s.roomInBacklog(ctx); err != nil {
		return err
	}
	if _, err := s.db.InsertOtherPayToken(ctx, n.PayToken, n.ShopNo, s.now()); err != nil {
		return err
	}
	s.other.mu.Lock()
	s.other.waiting++
	s.other.mu.Unlock()
	select {
	case s.other.wake <- struct{}{}:
	default:
	}
	return nil
}

// roomInBacklog fails with ErrBacklogFull when OtherBacklog deliveries
// are waiting, as counted at most backlogFresh ago (plus those this
// instance recorded since: other instances' can overshoot the bound by
// what they record in that time).
func (s *Service) roomInBacklog(ctx context.Context) error {
	o := &s.other
	o.mu.Lock()
	defer o.mu.Unlock()
	if now := time.Now(); now.Sub(o.counted) > backlogFresh {
		n, err := s.db.OtherBacklog(ctx)
		if err != nil {
			return err
		}
		o.waiting, o.counted = n, now
	}
	if o.waiting >= s.cfg.OtherBacklog {
		return shop.Wrap(shop.Unavailable, "error.unavailable", ErrBacklogFull, "%d waiting", o.waiting)
	}
	return nil
}

// otherTurn waits for a turn under the confirmation limit that leaves
// half the burst to LaneKnown, within ctx.
func (s *Service) otherTurn(ctx context.Context) error {
	if s.limit.Limit() == rate.Inf {
		return nil
	}
	reserve := float64(s.limit.Burst() / 2)
	tick := time.NewTicker(max(time.Duration(float64(time.Second)/float64(s.limit.Limit())), time.Millisecond))
	defer tick.Stop()
	for {
		if s.limit.Tokens() >= reserve+1 && s.limit.Allow() {
			return nil
		}
		select {
		case <-ctx.Done():
			return shop.Wrap(shop.Unavailable, "error.bank_unavailable", ErrBusy, "waiting to confirm a notification of an unknown sender")
		case <-tick.C:
		}
	}
}

// startOther runs the workers of LaneOther until stopOther.
func (s *Service) startOther() {
	ctx, cancel := context.WithCancel(context.Background())
	s.other.stop = cancel
	for range otherWorkers {
		s.other.done.Go(func() { s.otherWorker(ctx) })
	}
}

// stopOther stops the workers, waiting for them until ctx ends; what
// they had taken and not confirmed is taken again at once, here or by
// another instance.
func (s *Service) stopOther(ctx context.Context) {
	if s.other.stop == nil {
		return
	}
	s.other.stop()
	done := make(chan struct{})
	go func() { s.other.done.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (s *Service) otherWorker(ctx context.Context) {
	idle := time.NewTimer(0)
	defer idle.Stop()
	for ctx.Err() == nil {
		ids, attempts, err := s.db.TakeOtherPayTokens(ctx, otherBatch, otherLease, s.now())
		if err != nil && ctx.Err() == nil {
			s.log.Warn("cannot take notifications of unknown senders to confirm", "error", err)
		}
		if len(ids) == 0 {
			// Woken at once by what this instance records; what another
			// instance records waits for the poll.
			idle.Reset(max(s.cfg.PollInterval, otherPoll))
			select {
			case <-ctx.Done():
			case <-s.other.wake:
			case <-idle.C:
			}
			continue
		}
		for i, id := range ids {
			if ctx.Err() != nil {
				s.releaseOther(ids[i:], time.Time{})
				break
			}
			_, err := s.confirm(ctx, id, s.otherTurn)
			if err == nil {
				s.other.mu.Lock()
				s.other.waiting = max(s.other.waiting-1, 0)
				s.other.mu.Unlock()
				continue
			}
			// Not confirmed: at once after a stop, later after a failure.
			retry := time.Time{}
			if ctx.Err() == nil {
				retry = s.now().Add(confirmBackoff(attempts[i]))
				s.log.Info("notification of an unknown sender not confirmed; trying again later",
					"pay_token_id", id, "retry_at", retry, "error", err)
			}
			s.releaseOther(ids[i:i+1], retry)
		}
	}
}

// releaseOther gives back taken deliveries, to be taken again from at.
func (s *Service) releaseOther(ids []int64, at time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, id := range ids {
		if err := s.db.ReleaseOtherPayToken(ctx, id, at); err != nil {
			// The lease runs out on its own.
			s.log.Info("cannot give back a notification taken to confirm", "pay_token_id", id, "error", err)
		}
	}
}

// pruneOther deletes the refused deliveries of LaneOther confirmed more
// than otherKept ago.
func (s *Service) pruneOther(ctx context.Context) {
	n, err := s.db.PruneOtherPayTokens(ctx, s.now().Add(-otherKept))
	if err != nil {
		s.log.Warn("cannot prune refused notifications of unknown senders", "error", err)
		return
	}
	if n > 0 {
		s.log.Info("refused notifications of unknown senders pruned", "count", n)
	}
}
