package clarifaifake

import (
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc/metadata"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// rateLimits is the per-credential rate limit of SetRateLimit.
type rateLimits struct {
	perSecond float64
	burst     int
	buckets   map[string]*rate.Limiter // by credential
}

// SetRateLimit limits each credential to perSecond calls a second on
// average and burst at once (at least 1), as Clarifai limits an account:
// a call past the limit is answered in-band with 11005 CONN_THROTTLED, no
// payload, after the credential is authenticated and before any other
// check. Calls of NoAuth methods are not limited. A perSecond of zero or
// less removes the limit; a new limit starts every credential afresh.
func (s *Server) SetRateLimit(perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimits = rateLimits{}
	if perSecond > 0 {
		s.rateLimits = rateLimits{perSecond: perSecond, burst: max(burst, 1), buckets: make(map[string]*rate.Limiter)}
	}
}

// throttle takes a token for the authenticated credential of md, or
// refuses the call. s.mu must be held.
func (s *Server) throttle(md metadata.MD) *forcedStatus {
	rl := &s.rateLimits
	if rl.buckets == nil {
		return nil
	}
	var id string
	if auth := md.Get(wire.HeaderAuthorization); len(auth) == 1 {
		id = auth[0]
	} else if token := md.Get(wire.HeaderSessionToken); len(token) == 1 {
		id = "session " + token[0]
	}
	lim := rl.buckets[id]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(rl.perSecond), rl.burst)
		rl.buckets[id] = lim
	}
	if lim.AllowN(time.Now(), 1) {
		return nil
	}
	return &forcedStatus{code: wire.CodeConnThrottled, description: "Making too many requests",
		details: "The rate limit of this account was exceeded: wait before retrying"}
}
