package http

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/vintry/vintry"
)

// limiters hands out one token bucket per key (a token, an IP, an email):
// perMinute requests a minute, in bursts of up to perMinute. A bucket idle
// for a minute is full again, so idle buckets are forgotten without changing
// any answer.
type limiters struct {
	perMinute int
	mu        sync.Mutex
	buckets   map[string]*bucket
	swept     time.Time
}

type bucket struct {
	limiter *rate.Limiter
	seen    time.Time
}

// newLimiters returns limiters for perMinute requests a minute; 0 or less
// returns nil, which allows everything.
func newLimiters(perMinute int) *limiters {
	if perMinute <= 0 {
		return nil
	}
	return &limiters{perMinute: perMinute, buckets: map[string]*bucket{}}
}

// allow takes one request from key's bucket, or says how long to wait.
func (ls *limiters) allow(key string, now time.Time) (bool, time.Duration) {
	if ls == nil {
		return true, 0
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if now.Sub(ls.swept) > time.Minute {
		for k, b := range ls.buckets {
			if now.Sub(b.seen) > time.Minute {
				delete(ls.buckets, k)
			}
		}
		ls.swept = now
	}
	b := ls.buckets[key]
	if b == nil {
		b = &bucket{limiter: rate.NewLimiter(rate.Limit(float64(ls.perMinute)/60), ls.perMinute)}
		ls.buckets[key] = b
	}
	b.seen = now
	r := b.limiter.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// rateLimited writes 429 with Retry-After in whole seconds (at least 1).
func rateLimited(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, r, vintry.Errorf(vintry.ERATELIMIT, "Too many requests. Retry after %d seconds.", secs))
}

// checkLimits takes a request from every key's bucket; all must allow it.
func checkLimits(w http.ResponseWriter, r *http.Request, ls *limiters, keys ...string) bool {
	now := time.Now()
	for _, k := range keys {
		if ok, wait := ls.allow(k, now); !ok {
			rateLimited(w, r, wait)
			return false
		}
	}
	return true
}

// clientIP is the peer address of the connection. Forwarding headers are
// not trusted: a client could set them to dodge the limit.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loginIPKey is the key of a client's sign-in attempts (every attempt
// counts).
func loginIPKey(r *http.Request) string { return "ip:" + clientIP(r) }

// failureKey is the key of the failed sign-ins of one email of the
// request's tenant from the request's client.
func failureKey(r *http.Request, email string) string {
	return r.PathValue("tenant") + "\x00" + strings.ToLower(strings.TrimSpace(email)) + "\x00" + clientIP(r)
}

// failureLimits count failed sign-ins per (email, client). The first free
// failures of a key cost nothing; after that, each next attempt must wait
// twice as long as the one before (1 s, 2 s, 4 s, … up to maxBackoff) from
// the last failure. A success clears the key, and a key left alone for
// forgetAfter is forgotten. Only failures count, and only from one client:
// a stranger's wrong guesses never lock the real user out, from another
// client, and the real user's own successful sign-in is never refused.
type failureLimits struct {
	free  int
	mu    sync.Mutex
	keys  map[string]*failures
	swept time.Time
}

type failures struct {
	n    int
	last time.Time
}

const (
	maxBackoff  = 15 * time.Minute
	forgetAfter = 30 * time.Minute
)

// newFailureLimits returns failure limits with free failures a key; 0 or
// less returns nil, which allows everything.
func newFailureLimits(free int) *failureLimits {
	if free <= 0 {
		return nil
	}
	return &failureLimits{free: free, keys: map[string]*failures{}}
}

// wait says how long key must wait before its next attempt (0: now).
func (fl *failureLimits) wait(key string, now time.Time) time.Duration {
	if fl == nil {
		return 0
	}
	fl.mu.Lock()
	defer fl.mu.Unlock()
	f := fl.keys[key]
	if f == nil || f.n < fl.free || now.Sub(f.last) > forgetAfter {
		return 0
	}
	backoff := maxBackoff
	if exp := f.n - fl.free; exp < 20 {
		backoff = min(time.Second<<exp, maxBackoff)
	}
	return max(f.last.Add(backoff).Sub(now), 0)
}

// failed records a failed sign-in of key.
func (fl *failureLimits) failed(key string, now time.Time) {
	if fl == nil {
		return
	}
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if now.Sub(fl.swept) > forgetAfter {
		for k, f := range fl.keys {
			if now.Sub(f.last) > forgetAfter {
				delete(fl.keys, k)
			}
		}
		fl.swept = now
	}
	f := fl.keys[key]
	if f == nil || now.Sub(f.last) > forgetAfter {
		f = &failures{}
		fl.keys[key] = f
	}
	f.n++
	f.last = now
}

// succeeded clears key's failures.
func (fl *failureLimits) succeeded(key string) {
	if fl == nil {
		return
	}
	fl.mu.Lock()
	defer fl.mu.Unlock()
	delete(fl.keys, key)
}

// signIn runs one sign-in attempt under the login limits: the client's
// attempts (every one counts) and the failures of this email from this
// client. It answers 429 itself and returns false when the attempt must
// wait; else it runs attempt and records whether it failed.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, email string, attempt func() error) (tried bool, err error) {
	if !checkLimits(w, r, s.loginLimits, loginIPKey(r)) {
		return false, nil
	}
	key := failureKey(r, email)
	if d := s.loginFailures.wait(key, time.Now()); d > 0 {
		rateLimited(w, r, d)
		return false, nil
	}
	err = attempt()
	switch {
	case err == nil:
		s.loginFailures.succeeded(key)
	case vintry.ErrorCode(err) == vintry.EUNAUTHORIZED:
		s.loginFailures.failed(key, time.Now())
	}
	return true, err
}
