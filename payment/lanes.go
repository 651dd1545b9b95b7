package payment

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/internal/telemetry"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// Anyone can post a notification. The bank's own, from the addresses the
// shop knows as the bank's (web decides: SINOPAY_NOTIFY_FROM), go through
// RecordCallback like the browser's returns, into shop.LaneKnown. Every
// other sender's go through RecordOther into shop.LaneOther, where they
// cannot delay the bank's:
//
//   - a PayToken recorded before is acknowledged with no write at all;
//   - at most Config.OtherBacklog wait at once; past that they are
//     answered 503, and a real bank sends again later;
//   - they are confirmed by workers of their own, and only with a turn of
//     the confirmation limit that leaves half of its burst for
//     LaneKnown's returns; the bank calls of both lanes together stay
//     within the limit;
//   - what the bank refused (a forged PayToken) is deleted an hour after
//     it was confirmed, so a flood leaves no lasting rows.
//
// In both lanes the row is the work item (storage.TakePayTokens): no job
// each, so a callback is acknowledged after one small write. The bank's
// own notifications take no turn of the confirmation limit at all: they
// come from the bank, one per payment, and an honest shop's rush of
// payments must not wait behind a limit that is there for forgeries. The
// returns, which any browser can post, take a turn when one is free and
// wait for the next otherwise; their payment's notification, from the
// bank, confirms it meanwhile.

// ErrBacklogFull is returned (wrapped, with code Unavailable) when a
// notification of LaneOther finds Config.OtherBacklog waiting already.
var ErrBacklogFull = errors.New("payment: too many notifications from unknown senders are waiting")

const (
	// knownWorkers and otherWorkers take and confirm the deliveries of
	// each lane: the known lane's wait mostly on the bank's answers.
	knownWorkers = 6
	otherWorkers = 2
	// knownBatch and otherBatch are how many deliveries a worker takes at
	// once.
	knownBatch = 2
	otherBatch = 8
	// otherKept is how long a refused delivery of LaneOther is kept.
	otherKept = time.Hour
	// lanePoll is how often an idle worker looks for work at least: what
	// this instance records wakes one at once, another instance's waits
	// for the poll.
	lanePoll = 250 * time.Millisecond
	// backlogFresh is how old the count of waiting deliveries may be.
	backlogFresh = 250 * time.Millisecond
	// busyRetry is when a return that found no turn of the limit is
	// tried again.
	busyRetry = time.Second
)

// lanes are the workers of both lanes in one instance.
type lanes struct {
	wake [2]chan struct{} // by shop.Lane

	stop context.CancelFunc
	done sync.WaitGroup
}

// otherLane is the state of LaneOther's backlog in one instance.
type otherLane struct {
	mu      sync.Mutex
	waiting int       // deliveries waiting, as last counted, plus recorded and less confirmed here since
	counted time.Time // when waiting was counted; zero: never
}

// RecordOther durably records a notification from a sender not known as
// the bank's, in LaneOther, unless its PayToken has been recorded before.
// Only after it returns nil may the notification be acknowledged. It
// fails with ErrBacklogFull when OtherBacklog deliveries are waiting.
func (s *Service) RecordOther(ctx context.Context, n funbiz.Notification) error {
	if bank, _ := s.bankFor(n.ShopNo); bank == nil {
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
	s.wakeLane(shop.LaneOther)
	return nil
}

// wakeLane tells an idle worker of lane that there is work.
func (s *Service) wakeLane(l shop.Lane) {
	select {
	case s.lanes.wake[l] <- struct{}{}:
	default:
	}
}

// roomInBacklog fails with ErrBacklogFull when OtherBacklog deliveries
// are waiting, as counted at most backlogFresh ago (plus those this
// instance recorded since: other instances' can overshoot the bound by
// what they record in that time).
func (s *Service) roomInBacklog(ctx context.Context) error {
	o := &s.other
	o.mu.Lock()
	defer o.mu.Unlock()
	fresh := s.cfg.BacklogRecount
	if fresh <= 0 {
		fresh = backlogFresh
	}
	if now := time.Now(); now.Sub(o.counted) > fresh {
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
func (s *Service) otherTurn(ctx context.Context, _ *shop.Delivery) error {
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

// knownTurn is the turn of a delivery of LaneKnown: none needed for the
// bank's own notification, one free now for a return.
func (s *Service) knownTurn(ctx context.Context, d *shop.Delivery) error {
	if d.Source == shop.SourceNotify {
		return nil
	}
	return s.tryTurn(ctx, d)
}

// lease is how long a taken delivery stays with its worker before
// another may take it: the time after which a job counts as stuck.
func (s *Service) lease() time.Duration {
	if s.cfg.RescueAfter > 0 {
		return s.cfg.RescueAfter
	}
	return 2 * time.Minute
}

// startLanes runs the workers of both lanes until stopLanes.
func (s *Service) startLanes() {
	ctx, cancel := context.WithCancel(context.Background())
	s.lanes.stop = cancel
	for range knownWorkers {
		s.lanes.done.Go(func() { s.laneWorker(ctx, shop.LaneKnown, knownBatch, s.knownTurn) })
	}
	for range otherWorkers {
		s.lanes.done.Go(func() { s.laneWorker(ctx, shop.LaneOther, otherBatch, s.otherTurn) })
	}
}

// stopLanes stops the workers, waiting for them until ctx ends; what
// they had taken and not confirmed is taken again at once, here or by
// another instance.
func (s *Service) stopLanes(ctx context.Context) {
	if s.lanes.stop == nil {
		return
	}
	s.lanes.stop()
	done := make(chan struct{})
	go func() { s.lanes.done.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (s *Service) laneWorker(ctx context.Context, lane shop.Lane, batch int, turn func(context.Context, *shop.Delivery) error) {
	idle := time.NewTimer(0)
	defer idle.Stop()
	lease := s.lease()
	failing := false // said once per outage, not at every poll
	for ctx.Err() == nil {
		taken, err := s.db.TakePayTokens(ctx, lane, batch, lease, s.now())
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			failing = true
			s.log.Warn("cannot take callbacks to confirm; trying again every poll", "lane", lane, "error", err)
		case err == nil && failing:
			failing = false
			s.log.Info("taking callbacks to confirm again", "lane", lane)
		}
		if len(taken) == 0 {
			idle.Reset(max(s.cfg.PollInterval, lanePoll))
			select {
			case <-ctx.Done():
			case <-s.lanes.wake[lane]:
			case <-idle.C:
			}
			continue
		}
		if len(taken) == batch {
			// There may be more: another worker may take them meanwhile.
			s.wakeLane(lane)
		}
		for i, t := range taken {
			if ctx.Err() != nil {
				s.release(taken[i:], time.Time{})
				break
			}
			err := s.confirmTaken(ctx, t, lane, lease, turn)
			if err == nil {
				if lane == shop.LaneOther {
					s.other.mu.Lock()
					s.other.waiting = max(s.other.waiting-1, 0)
					s.other.mu.Unlock()
				}
				continue
			}
			// Not confirmed: at once after a stop, soon when there was no
			// turn for it, later after a failure.
			retry := time.Time{}
			switch {
			case ctx.Err() != nil:
			case errors.Is(err, ErrBusy):
				retry = s.now().Add(busyRetry + rand.N(busyRetry))
			default:
				retry = s.now().Add(confirmBackoff(t.Attempts))
				s.log.Info("callback not confirmed; trying again later",
					"pay_token_id", t.ID, "lane", lane, "retry_at", retry, "error", err)
			}
			s.release(taken[i:i+1], retry)
		}
	}
}

// confirmTaken confirms a taken delivery within its lease, in a span of
// its own linked to the request that brought it, whose id its log lines
// carry.
func (s *Service) confirmTaken(ctx context.Context, t storage.Taken, lane shop.Lane, lease time.Duration,
	turn func(context.Context, *shop.Delivery) error) (err error) {
	ctx, cancel := context.WithTimeout(ctx, lease)
	defer cancel()
	ctx, span := telemetry.StartFrom(ctx, t.Origin, "confirm PayToken",
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("sinopay.lane", lane.String()),
			attribute.String("sinopay.pay_token_id", strconv.FormatInt(t.ID, 10)),
			attribute.Int("sinopay.attempt", t.Attempts)))
	defer func() {
		if err != nil && !errors.Is(err, ErrBusy) {
			span.SetStatus(codes.Error, "not confirmed")
		}
		span.End()
	}()
	_, err = s.confirm(ctx, t.ID, turn)
	return err
}

// ConfirmSoon makes a callback that has not been confirmed yet (the bank
// could not be asked, and its next try is some way off) a worker's next
// work: for the back office, once the bank is back. NotFound when it is
// confirmed already.
func (s *Service) ConfirmSoon(ctx context.Context, id int64) error {
	lane, err := s.db.RetryPayTokenNow(ctx, id)
	if err != nil {
		return err
	}
	s.wakeLane(lane)
	return nil
}

// release gives back taken deliveries, to be taken again from at.
func (s *Service) release(taken []storage.Taken, at time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, t := range taken {
		if err := s.db.ReleasePayToken(ctx, t.ID, at); err != nil {
			// The lease runs out on its own.
			s.log.Info("cannot give back a callback taken to confirm", "pay_token_id", t.ID, "error", err)
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
