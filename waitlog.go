package clarifaiauth

import (
	"context"
	"log/slog"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// limiterLogAfter is how long a limiter wait lasts before WithLogger hears
// of it.
const limiterLogAfter = time.Second

// waitLog says, through the logger of WithLogger, what a call waits for:
// the backoff before a retry and a long limiter wait. It logs methods,
// attempts, durations and status codes, never server text or a key.
type waitLog struct {
	l *slog.Logger
}

// callLog is what waitLog knows of one call: its method, and the error of
// its last attempt.
type callLog struct {
	method string
	err    error
}

type callLogKey struct{}

func callLogFrom(ctx context.Context) *callLog {
	cl, _ := ctx.Value(callLogKey{}).(*callLog)
	return cl
}

// innerUnary, inside the retry, keeps each attempt's error for the backoff
// to name. Attempts of one call run one after another.
func (w *waitLog) innerUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	if cl := callLogFrom(ctx); cl != nil {
		cl.err = err
	}
	return err
}

func (w *waitLog) innerStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s, err := streamer(ctx, desc, cc, method, opts...)
	cl := callLogFrom(ctx)
	if cl == nil {
		return s, err
	}
	cl.err = err
	if err != nil {
		return nil, err
	}
	return &loggedStream{s, cl}, nil
}

// loggedStream keeps the error of a server stream's first message, which
// the retry retries too.
type loggedStream struct {
	grpc.ClientStream
	cl *callLog
}

func (s *loggedStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	s.cl.err = err
	return err
}

// backoff wraps the retry's backoff to say, before the wait, which call
// waits how long for which attempt, and why.
func (w *waitLog) backoff(next retry.BackoffFunc) retry.BackoffFunc {
	return func(ctx context.Context, attempt uint) time.Duration {
		d := next(ctx, attempt)
		if cl := callLogFrom(ctx); cl != nil {
			attrs := []slog.Attr{
				slog.String("method", cl.method),
				slog.Int("attempt", int(attempt)+1),
				slog.Int("of", retryAttempts),
				slog.Duration("wait", d),
			}
			w.l.LogAttrs(ctx, slog.LevelInfo, "clarifaiauth: waiting to retry a call", statusAttrs(attrs, cl.err)...)
		}
		return d
	}
}

// statusAttrs adds what caused a retry: the gRPC code and, for an in-band
// failure, Clarifai's status code and its name. The server's text is left
// out: it may echo anything, the key included.
func statusAttrs(attrs []slog.Attr, err error) []slog.Attr {
	if err == nil {
		return attrs
	}
	attrs = append(attrs, slog.String("code", status.Code(err).String()))
	if se, ok := scopes.FromError(err); ok {
		attrs = append(attrs, slog.String("clarifai_status", se.Code.String()))
	}
	return attrs
}

// timedLimiter is a limiter given with WithThrottle when there is a
// logger: a wait over limiterLogAfter is said when it passes that mark and
// when it ends.
type timedLimiter struct {
	interceptor.Limiter
	log *slog.Logger
}

func (t *timedLimiter) Wait(ctx context.Context, bucket string, retry bool) error {
	l := t.log
	method := ""
	if cl := callLogFrom(ctx); cl != nil {
		method = cl.method
	}
	start := time.Now()
	said := make(chan struct{})
	timer := time.AfterFunc(limiterLogAfter, func() {
		l.LogAttrs(ctx, slog.LevelInfo, "clarifaiauth: waiting for the throttle", slog.String("method", method), slog.Bool("retry", retry))
		close(said)
	})
	err := t.Limiter.Wait(ctx, bucket, retry)
	if !timer.Stop() {
		<-said // the end is said after the start
		l.LogAttrs(ctx, slog.LevelInfo, "clarifaiauth: throttle wait over", slog.String("method", method),
			slog.Duration("waited", time.Since(start).Round(time.Millisecond)), slog.Bool("sent", err == nil))
	}
	return err
}
