package clarifaifake

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// keyPrefix starts the authorization value of a key or PAT.
const keyPrefix = "Key "

// Call is what one call carried, as the server received it, and the in-band
// status codes it answered with; it does not change once returned. Printed
// with any fmt verb it shows the credential only redacted; Header and Secret
// return the raw values, for assertions.
type Call struct {
	// Method is the full method name, e.g. "/clarifai.api.V2/PostInputs".
	Method string
	// Codes are the in-band status codes of the replies sent so far, in
	// order (none when the call ended with a gRPC error).
	Codes []int32
	// Err is the gRPC error the server ended the call with: one set with
	// SetError or returned by a ReplyFunc, Unimplemented for an unknown
	// method, or the stream's own error. It is nil while the call runs and
	// after a normal end.
	Err error

	// d is behind a pointer so that fmt, which prints nested pointers as
	// addresses, never walks into the secret even when a Call sits in an
	// unexported field that its Format method cannot reach.
	d *callData
}

// callData is the part of a Call that may hold secrets.
type callData struct {
	md       metadata.MD
	requests [][]byte                 // wire form: what the server holds is what it counts
	reqType  protoreflect.MessageType // of requests
}

// record is the server's live record of a call; s.mu guards it.
type record struct {
	method   string
	md       metadata.MD
	requests [][]byte                 // wire form, as callData's
	reqType  protoreflect.MessageType // of requests
	codes    []int32
	err      error
	// size is what the record counts toward maxRecordedBytes; dropped is
	// set once it is no longer held (evicted, or ResetCalls).
	size    int
	dropped bool
}

// Bounds on what the server holds of the calls it served, so that a long
// test run or a stream of large messages cannot exhaust memory: the newest
// maxRecordedCalls calls, and at most maxRecordedBytes of their metadata
// and messages. Older calls are forgotten first; a message that does not
// fit even then is not recorded.
const (
	maxRecordedCalls = 100_000
	maxRecordedBytes = 64 << 20
)

// addRecord records a new call, forgetting the oldest ones past the
// bounds. s.mu must be held.
func (s *Server) addRecord(rec *record) {
	for k, vs := range rec.md {
		rec.size += len(k)
		for _, v := range vs {
			rec.size += len(v)
		}
	}
	s.calls = append(s.calls, rec)
	s.recorded += rec.size
	s.evict(0)
}

// grow counts n more bytes for rec and reports whether they fit, after
// forgetting older calls if need be. s.mu must be held.
func (s *Server) grow(rec *record, n int) bool {
	if rec.dropped {
		return false
	}
	s.evict(n)
	if s.recorded+n > maxRecordedBytes {
		return false
	}
	rec.size += n
	s.recorded += n
	return true
}

// evict forgets the oldest calls until extra more bytes fit, keeping the
// newest call. s.mu must be held.
func (s *Server) evict(extra int) {
	n := 0
	for n < len(s.calls)-1 && (len(s.calls)-n > maxRecordedCalls || s.recorded+extra > maxRecordedBytes) {
		old := s.calls[n]
		old.dropped = true
		s.recorded -= old.size
		s.calls[n] = nil
		n++
	}
	// The evicted slots are nil: append reallocates once the array's
	// tail is used up, and the old array's front is garbage then.
	s.calls = s.calls[n:]
}

func (r *record) snapshot() Call {
	return Call{
		Method: r.method,
		Codes:  slices.Clone(r.codes),
		Err:    r.err,
		d:      &callData{md: r.md, requests: slices.Clone(r.requests), reqType: r.reqType},
	}
}

// Calls returns the calls received so far, oldest first, including those
// still running, refused or to unknown methods. The server holds the
// newest 100,000 calls and at most 64 MiB of their metadata and messages,
// forgetting the oldest first; a message that would not fit is not
// recorded.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, r := range s.calls {
		out[i] = r.snapshot()
	}
	return out
}

// ResetCalls forgets the calls received so far; calls still running are no
// longer recorded either. LeastPrivilege then covers only later calls.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.calls {
		r.dropped = true
	}
	s.calls = nil
	s.recorded = 0
}

// Header returns the raw values of the incoming metadata key name (lower
// case), as sent: for "authorization" or "x-clarifai-session-token" that is
// the secret itself, so keep the result out of logs and failure messages.
func (c Call) Header(name string) []string {
	if c.d == nil {
		return nil
	}
	return slices.Clone(c.d.md.Get(name))
}

// Secret returns the key (without "Key ") or session token the call carried,
// or "" when it carried none, several, or a malformed authorization value.
// The result is the secret: keep it out of logs.
func (c Call) Secret() string {
	auth, token := c.Header(wire.HeaderAuthorization), c.Header(wire.HeaderSessionToken)
	switch {
	case len(auth) == 1 && len(token) == 0:
		if k, ok := strings.CutPrefix(auth[0], keyPrefix); ok {
			return k
		}
	case len(auth) == 0 && len(token) == 1:
		return token[0]
	}
	return ""
}

// redactedMD returns a copy of the incoming metadata with every credential
// value redacted.
func (c Call) redactedMD() metadata.MD {
	if c.d == nil {
		return metadata.MD{}
	}
	md := c.d.md.Copy()
	for _, k := range []string{wire.HeaderAuthorization, wire.HeaderSessionToken} {
		for i, v := range md[k] {
			md[k][i] = redactValue(k, v)
		}
	}
	return md
}

// Requests returns the request messages received, in order: one for a unary
// or server-streaming call (Requests()[0]), one per message of a client
// stream, the first 1000 of a longer stream. The server holds them in wire
// form; each call returns new messages decoded from it.
func (c Call) Requests() []proto.Message {
	if c.d == nil || c.d.reqType == nil {
		return nil
	}
	out := make([]proto.Message, 0, len(c.d.requests))
	for _, b := range c.d.requests {
		m := c.d.reqType.New().Interface()
		if err := proto.Unmarshal(b, m); err == nil {
			out = append(out, m)
		}
	}
	return out
}

// String describes the call with the credential redacted, e.g.
// `/clarifai.api.V2/PostInputs authorization="Key …c0de" codes=[11007]`:
// the method, the metadata the caller set (not gRPC's own, such as
// user-agent) sorted by key, the reply codes and the error.
func (c Call) String() string {
	var b strings.Builder
	b.WriteString(c.Method)
	md := c.redactedMD()
	keys := make([]string, 0, len(md))
	for k := range md {
		if !transportHeader(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range md[k] {
			fmt.Fprintf(&b, " %s=%s", k, strconv.Quote(cleantext.Clip(v, 200)))
		}
	}
	fmt.Fprintf(&b, " codes=%v", c.Codes)
	if c.Err != nil {
		fmt.Fprintf(&b, " err=%q", cleantext.Clip(c.Err.Error(), 200))
	}
	return b.String()
}

// transportHeader reports whether gRPC itself sets metadata key k.
func transportHeader(k string) bool {
	return strings.HasPrefix(k, ":") || strings.HasPrefix(k, "grpc-") || k == "content-type" || k == "user-agent" || k == "te"
}

// redactValue redacts one credential value: "Key " stays, and only the last
// four characters of a secret of 16 or more are shown.
func redactValue(key, v string) string {
	prefix := ""
	if key == wire.HeaderAuthorization {
		if k, ok := strings.CutPrefix(v, keyPrefix); ok {
			prefix, v = keyPrefix, k
		}
	}
	return prefix + redact(v)
}

// redact shows at most the last four characters of a secret, and none of a
// short one, where four would be too large a part of it.
func redact(secret string) string {
	if len(secret) < 16 {
		return "…"
	}
	return "…" + secret[len(secret)-4:]
}
