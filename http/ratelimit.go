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

func loginKeys(r *http.Request, email string) []string {
	return []string{"ip:" + clientIP(r), "email:" + r.PathValue("tenant") + ":" + strings.ToLower(email)}
}
