package interceptor_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/version"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// benchKey is a variable, not a constant, so that the hand-written
// "Key "+benchKey is concatenated at run time, as it is in real code.
var benchKey = strings.Clone(sourceKey)

var benchErr error

// BenchmarkUnaryInterceptor measures the interceptor alone, with an invoker
// that does nothing, against the hand-written way of adding the header.
// Run: go test -run '^$' -bench 'Interceptor' -benchmem ./interceptor/
func BenchmarkUnaryInterceptor(b *testing.B) {
	ctx := context.Background()
	req := predictReq()
	reply := &pb.MultiOutputResponse{Status: &pb.Status{Code: pb.StatusCode_SUCCESS}}
	noop := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	run := func(b *testing.B, call func() error) {
		b.ReportAllocs()
		for b.Loop() {
			benchErr = call()
		}
		if benchErr != nil {
			b.Fatal(benchErr)
		}
	}
	b.Run("a-no-auth", func(b *testing.B) {
		run(b, func() error { return noop(ctx, predictPath, req, reply, nil) })
	})
	b.Run("b-hand-written", func(b *testing.B) {
		run(b, func() error {
			return noop(metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+benchKey), predictPath, req, reply, nil)
		})
	})
	b.Run("b-hand-written-with-tag", func(b *testing.B) {
		run(b, func() error {
			return noop(metadata.AppendToOutgoingContext(ctx,
				"authorization", "Key "+benchKey, "x-clarifai-request-id-prefix", benchTag), predictPath, req, reply, nil)
		})
	})
	static := interceptor.UnaryClient(staticSource(benchKey))
	b.Run("c-static", func(b *testing.B) {
		run(b, func() error { return static(ctx, predictPath, req, reply, nil, noop) })
	})
	override := keysource.WithKey(ctx, keyOf(benchKey))
	b.Run("d-context-override", func(b *testing.B) {
		run(b, func() error { return static(override, predictPath, req, reply, nil, noop) })
	})
	callOpt := interceptor.CallKey(keyOf(benchKey))
	b.Run("d-call-option", func(b *testing.B) {
		run(b, func() error { return static(ctx, predictPath, req, reply, nil, noop, callOpt) })
	})
	key := keyOf(benchKey)
	b.Run("d-call-option-made-per-call", func(b *testing.B) {
		run(b, func() error { return static(ctx, predictPath, req, reply, nil, noop, interceptor.CallKey(key)) })
	})
	noCheck := interceptor.WithStatusCheck(nil)
	b.Run("d-call-option-no-status-check", func(b *testing.B) {
		run(b, func() error { return static(ctx, predictPath, req, reply, nil, noop, noCheck) })
	})
	file := interceptor.UnaryClient(warmFile(b))
	b.Run("c-file-warm", func(b *testing.B) {
		run(b, func() error { return file(ctx, predictPath, req, reply, nil, noop) })
	})
	unchecked := interceptor.UnaryClient(staticSource(benchKey), interceptor.WithStatusCheck(nil))
	b.Run("c-static-no-status-check", func(b *testing.B) {
		run(b, func() error { return unchecked(ctx, predictPath, req, reply, nil, noop) })
	})
	// WithUserApp: a request that names its app (as predictReq does, the way
	// callers write it by hand) against one that leaves it to the default.
	userApp := interceptor.UnaryClient(staticSource(benchKey), interceptor.WithUserApp("me", "app"))
	b.Run("f-user-app-named", func(b *testing.B) {
		run(b, func() error { return userApp(ctx, predictPath, req, reply, nil, noop) })
	})
	unnamed := &pb.PostModelOutputsRequest{ModelId: req.ModelId, Inputs: req.Inputs}
	b.Run("f-user-app-filled", func(b *testing.B) {
		run(b, func() error { return userApp(ctx, predictPath, unnamed, reply, nil, noop) })
	})
	// WithThrottle with a limiter that never waits: the interceptor's own
	// cost of pacing (timing the wait, passing it on, recording the attempt).
	paced := interceptor.UnaryClient(staticSource(benchKey), interceptor.WithThrottle(nopLimiter{}))
	b.Run("g-throttle-nop-limiter", func(b *testing.B) {
		run(b, func() error { return paced(ctx, predictPath, req, reply, nil, noop) })
	})
}

// BenchmarkPreflightWarm measures the interceptor with WithPreflight once
// the key's grant is cached: the cost every call pays for opting in.
func BenchmarkPreflightWarm(b *testing.B) {
	e := newEnv(b, nil, nil)
	ic := interceptor.UnaryClient(staticSource(sourceKey), interceptor.WithPreflight(preflight.New()))
	ctx := context.Background()
	req := predictReq()
	reply := &pb.MultiOutputResponse{Status: &pb.Status{Code: pb.StatusCode_SUCCESS}}
	noop := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	if err := ic(ctx, predictPath, req, reply, e.conn, noop); err != nil { // fetches the grant over e.conn
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		benchErr = ic(ctx, predictPath, req, reply, e.conn, noop)
	}
	if benchErr != nil {
		b.Fatal(benchErr)
	}
}

// BenchmarkStreamInterceptor measures the stream interceptor alone, with a
// streamer that returns a stream doing nothing.
func BenchmarkStreamInterceptor(b *testing.B) {
	ctx := context.Background()
	desc := &grpc.StreamDesc{ServerStreams: true}
	var cs grpc.ClientStream = nopStream{}
	streamer := func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, ...grpc.CallOption) (grpc.ClientStream, error) {
		return cs, nil
	}
	b.Run("b-hand-written", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, benchErr = streamer(metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+benchKey), desc, nil, generatePath)
		}
	})
	b.Run("b-hand-written-with-tag", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, benchErr = streamer(metadata.AppendToOutgoingContext(ctx,
				"authorization", "Key "+benchKey, "x-clarifai-request-id-prefix", benchTag), desc, nil, generatePath)
		}
	})
	for _, tt := range []struct {
		name string
		opts []interceptor.Option
	}{
		{"e-stream-static", nil},
		{"e-stream-static-no-status-check", []interceptor.Option{interceptor.WithStatusCheck(nil)}},
	} {
		ic := interceptor.StreamClient(staticSource(benchKey), tt.opts...)
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, benchErr = ic(ctx, desc, nil, generatePath, streamer)
			}
		})
	}
}

type nopStream struct{ grpc.ClientStream }

// warmFile returns a File source holding benchKey that has been read once.
func warmFile(b *testing.B) keysource.Source {
	path := filepath.Join(b.TempDir(), "pat")
	if err := os.WriteFile(path, []byte(benchKey+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	src := keysource.File(path)
	if _, err := src.Key(context.Background()); err != nil {
		b.Fatal(err)
	}
	return src
}

// BenchmarkPerRPCCredentials measures gRPC's own credentials hook: what
// GetRequestMetadata costs per call, against the interceptor's work.
func BenchmarkPerRPCCredentials(b *testing.B) {
	creds := interceptor.PerRPCCredentials(staticSource(benchKey), interceptor.AllowInsecureTransport())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, benchErr = creds.GetRequestMetadata(ctx)
	}
}

// BenchmarkUnaryRPC measures a whole unary call over bufconn to the fake
// server: the hand-written header against the interceptor.
func BenchmarkUnaryRPC(b *testing.B) {
	e := newEnv(b, nil, nil)
	plain := pbClient(e.conn)
	withLib, err := e.srv.Dial(secure, grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(staticSource(benchKey))))
	if err != nil {
		b.Fatal(err)
	}
	defer withLib.Close()
	lib := pbClient(withLib)
	req := predictReq()
	ctx := context.Background()
	run := func(b *testing.B, call func() error) {
		b.ReportAllocs()
		e.srv.ResetCalls()
		n := 0
		for b.Loop() {
			if err := call(); err != nil {
				b.Fatal(err)
			}
			if n++; n%1024 == 0 {
				e.srv.ResetCalls() // the fake server records every call
			}
		}
	}
	b.Run("b-hand-written", func(b *testing.B) {
		run(b, func() error {
			resp, err := plain.PostModelOutputs(metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+benchKey), req)
			if err == nil && resp.GetStatus().GetCode() != pb.StatusCode_SUCCESS {
				b.Fatalf("status %v", resp.GetStatus())
			}
			return err
		})
	})
	b.Run("b-hand-written-with-tag", func(b *testing.B) {
		run(b, func() error {
			_, err := plain.PostModelOutputs(metadata.AppendToOutgoingContext(ctx,
				"authorization", "Key "+benchKey, "x-clarifai-request-id-prefix", benchTag), req)
			return err
		})
	})
	b.Run("c-interceptor-static", func(b *testing.B) {
		run(b, func() error {
			_, err := lib.PostModelOutputs(ctx, req)
			return err
		})
	})
	// The same without the per-call transport guard, for its cost.
	unguarded, err := e.srv.Dial(secure, grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(staticSource(benchKey), interceptor.AllowInsecureTransport())))
	if err != nil {
		b.Fatal(err)
	}
	defer unguarded.Close()
	unguardedClient := pbClient(unguarded)
	b.Run("c-interceptor-no-guard", func(b *testing.B) {
		run(b, func() error {
			_, err := unguardedClient.PostModelOutputs(ctx, req)
			return err
		})
	})
	withCreds, err := e.srv.Dial(grpc.WithPerRPCCredentials(interceptor.PerRPCCredentials(staticSource(benchKey), interceptor.AllowInsecureTransport())))
	if err != nil {
		b.Fatal(err)
	}
	defer withCreds.Close()
	credsClient := pbClient(withCreds)
	b.Run("f-per-rpc-credentials", func(b *testing.B) {
		run(b, func() error {
			_, err := credsClient.PostModelOutputs(ctx, req)
			return err
		})
	})
}

// benchTag is the request tag the interceptor sends by default, for the
// hand-written way to send the same two headers.
var benchTag = "clarifaiauth-go-" + version.Version

// BenchmarkStreamRPC measures a whole server-streaming call over bufconn
// to the fake server, opened and read to its end: the hand-written headers
// (the same two the interceptor sends) against the interceptor, with and
// without its per-call transport guard.
// Run: go test -run '^$' -bench 'StreamRPC' -benchmem ./interceptor/
func BenchmarkStreamRPC(b *testing.B) {
	e := newEnv(b, nil, nil)
	dial := func(opts ...interceptor.Option) pb.V2Client {
		conn, err := e.srv.Dial(secure, grpc.WithChainStreamInterceptor(interceptor.StreamClient(staticSource(benchKey), opts...)))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close() })
		return pbClient(conn)
	}
	plain, lib, unguarded := pbClient(e.conn), dial(), dial(interceptor.AllowInsecureTransport())
	req := predictReq()
	ctx := context.Background()
	readAll := func(c pb.V2Client, ctx context.Context) error {
		stream, err := c.GenerateModelOutputs(ctx, req)
		if err != nil {
			return err
		}
		for {
			if _, err := stream.Recv(); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
	}
	for _, bc := range []struct {
		name string
		call func() error
	}{
		{"b-hand-written-with-tag", func() error {
			return readAll(plain, metadata.AppendToOutgoingContext(ctx,
				"authorization", "Key "+benchKey, "x-clarifai-request-id-prefix", benchTag))
		}},
		{"c-interceptor-static", func() error { return readAll(lib, ctx) }},
		{"c-interceptor-no-guard", func() error { return readAll(unguarded, ctx) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := bc.call(); err != nil {
					b.Fatal(err)
				}
				if n++; n%1024 == 0 {
					e.srv.ResetCalls()
				}
			}
		})
	}
}

// nopLimiter sends every call at once.
type nopLimiter struct{}

func (nopLimiter) Wait(context.Context, string, bool) error { return nil }
func (nopLimiter) Done(string, bool)                        {}
