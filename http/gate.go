package http

import (
	"context"
	"runtime"
	"time"

	"github.com/vintry/vintry"
)

// gate bounds how many requests do one costly piece of work at once (reading
// a whole upload, rendering a mapping page): each holds memory and CPU in
// proportion to its file, so without a bound, many at once could exhaust
// the server. A request that finds every slot taken waits up to gateWait,
// then gets 503 with Retry-After.
type gate struct {
	slots chan struct{}
	busy  string // the 503 message
}

// gateWait is how long a request waits for a slot before it is refused.
const gateWait = 2 * time.Second

// newGate returns a gate of n slots (0: two per CPU).
func newGate(n int, busy string) *gate {
	if n <= 0 {
		n = 2 * runtime.GOMAXPROCS(0)
	}
	return &gate{slots: make(chan struct{}, n), busy: busy}
}

// enter takes a slot, waiting up to gateWait; leave gives it back.
func (g *gate) enter(ctx context.Context) (leave func(), err error) {
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	default:
	}
	t := time.NewTimer(gateWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	case <-t.C:
		return nil, vintry.Errorf(vintry.EUNAVAILABLE, "%s", g.busy)
	case <-ctx.Done():
		return nil, vintry.Errorf(vintry.EUNAVAILABLE, "%s", g.busy)
	}
}

func (g *gate) leave() { <-g.slots }

// Messages of a full gate.
const (
	msgChecksBusy   = "The server is busy checking other uploads; try again in a few seconds."
	msgMappingsBusy = "The server is busy preparing other mapping pages; try again in a few seconds."
)

// retryAfterBusy is the Retry-After, in seconds, of a 503.
const retryAfterBusy = "5"
