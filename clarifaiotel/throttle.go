package clarifaiotel

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/callinfo"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// Names of the throttle's span event, attributes and metrics (see
// docs/observability.md).
const (
	waitEvent      = "clarifai.throttle.wait"
	waitSecondsKey = attribute.Key("clarifai.throttle.wait_seconds")
	retryKey       = attribute.Key("clarifai.throttle.retry")
	reasonKey      = attribute.Key("clarifai.throttle.reason")
	waitMetric     = "clarifai.rpc.client.throttle.wait"
	refusalMetric  = "clarifai.rpc.client.throttle.refusals"
	throttleMetric = "clarifai.rpc.client.throttle.throttled"
)

// Limiter returns l counting, in the counter
// "clarifai.rpc.client.throttle.refusals" of the meter provider given with
// WithMeterProvider, every call l refuses: such calls are never sent, so no
// stats handler sees them. Give it to WithThrottle in place of l. It panics
// if l is nil.
func Limiter(l interceptor.Limiter, opts ...Option) interceptor.Limiter {
	if l == nil {
		panic("clarifaiotel: Limiter(nil)")
	}
	o := newOptions(opts)
	c, err := o.meters.Meter(scopeName).Int64Counter(refusalMetric,
		metric.WithDescription("Calls a rate limiter refused to send."), metric.WithUnit("{call}"))
	if err != nil {
		otel.Handle(err)
		c = noop.Int64Counter{}
	}
	r := &refusals{Limiter: l, c: c}
	for i, retry := range []bool{false, true} {
		for j, reason := range []string{"limited", "context"} {
			r.sets[i][j] = metric.WithAttributeSet(attribute.NewSet(retryKey.Bool(retry), reasonKey.String(reason)))
		}
	}
	return r
}

type refusals struct {
	interceptor.Limiter
	c    metric.Int64Counter
	sets [2][2]metric.AddOption // by retry, then limiter or context
}

func (r *refusals) Wait(ctx context.Context, bucket string, retry bool) error {
	err := r.Limiter.Wait(ctx, bucket, retry)
	if err != nil {
		i, j := 0, 0
		if retry {
			i = 1
		}
		if ctx.Err() != nil {
			j = 1
		}
		r.c.Add(ctx, 1, r.sets[i][j])
	}
	return err
}

// throttleMetrics are the handler's instruments for the throttle.
type throttleMetrics struct {
	waits     metric.Float64Histogram
	throttled metric.Int64Counter
}

func newThrottleMetrics(m metric.Meter) throttleMetrics {
	w, err := m.Float64Histogram(waitMetric,
		metric.WithDescription("Time a sent call waited for its rate-limit token."), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
	if err != nil {
		otel.Handle(err)
		w = noop.Float64Histogram{}
	}
	c, err := m.Int64Counter(throttleMetric,
		metric.WithDescription("Replies that said CONN_THROTTLED, in-band or as a gRPC error."), metric.WithUnit("{reply}"))
	if err != nil {
		otel.Handle(err)
		c = noop.Int64Counter{}
	}
	return throttleMetrics{waits: w, throttled: c}
}

// waited records the wait for its token of the call c, which ctx says.
func (h *handler) waited(ctx context.Context, c *call) {
	w, ok := callinfo.WaitOf(ctx)
	if !ok {
		return
	}
	secs := w.D.Seconds()
	h.throttle.waits.Record(c, secs, metric.WithAttributes(methodKey.String(trimMethod(c.method)), retryKey.Bool(w.Retry)))
	if c.span != nil {
		c.span.AddEvent(waitEvent, trace.WithTimestamp(time.Now()),
			trace.WithAttributes(waitSecondsKey.Float64(secs), retryKey.Bool(w.Retry)))
	}
}

// countThrottled counts a CONN_THROTTLED the call c got as a gRPC error.
func (h *handler) countThrottled(c *call, err error) {
	st, ok := status.FromError(err)
	if !ok || len(st.Details()) == 0 {
		return // no details: no Proto(), which copies the whole message
	}
	if ws, ok := wire.DetailStatus(st.Proto().GetDetails()); ok && ws.Code == wire.CodeConnThrottled {
		h.throttle.throttled.Add(c, 1, metric.WithAttributes(methodKey.String(trimMethod(c.method))))
	}
}
