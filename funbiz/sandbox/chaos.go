package sandbox

import "time"

// Chaos makes the sandbox misbehave on purpose, the ways a bank and a
// network do, so a merchant can test that nothing breaks. Every rule is
// one-shot or counted, and lives in memory only: a restart disarms it.

type apiChaosMode string

const (
	chaosAPINone         apiChaosMode = ""
	chaosAPI500          apiChaosMode = "500"           // HTTP 500 with an HTML page; nothing done
	chaosAPIHang         apiChaosMode = "hang"          // done, then the answer is held back
	chaosAPIGarbage      apiChaosMode = "garbage"       // HTTP 200 with a truncated body; nothing done
	chaosAPINonceExpired apiChaosMode = "nonce-expired" // E0102 refusal; nothing done
)

type notifyChaosMode string

const (
	chaosNotifyDelay     notifyChaosMode = "delay"
	chaosNotifyDuplicate notifyChaosMode = "duplicate"
	chaosNotifyDrop      notifyChaosMode = "drop"
	chaosNotifyReorder   notifyChaosMode = "reorder"
)

type apiChaos struct {
	Mode   apiChaosMode
	Count  int
	ShopNo string `json:",omitempty"`
}

type notifyChaos struct {
	Mode  notifyChaosMode
	Delay time.Duration
}

// chaosState is guarded by Sandbox.mu. Keys with an empty OrderNo match
// any order of the shop.
type chaosState struct {
	API         apiChaos
	NextOutcome map[orderKey]Outcome
	Notify      map[orderKey]notifyChaos
}

func newChaosState() chaosState {
	return chaosState{NextOutcome: map[orderKey]Outcome{}, Notify: map[orderKey]notifyChaos{}}
}

// takeAPIChaos consumes one count of the armed API rule, if it applies.
func (s *Sandbox) takeAPIChaos(shopNo string) apiChaosMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.chaos.API
	if c.Count <= 0 || (c.ShopNo != "" && c.ShopNo != shopNo) {
		return chaosAPINone
	}
	c.Count--
	return c.Mode
}

func (c *chaosState) takeOutcome(k orderKey) (Outcome, bool) {
	for _, key := range []orderKey{k, {k.shopNo, ""}} {
		if o, ok := c.NextOutcome[key]; ok {
			delete(c.NextOutcome, key)
			return o, true
		}
	}
	return "", false
}

func (c *chaosState) takeNotify(k orderKey) (notifyChaos, bool) {
	for _, key := range []orderKey{k, {k.shopNo, ""}} {
		if n, ok := c.Notify[key]; ok {
			delete(c.Notify, key)
			return n, true
		}
	}
	return notifyChaos{}, false
}
