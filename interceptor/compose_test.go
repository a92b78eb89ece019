package interceptor_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestRetryReresolvesKey puts go-grpc-middleware's retry before the
// interceptor, as the package doc recommends. The server answers the first
// attempt with an in-band TRY_AGAIN; the interceptor turns it into
// Unavailable, retry tries again, and the second attempt carries the key the
// Source hands out by then.
func TestRetryReresolvesKey(t *testing.T) {
	src := &rotating{keys: []string{sourceKey, sourceKey2}}
	var e *env
	retried := 0
	retryIC := retry.UnaryClientInterceptor(
		retry.WithMax(3),
		retry.WithBackoff(retry.BackoffLinear(time.Millisecond)),
		retry.WithOnRetryCallback(func(context.Context, uint, error) {
			retried++
			e.srv.ClearStatus(predictPath) // the server recovers
		}),
	)
	e = newEnv(t, nil, nil) // replaced below: the chain order matters here
	e.conn.Close()
	conn, err := e.srv.Dial(secure, grpc.WithChainUnaryInterceptor(retryIC, interceptor.UnaryClient(src)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	e.srv.SetStatus(predictPath, 10030, "Try again", "")

	resp, err := pbClient(conn).PostModelOutputs(context.Background(), predictReq())
	if err != nil {
		t.Fatalf("PostModelOutputs: %v", err)
	}
	if resp.GetStatus().GetCode() != 10000 {
		t.Fatalf("final status %v", resp.GetStatus())
	}
	calls := e.srv.Calls()
	if retried != 1 || len(calls) != 2 {
		t.Fatalf("retried %d times, server saw %d calls; want 1 and 2", retried, len(calls))
	}
	for i, want := range []string{"Key " + sourceKey, "Key " + sourceKey2} {
		if _, got := credentialOf(t, calls[i]); got != want {
			t.Errorf("attempt %d carried %q, want %q", i+1, got, want)
		}
	}
}

// TestRetryOnThrottling: CONN_THROTTLED becomes ResourceExhausted, which
// retry retries by default; exhausting the attempts returns the
// *scopes.Error.
func TestRetryOnThrottling(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.conn.Close()
	conn, err := e.srv.Dial(secure, grpc.WithChainUnaryInterceptor(
		retry.UnaryClientInterceptor(retry.WithMax(3), retry.WithBackoff(retry.BackoffLinear(time.Millisecond))),
		interceptor.UnaryClient(staticSource(sourceKey)),
	))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	e.srv.SetStatus(predictPath, 11005, "Too many requests", "")
	_, err = pbClient(conn).PostModelOutputs(context.Background(), predictReq())
	if !errors.Is(err, scopes.ErrThrottled) || status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.srv.Calls()); n != 3 {
		t.Errorf("server saw %d attempts, want 3", n)
	}
}

// TestTracingSeesCallsWithoutSecrets runs calls through otelgrpc's client
// stats handler and checks the spans: every call is there, gRPC errors set
// the span status, and no attribute or event holds a secret.
func TestTracingSeesCallsWithoutSecrets(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	e := newEnv(t, staticSource(sourceKey), nil,
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(tp))))

	if _, err := e.client.PostModelOutputs(context.Background(), predictReq()); err != nil {
		t.Fatal(err)
	}
	e.srv.SetError(predictPath, status.Error(codes.Unavailable, "down for maintenance"))
	_, callErr := e.client.PostModelOutputs(keysource.WithKey(context.Background(), keyOf(contextKey)), predictReq())
	if status.Code(callErr) != codes.Unavailable {
		t.Fatalf("err = %v, want Unavailable", callErr)
	}
	// The stats handler may end a span just after the call returns, and
	// gRPC may make a transparent retry attempt with a span of its own: wait
	// for the failed call's span rather than counting.
	hasError := func(spans []sdktrace.ReadOnlySpan) bool {
		for _, s := range spans {
			if s.Status().Code.String() == "Error" {
				return true
			}
		}
		return false
	}
	spans := rec.Ended()
	for deadline := time.Now().Add(5 * time.Second); !hasError(spans) && time.Now().Before(deadline); spans = rec.Ended() {
		time.Sleep(time.Millisecond)
	}
	if len(spans) < 2 || !hasError(spans) {
		for _, s := range spans {
			t.Logf("span %v %v", s.Attributes(), s.Status())
		}
		t.Fatalf("%d spans, error span seen: %v; want the successful call's and the failed call's (err %v)", len(spans), hasError(spans), callErr)
	}
	for i, s := range spans {
		if s.Name() != "clarifai.api.V2/PostModelOutputs" {
			t.Errorf("span %d name %q", i, s.Name())
		}
		var text bytes.Buffer
		for _, a := range s.Attributes() {
			fmt.Fprintf(&text, "%s=%s ", a.Key, a.Value.String())
		}
		for _, ev := range s.Events() {
			fmt.Fprintf(&text, "%s %v ", ev.Name, ev.Attributes)
		}
		fmt.Fprintf(&text, "%v", s.Status())
		assertNoSecret(t, fmt.Sprintf("span %d", i), text.String())
	}
}

// TestLoggingPrintsNoSecret logs every event of go-grpc-middleware's logging
// interceptor, payloads included, through successes, in-band failures and
// local credential failures, and checks the output for secrets.
func TestLoggingPrintsNoSecret(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{mu: &mu, w: &out}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	logIC := logging.UnaryClientInterceptor(logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		logger.Log(ctx, slog.Level(lvl), msg, fields...)
	}), logging.WithLogOnEvents(logging.StartCall, logging.FinishCall, logging.PayloadSent, logging.PayloadReceived))

	e := newEnv(t, nil, nil)
	e.conn.Close()
	for _, src := range []keysource.Source{
		staticSource(sourceKey),
		staticSource(sourceKey + "\n" + sourceKey2), // invalid
		staticSource(unknownKey),                    // in-band CONN_KEY_NOT_FOUND
	} {
		conn, err := e.srv.Dial(secure, grpc.WithChainUnaryInterceptor(logIC, interceptor.UnaryClient(src)))
		if err != nil {
			t.Fatal(err)
		}
		pbClient(conn).PostModelOutputs(context.Background(), predictReq())
		pbClient(conn).PostModelOutputs(context.Background(), predictReq(), interceptor.CallKey(keysource.Key{}))
		conn.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if out.Len() == 0 {
		t.Fatal("the logging interceptor logged nothing")
	}
	assertNoSecret(t, "log output", out.String())
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
