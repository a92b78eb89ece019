package clarifaiotel

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/internal/callinfo"
	"github.com/grpc-keyauth/clarifaiauth/internal/callsecret"
	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
	"github.com/grpc-keyauth/clarifaiauth/internal/replystatus"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// Wrap returns a client stats.Handler that does what next does (normally
// otelgrpc.NewClientHandler) and marks the span next started for a call when
// a reply carries a failed Clarifai status, as the package documentation
// describes. It is safe for concurrent use; it panics if next is nil.
func Wrap(next stats.Handler, opts ...Option) stats.Handler {
	if next == nil {
		panic("clarifaiotel: Wrap(nil)")
	}
	o := newOptions(opts)
	counter, err := o.meters.Meter(scopeName).Int64Counter(FailureMetric,
		metric.WithDescription("Calls and stream items that failed with an in-band Clarifai status."),
		metric.WithUnit("{failure}"))
	if err != nil {
		otel.Handle(err)
		counter = noop.Int64Counter{}
	}
	return &handler{next: next, failures: counter, throttle: newThrottleMetrics(o.meters.Meter(scopeName))}
}

type handler struct {
	next     stats.Handler
	failures metric.Int64Counter
	throttle throttleMetrics
}

// call is one call's state. It is the context TagRPC returns: next's
// context with the state attached, in one allocation where
// context.WithValue would take two.
type call struct {
	context.Context
	method string
	// check is the call's status check: the interceptor's, when it set one
	// (interceptor.WithStatusCheck), else scopes.Code.Failed.
	check func(scopes.Code) bool
	// span is the span next started for this call, nil when it started
	// none (otelgrpc's Filter, a sampler that drops it): the handler must
	// then not mark the caller's span instead.
	span    trace.Span
	replies atomic.Uint32 // replies received so far
	// failed is set by the first failure that failed the call; later ones
	// are events. Atomic: a stream's End can come from a goroutine other
	// than the one receiving.
	failed atomic.Bool
	// secret is the credential the call's headers carried, so that it can be
	// cut out of what the server sends back (a req_id, an error message)
	// before it reaches a span. Set once, when the headers go out, before
	// any reply or the end of the call.
	secret atomic.Pointer[string]
	// sent holds the secrets a per-RPC credential (interceptor.
	// PerRPCCredentials) put on the call: they never show in OutHeader.
	sent callsecret.Holder
}

// redacted replaces what a server echoed of the call's credential.
const redacted = "[redacted]"

// scrub returns s without the call's secrets, even split by invisible
// characters (see cleantext.ReplaceSecret).
func (c *call) scrub(s string) string {
	if p := c.secret.Load(); p != nil {
		s = cleantext.ReplaceSecret(s, *p, redacted)
	}
	return c.sent.Scrub(s, redacted)
}

// credential returns the secret an outgoing header carries: the token of
// x-clarifai-session-token, or what follows "Key " in authorization.
func credential(h map[string][]string) string {
	if v := h[wire.HeaderSessionToken]; len(v) > 0 && v[0] != "" {
		return v[0]
	}
	if v := h[wire.HeaderAuthorization]; len(v) > 0 {
		if secret, ok := strings.CutPrefix(v[0], "Key "); ok && secret != "" {
			return secret
		}
	}
	return ""
}

type callKey struct{}

// Value returns the call itself for callKey and asks next's context for
// every other key.
func (c *call) Value(key any) any {
	switch key {
	case callKey{}:
		return c
	case callsecret.Key:
		return &c.sent
	}
	return c.Context.Value(key)
}

func callOf(ctx context.Context) *call {
	if c, ok := ctx.(*call); ok {
		return c
	}
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// TagConn forwards to the wrapped handler.
func (h *handler) TagConn(ctx context.Context, info *stats.ConnTagInfo) context.Context {
	return h.next.TagConn(ctx, info)
}

// HandleConn forwards to the wrapped handler.
func (h *handler) HandleConn(ctx context.Context, cs stats.ConnStats) {
	h.next.HandleConn(ctx, cs)
}

// TagRPC lets the wrapped handler start the call's span and attaches the
// call's state to the context it returns.
func (h *handler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	parent := trace.SpanContextFromContext(ctx)
	// The failures the interceptor reports are the ones to mark; with its
	// check off or absent, those scopes.Code.Failed names.
	check, _ := callinfo.StatusCheckOf(ctx)
	if check == nil {
		check = scopes.Code.Failed
	}
	ctx = h.next.TagRPC(ctx, info)
	c := &call{Context: ctx, method: info.FullMethodName, check: check}
	// A span of next's own has an id the caller's span does not have; a
	// non-recording span ignores what would be set on it anyway.
	if sp := trace.SpanFromContext(ctx); sp.IsRecording() && sp.SpanContext().SpanID() != parent.SpanID() {
		c.span = sp
	}
	h.waited(ctx, c)
	return c
}

// HandleRPC reads the Clarifai status of every reply the call receives, then
// forwards to the wrapped handler.
func (h *handler) HandleRPC(ctx context.Context, rs stats.RPCStats) {
	switch rs := rs.(type) {
	case *stats.OutHeader:
		if rs.Client {
			if c := callOf(ctx); c != nil {
				if secret := credential(rs.Header); secret != "" {
					c.secret.Store(&secret)
				}
			}
		}
	case *stats.InPayload:
		if rs.Client {
			if c := callOf(ctx); c != nil {
				h.received(c, rs.Payload)
			}
		}
	case *stats.End:
		// otelgrpc sets the span's status from a gRPC error at the end
		// (and leaves it alone when the call ends OK). A call that failed
		// in-band and then ended with an error (typically the cancellation
		// that ended a stream on that failure) keeps the Clarifai status,
		// which says why.
		if rs.Error != nil {
			c := callOf(ctx)
			if c != nil && rs.Client {
				h.countThrottled(c, rs.Error)
			}
			if c != nil && c.span != nil && c.failed.Load() {
				ctx = trace.ContextWithSpan(ctx, keepStatus{c.span})
			}
			// The wrapped handler puts the error's message on the span: a
			// server may have echoed the key in it, or sent anything. It
			// goes on one bounded line, scrubbed before and after
			// cleaning, with the code and details kept.
			st := status.Convert(rs.Error)
			msg := st.Message()
			if c != nil {
				msg = c.scrub(msg)
			}
			msg = cleantext.String(msg, cleantext.MaxLine)
			if c != nil {
				msg = c.scrub(msg)
			}
			if msg != st.Message() {
				p := st.Proto()
				p.Message = msg
				end := *rs
				end.Error = status.ErrorProto(p)
				h.next.HandleRPC(ctx, &end)
				return
			}
		}
	}
	h.next.HandleRPC(ctx, rs)
}

// received handles one reply of c.
func (h *handler) received(c *call, reply any) {
	n := c.replies.Add(1)
	err := replystatus.Check(c.method, reply, c.check)
	if err == nil {
		return
	}
	se, ok := err.(*scopes.Error)
	if !ok {
		return
	}
	// The stream interceptor's rule: a failure in the first reply, or a
	// connection-level one in any reply, fails the call; a later per-item
	// failure is delivered and the stream goes on. Only the first failure
	// sets the status.
	if se.Code == wire.CodeConnThrottled {
		h.throttle.throttled.Add(c, 1, metric.WithAttributes(methodKey.String(trimMethod(c.method))))
	}
	callLevel := (n == 1 || wire.IsConnCode(int32(se.Code))) && c.failed.CompareAndSwap(false, true)
	name := se.Code.String()
	level := "item"
	if callLevel {
		level = "call"
	}
	h.failures.Add(c, 1, metric.WithAttributes(
		methodKey.String(trimMethod(c.method)), NameKey.String(metricName(name)), FailureKey.String(level)))
	if c.span == nil {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, CodeKey.Int64(int64(se.Code)), NameKey.String(name))
	// Scrubbed before and after cleaning: cleaning drops the unprintable
	// bytes a hostile server could hide the key behind.
	if id := c.scrub(cleantext.Token(c.scrub(se.ReqID), maxReqID)); id != "" {
		attrs = append(attrs, ReqIDKey.String(id))
	}
	if callLevel {
		c.span.SetStatus(codes.Error, "clarifai: "+name+" ("+strconv.FormatInt(int64(se.Code), 10)+")")
		c.span.SetAttributes(attrs...)
		return
	}
	attrs = append(attrs, replyKey.Int64(int64(n)))
	c.span.AddEvent(ItemFailureEvent, trace.WithAttributes(attrs...))
}

// keepStatus is the call's span as the wrapped handler sees it at the end of
// a call that already failed in-band: everything but SetStatus goes through.
type keepStatus struct{ trace.Span }

// SetStatus does nothing: the span already has an Error status.
func (keepStatus) SetStatus(codes.Code, string) {}

// trimMethod spells a full method name as otelgrpc's rpc.method does.
func trimMethod(m string) string { return strings.TrimPrefix(m, "/") }
