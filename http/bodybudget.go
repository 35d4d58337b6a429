package http

import (
	"context"
	"io"
	"net/http"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/vintry/vintry"
)

// bodyBudget bounds the memory that request bodies read into buffers hold at
// once, across all requests. A buffer grows by the bytes that actually
// arrived, never by what a request declares, and each step of growth is
// taken from the budget first; a request whose next step does not fit waits
// up to gateWait, then gets 503 with Retry-After. What a request took goes
// back when its handler returns (withBodyBudget), since its buffer lives that
// long.
type bodyBudget struct {
	sem  *semaphore.Weighted
	size int64
}

// newBodyBudget returns a budget of size bytes, at least room for two bodies
// of the largest size an endpoint takes, so one always fits.
func newBodyBudget(size, largestBody int64) *bodyBudget {
	size = max(size, 4*largestBody)
	return &bodyBudget{sem: semaphore.NewWeighted(size), size: size}
}

// bodyLease is what one request took from the budget.
type bodyLease struct {
	b    *bodyBudget
	mu   sync.Mutex
	held int64
}

type leaseKey struct{}

// withBodyBudget gives each request a lease on the body budget and returns
// what it took when the handler returns.
func (s *Server) withBodyBudget(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := &bodyLease{b: s.bodies}
		defer l.release()
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), leaseKey{}, l)))
	})
}

// take reserves n more bytes, waiting up to gateWait.
func (l *bodyLease) take(ctx context.Context, n int64) error {
	if l == nil || n <= 0 {
		return nil
	}
	if !l.b.sem.TryAcquire(n) {
		ctx, cancel := context.WithTimeout(ctx, gateWait)
		defer cancel()
		if n > l.b.size || l.b.sem.Acquire(ctx, n) != nil {
			return vintry.Errorf(vintry.EUNAVAILABLE, "%s", msgBodiesBusy)
		}
	}
	l.mu.Lock()
	l.held += n
	l.mu.Unlock()
	return nil
}

// give returns n of the bytes the lease holds.
func (l *bodyLease) give(n int64) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.held -= n
	l.mu.Unlock()
	l.b.sem.Release(n)
}

func (l *bodyLease) release() {
	l.mu.Lock()
	n := l.held
	l.held = 0
	l.mu.Unlock()
	if n > 0 {
		l.b.sem.Release(n)
	}
}

// readAllBudgeted reads r, which holds at most limit bytes, to its end. The
// buffer starts small and doubles as bytes arrive (never past limit), each
// step paid for from the request's lease before it is allocated; the old
// buffer's share goes back once it is copied.
func readAllBudgeted(ctx context.Context, r io.Reader, limit int64) ([]byte, error) {
	l, _ := ctx.Value(leaseKey{}).(*bodyLease)
	first := min(4<<10, max(limit, 1))
	if err := l.take(ctx, first); err != nil {
		return nil, err
	}
	data := make([]byte, 0, first)
	for {
		if int64(len(data)) >= limit {
			return data, nil // r holds no more, by the caller's word
		}
		if len(data) == cap(data) {
			next := min(2*int64(cap(data)), limit)
			if err := l.take(ctx, next); err != nil {
				return nil, err
			}
			grown := make([]byte, len(data), next)
			copy(grown, data)
			l.give(int64(cap(data)))
			data = grown
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		} else if err != nil {
			return data, err
		}
	}
}

// msgBodiesBusy is the 503 message of a full body budget.
const msgBodiesBusy = "The server is busy receiving other uploads; try again in a few seconds."
