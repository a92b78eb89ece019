package interceptor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// invalidating is a Source that records the keys it is told were rejected.
type invalidating struct {
	key keysource.Key
	mu  sync.Mutex
	got []keysource.Key
}

func (s *invalidating) Key(context.Context) (keysource.Key, error) { return s.key, nil }

func (s *invalidating) Invalidate(k keysource.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, k)
}

func (s *invalidating) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.got {
		if !k.Equal(s.key) {
			panic("Invalidate got another key than the Source's")
		}
	}
	return len(s.got)
}

var _ interface{ Invalidate(keysource.Key) } = (*invalidating)(nil)

// TestInvalidateOnRejection: a server's rejection of a key the Source gave
// is reported to the Source; other failures, overrides and local errors
// are not.
func TestInvalidateOnRejection(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		desc   string
		code   int32 // in-band status, or 0
		grpc   error // gRPC error, or nil
		ctx    context.Context
		opts   []grpc.CallOption
		report bool
	}{
		{"CONN_KEY_INVALID", 11008, nil, ctx, nil, true},
		{"CONN_KEY_NOT_FOUND", 11009, nil, ctx, nil, true},
		{"CONN_CREDENTIALS_INVALID", 11002, nil, ctx, nil, true},
		{"CONN_TOKEN_INVALID", 11001, nil, ctx, nil, true},
		{"gRPC Unauthenticated", 0, status.Error(codes.Unauthenticated, "who are you"), ctx, nil, true},
		{"insufficient scopes", 11007, nil, ctx, nil, false},
		{"throttled", 11005, nil, ctx, nil, false},
		{"gRPC PermissionDenied", 0, status.Error(codes.PermissionDenied, "no"), ctx, nil, false},
		{"gRPC Unavailable", 0, status.Error(codes.Unavailable, "down"), ctx, nil, false},
		{"CallKey", 11008, nil, ctx, []grpc.CallOption{interceptor.CallKey(keyOf(callKey))}, false},
		{"WithKey", 11008, nil, keysource.WithKey(ctx, keyOf(contextKey)), nil, false},
		{"hand-written", 11008, nil, metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+handKey), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			src := &invalidating{key: keyOf(sourceKey)}
			e := newEnv(t, src, nil)
			if tt.code != 0 {
				e.srv.SetStatus(predictPath, tt.code, "rejected", "")
				e.srv.SetStreamCodes(generatePath, tt.code)
			}
			if tt.grpc != nil {
				e.srv.SetError(predictPath, tt.grpc)
				e.srv.SetError(generatePath, tt.grpc)
			}
			if _, err := e.client.PostModelOutputs(tt.ctx, predictReq(), tt.opts...); err == nil {
				t.Fatal("unary call succeeded")
			}
			stream, err := e.client.GenerateModelOutputs(tt.ctx, predictReq(), tt.opts...)
			if err == nil {
				_, err = stream.Recv()
			}
			if err == nil {
				t.Fatal("stream succeeded")
			}
			want := 0
			if tt.report {
				want = 2
			}
			if n := src.count(); n != want {
				t.Errorf("Invalidate called %d times, want %d", n, want)
			}
		})
	}

	// A local failure (no key at all) is not the server's rejection.
	src := &invalidating{}
	e := newEnv(t, src, nil)
	if _, err := e.client.PostModelOutputs(ctx, predictReq()); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no key: %v", err)
	}
	if n := src.count(); n != 0 {
		t.Errorf("Invalidate called %d times for a local failure", n)
	}
}

// scrubEchoedKey, part of TestAttackServerEchoesKey: a server that echoes the key in its status text or
// in a gRPC error's message does not get it into any error: the key is
// replaced by its redacted form, and the gRPC code and details are kept.
func scrubEchoedKey(t *testing.T) {
	marker := keyOf(sourceKey)
	redacted := marker.String()
	e := newEnv(t, marker, nil)
	ctx := context.Background()
	echo := "API key not found: Key " + sourceKey

	check := func(what string, err error, wantCode codes.Code) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		if status.Code(err) != wantCode {
			t.Errorf("%s: code %v, want %v", what, status.Code(err), wantCode)
		}
		texts := []string{err.Error(), fmt.Sprintf("%v %+v %#v %q", err, err, err, err), status.Convert(err).Message()}
		if se, ok := scopes.FromError(err); ok {
			texts = append(texts, se.Description, se.Details, se.ReqID, strings.Join(se.Missing, " "), strings.Join(se.MissingEndpoints, " "))
		}
		for _, text := range texts {
			assertNoSecret(t, what, text)
		}
		if !strings.Contains(err.Error(), redacted) {
			t.Errorf("%s: %q does not show the redacted key %q", what, err.Error(), redacted)
		}
	}

	// In-band status text, unary and stream.
	e.srv.SetStatus(predictPath, 11009, echo, "details: "+echo)
	_, err := e.client.PostModelOutputs(ctx, predictReq())
	check("in-band unary", err, codes.Unauthenticated)
	e.srv.ClearStatus(predictPath)

	// A gRPC error, with details kept.
	withDetails, _ := status.New(codes.Unauthenticated, echo).WithDetails(&errdetails.ErrorInfo{Reason: "KEY"})
	e.srv.SetError(predictPath, withDetails.Err())
	_, err = e.client.PostModelOutputs(ctx, predictReq())
	check("gRPC error unary", err, codes.Unauthenticated)
	if d := status.Convert(err).Details(); len(d) != 1 {
		t.Errorf("details = %v, want the ErrorInfo kept", d)
	}
	e.srv.SetError(generatePath, withDetails.Err())
	for _, opts := range [][]grpc.CallOption{nil, {interceptor.WithStatusCheck(nil)}} {
		stream, err := e.client.GenerateModelOutputs(ctx, predictReq(), opts...)
		if err == nil {
			_, err = stream.Recv()
		}
		check(fmt.Sprintf("gRPC error stream %d", len(opts)), err, codes.Unauthenticated)
	}
	e.srv.SetError(generatePath, nil)

	// In-band, in a stream's later reply (connection-level: it ends the stream).
	e.srv.SetStatus(generatePath, 11008, echo, echo)
	stream, err := e.client.GenerateModelOutputs(ctx, predictReq())
	if err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	check("in-band stream", err, codes.Unauthenticated)
	_, again := stream.Recv()
	if !errors.Is(again, scopes.ErrKeyInvalid) {
		t.Errorf("Recv after the end = %v", again)
	}
	check("in-band stream, again", again, codes.Unauthenticated)
}
