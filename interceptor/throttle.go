package interceptor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// Limiter paces the calls made with each credential; package throttle has two.
type Limiter interface {
	// Wait returns nil when a call for bucket may be sent now, else an error
	// (the call fails with it, unsent). retry is true for the 2nd and later
	// attempts of one call (go-grpc-middleware retry's "x-retry-attempt" metadata).
	Wait(ctx context.Context, bucket string, retry bool) error
	// Done reports how a sent call ended: throttled is true when the server
	// answered CONN_THROTTLED (in-band or as a gRPC error).
	Done(bucket string, throttled bool)
}

// WithThrottle makes every call wait for l before it is sent, and tells l
// how it ended. A bucket names one credential without revealing it. A
// stream waits once, when it opens. Only when building.
func WithThrottle(l Limiter) Option {
	return &option{name: "WithThrottle", build: func(o *options) { o.limiter = l }}
}

// retryAttemptHeader is the outgoing metadata go-grpc-middleware's retry
// sets on the second and later attempts of a call.
const retryAttemptHeader = "x-retry-attempt"

// codeConnThrottled is CONN_THROTTLED.
const codeConnThrottled scopes.Code = 11005

// wait asks l whether a call on ctx with bucket may be sent now.
func wait(ctx context.Context, l Limiter, bucket string) error {
	retry := len(metadata.ValueFromOutgoingContext(ctx, retryAttemptHeader)) > 0
	return l.Wait(ctx, bucket, retry)
}

// throttled reports whether a call that ended with err (after the status
// check) and reply was throttled by the server.
func throttled(method string, reply any, err error) bool {
	if err == nil {
		return reply != nil && scopes.CheckReply(method, reply, isThrottled) != nil
	}
	var se *scopes.Error
	if errors.As(err, &se) && se != nil {
		return !se.Local && se.Code == codeConnThrottled
	}
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	for i, d := range st.Proto().GetDetails() {
		if i >= 16 {
			break
		}
		if code, ok := statusCode(d.GetValue()); ok && isClarifaiStatusURL(d.GetTypeUrl()) {
			return code == codeConnThrottled
		}
	}
	return false
}

func isThrottled(c scopes.Code) bool { return c == codeConnThrottled }

// isClarifaiStatusURL reports whether a type URL names Clarifai's status.
func isClarifaiStatusURL(url string) bool {
	return len(url) >= len(clarifaiStatus) && url[len(url)-len(clarifaiStatus):] == clarifaiStatus
}

// statusCode reads field 1 (code) of an encoded clarifai.api.status.Status.
func statusCode(b []byte) (scopes.Code, bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, false
		}
		b = b[n:]
		if num == 1 && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(b)
			return scopes.Code(int32(v)), n >= 0
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return 0, false
		}
		b = b[n:]
	}
	return 0, false
}

// fingerprints maps keys to their fingerprints, each computed once: the
// last key is checked first, then a bounded map of the others.
type fingerprints struct {
	last atomic.Pointer[keyFP]
	m    sync.Map // header value → *keyFP
	n    atomic.Int32
}

// maxFingerprints bounds the fingerprints kept besides the last one.
const maxFingerprints = 1024

type keyFP struct {
	key    keysource.Key
	fp     [16]byte
	bucket string // hex of fp
}

// of returns k's fingerprint, computing it only for a key not seen before.
func (f *fingerprints) of(k keysource.Key) *keyFP {
	if c := f.last.Load(); c != nil && c.key.Equal(k) {
		return c
	}
	if v, ok := f.m.Load(k.HeaderValue()); ok {
		c := v.(*keyFP)
		f.last.Store(c)
		return c
	}
	sum := sha256.Sum256([]byte(k.HeaderValue()))
	c := &keyFP{key: k}
	copy(c.fp[:], sum[:])
	c.bucket = hex.EncodeToString(c.fp[:])
	if f.n.Add(1) > maxFingerprints {
		f.m.Clear()
		f.n.Store(1)
	}
	f.m.Store(k.HeaderValue(), c)
	f.last.Store(c)
	return c
}

// callLimit is a stream's use of the limiter: one Wait when it opens, one
// Done with the outcome of its opening or of its first reply. Its methods
// do nothing on a nil *callLimit.
type callLimit struct {
	l      Limiter
	bucket string
	method string
	done   atomic.Bool
}

func (c *callLimit) wait(ctx context.Context) error {
	if c == nil {
		return nil
	}
	return wait(ctx, c.l, c.bucket)
}

// report tells the limiter how the stream's opening or first reply went,
// once.
func (c *callLimit) report(reply any, err error) {
	if c != nil && c.done.CompareAndSwap(false, true) {
		c.l.Done(c.bucket, throttled(c.method, reply, err))
	}
}
