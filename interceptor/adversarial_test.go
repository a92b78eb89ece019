package interceptor_test

// The interceptors' part of the adversarial suite (issue 13): hostile
// servers. Each case uses a fresh marker key and searches every output the
// caller can see for it (testutil.NoSecret), bounds the time a call may
// take past its deadline, and checks that goroutines do not pile up
// (goleak checks the package at its end).
//
// Attacks covered here:
//   - 1  the server echoes the key: TestAttackServerEchoesKey
//   - 8  the preflight grows while MyScopes hangs: TestAttackPreflightFlood
//   - 10 control, format and separator characters from the server:
//     TestAttackControlCharacters (with scopes' test of the same name)
//   - held: 10 MB descriptions (TestAttackHugeDescriptions, with scopes'),
//     garbage status bytes (TestAttackGarbageStatusBytes, with scopes'),
//     hung servers (TestAttackHungServers).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protowire"
)

// hostileReply is what a hostile server answers to one call.
type hostileReply struct {
	replies [][]byte // raw reply messages
	err     error    // gRPC error after the replies
	hang    bool     // block until the call is cancelled
}

// hostile is a server that answers every method by behave, with raw bytes.
type hostile struct {
	behave func(method, auth string) hostileReply
}

func (h *hostile) handle(_ any, stream grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(stream)
	md, _ := metadata.FromIncomingContext(stream.Context())
	var auth string
	if v := md.Get("authorization"); len(v) > 0 {
		auth = v[0]
	}
	var in []byte
	_ = stream.RecvMsg(&in)
	r := h.behave(method, auth)
	for _, b := range r.replies {
		if err := stream.SendMsg(&b); err != nil {
			return err
		}
	}
	if r.hang {
		<-stream.Context().Done()
		return stream.Context().Err()
	}
	return r.err
}

// rawCodec passes *[]byte through, so the server can send any bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }

// startHostile serves h and returns a client whose connection carries the
// interceptors built with src and opts.
func startHostile(t *testing.T, h *hostile, src keysource.Source, opts ...interceptor.Option) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(grpc.UnknownServiceHandler(h.handle), grpc.ForceServerCodecV2(rawCodec{}))
	go srv.Serve(lis)
	conn, err := grpc.NewClient("passthrough:///hostile",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		secure,
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, opts...)),
		grpc.WithChainStreamInterceptor(interceptor.StreamClient(src, opts...)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
	})
	return conn
}

// statusReply encodes a reply message {1: Status{1: code, 2: desc, 3: details, 7: reqID}}.
func statusReply(code int32, desc, details, reqID string) []byte {
	var st []byte
	st = protowire.AppendTag(st, 1, protowire.VarintType)
	st = protowire.AppendVarint(st, uint64(code))
	for _, f := range []struct {
		n protowire.Number
		s string
	}{{2, desc}, {3, details}, {7, reqID}} {
		if f.s != "" {
			st = protowire.AppendTag(st, f.n, protowire.BytesType)
			st = protowire.AppendString(st, f.s)
		}
	}
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	return protowire.AppendBytes(b, st)
}

// outputs collects every text a caller can get from an error.
func outputs(err error) []string {
	if err == nil {
		return nil
	}
	out := []string{err.Error(), fmt.Sprintf("%v|%+v|%#v|%q|%s", err, err, err, err, err), status.Convert(err).Message()}
	if st, ok := status.FromError(err); ok {
		out = append(out, fmt.Sprint(st.Proto()))
	}
	if se, ok := scopes.FromError(err); ok {
		out = append(out, se.Method, se.Description, se.Details, se.ReqID,
			strings.Join(se.Missing, " "), strings.Join(se.MissingEndpoints, " "), fmt.Sprintf("%v %+v", *se, *se))
	}
	return out
}

// run makes a unary call, a server-streaming call and a bidirectional one
// against conn, each bounded by timeout, and returns their errors.
func run(t *testing.T, conn *grpc.ClientConn, timeout time.Duration) map[string]error {
	t.Helper()
	client := pb.NewV2Client(conn)
	errs := make(map[string]error)
	call := func(name string, f func(ctx context.Context) error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- f(ctx) }()
		select {
		case errs[name] = <-done:
		case <-ctx.Done():
			// The deadline has passed: the call must return now. The
			// guard only tells a hang from a slow machine.
			select {
			case errs[name] = <-done:
			case <-time.After(time.Minute):
				t.Fatalf("%s still blocked a minute after its %v deadline passed", name, timeout)
			}
		}
	}
	call("unary", func(ctx context.Context) error {
		_, err := client.PostModelOutputs(ctx, predictReq())
		return err
	})
	call("server stream", func(ctx context.Context) error {
		s, err := client.GenerateModelOutputs(ctx, predictReq())
		for err == nil {
			_, err = s.Recv()
		}
		return err
	})
	call("bidi stream", func(ctx context.Context) error {
		s, err := client.StreamModelOutputs(ctx)
		if err != nil {
			return err
		}
		if err := s.Send(predictReq()); err != nil && err != io.EOF {
			return err
		}
		s.CloseSend()
		for err == nil {
			_, err = s.Recv()
		}
		_ = s.Trailer()
		return err
	})
	return errs
}

// hostileCase is one hostile server behaviour, given the authorization
// header the call carried.
type hostileCase struct {
	name   string
	behave func(auth string) hostileReply
}

// hostileOpts are how runHostile calls: the defaults suit a server that
// answers.
type hostileOpts struct {
	// timeout bounds each call; zero means long enough for any reply to
	// arrive on a busy machine, so that the case tests what is done with
	// the reply rather than racing the deadline.
	timeout time.Duration
	// hangs says the server never ends the calls: each must end with its
	// deadline.
	hangs bool
}

// TestAttackServerEchoesKey (attack 1): a server that echoes the caller's key
// in its status text, a later stream reply, a gRPC error or scope names
// gets it into no error: the key is replaced by its redacted form.
func TestAttackServerEchoesKey(t *testing.T) {
	runHostile(t, []hostileCase{
		{"in its status", func(auth string) hostileReply {
			return hostileReply{replies: [][]byte{statusReply(11009, "API key not found: "+auth, auth, "req-"+auth)}}
		}},
		{"in a later reply", func(auth string) hostileReply {
			return hostileReply{replies: [][]byte{statusReply(10000, "", "", ""), statusReply(11008, "bad key "+auth, "", "")}}
		}},
		{"in a gRPC error", func(auth string) hostileReply {
			return hostileReply{err: status.Error(codes.Unauthenticated, "who is "+auth+"?")}
		}},
		{"in scope names", func(auth string) hostileReply {
			return hostileReply{replies: [][]byte{statusReply(11007, "Missing scopes: ["+auth+"]", "or endpoint: /"+auth, "")}}
		}},
	})
	t.Run("redacted form shown, code and details kept", scrubEchoedKey)
}

// TestAttackHugeDescriptions (held): 1 MB and, in a soak
// (testutil.Soak), 10 MB status texts around the key give a bounded
// Error() without the key.
func TestAttackHugeDescriptions(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	cases := []hostileCase{
		{"1 MB description around the key", func(auth string) hostileReply {
			return hostileReply{replies: [][]byte{statusReply(10020, big+auth+big, auth+big, "")}}
		}},
	}
	if testutil.Soak() {
		huge := strings.Repeat("x", 10<<20)
		cases = append(cases, hostileCase{"10 MB description around the key", func(auth string) hostileReply {
			return hostileReply{replies: [][]byte{statusReply(10020, huge+auth+huge, auth+huge, "")}}
		}})
	}
	runHostile(t, cases)
}

// TestAttackGarbageStatusBytes (held): replies that are not a status at all
// neither crash the interceptors nor hang the call.
func TestAttackGarbageStatusBytes(t *testing.T) {
	runHostile(t, []hostileCase{
		{"garbage status bytes", func(auth string) hostileReply {
			return hostileReply{replies: [][]byte{
				append(protowire.AppendTag(nil, 1, protowire.BytesType), 0x7f, 0xff, 0xfe, 0x01),
				{0x0a, 0x05, 0x08, 0xff, 0xff, 0xff, 0xff}, // a truncated varint code
			}}
		}},
		{"a status whose text overruns", func(auth string) hostileReply {
			b := statusReply(10020, "desc "+auth, "", "")
			return hostileReply{replies: [][]byte{b[:len(b)-3]}}
		}},
	})
}

// TestAttackControlCharacters (attack 10): terminal escapes, bidi
// overrides, line and paragraph separators and invalid UTF-8 in a
// Clarifai status reach no error: the *scopes.Error's Error() is one
// printable line (runHostile checks every such error). A gRPC error's
// message is the server's, passed on as gRPC gives it, with the key
// scrubbed (TestAttackServerEchoesKey).
func TestAttackControlCharacters(t *testing.T) {
	runHostile(t, []hostileCase{
		// gRPC's codec refuses the reply (a proto3 string must be UTF-8):
		// the error must still not show the key. scopes' test of the same
		// name feeds invalid UTF-8 to Error() itself.
		{"invalid UTF-8 around the key", func(auth string) hostileReply {
			return hostileReply{replies: [][]byte{statusReply(10020, "\xff\xfe"+auth+"\u202e\u2028", "", "")}}
		}},
		{"terminal escapes and separators", func(auth string) hostileReply {
			return hostileReply{replies: [][]byte{statusReply(10020, "\x1b[2J\x1b]0;pwned\x07"+auth+"\u202eevil\u2028\u2029\r\nforged line\u200b\ufeff", "\x1b[31m"+auth, "\u2066"+auth)}}
		}},
	})
}

// TestAttackHungServers (held): a server that never answers, or answers
// once and then hangs, holds no call past its deadline.
func TestAttackHungServers(t *testing.T) {
	runHostile(t, []hostileCase{
		{"hangs", func(string) hostileReply { return hostileReply{hang: true} }},
		{"sends one reply and hangs", func(string) hostileReply {
			return hostileReply{replies: [][]byte{statusReply(10000, "", "", "")}, hang: true}
		}},
	}, hostileOpts{timeout: 300 * time.Millisecond, hangs: true})
}

// printableLine reports the first rune of text that is a control, format,
// line or paragraph separator character, or an invalid byte; ok is true
// when there is none.
func printableLine(text string) (bad rune, ok bool) {
	for _, r := range text {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp) {
			return r, false
		}
	}
	return 0, true
}

// runHostile makes unary, server-streaming and bidirectional calls, with a
// short deadline, against a server behaving as each case says, with a
// fresh marker as the key, and checks every output for the marker, every
// Error() for size and printability, every call for its deadline, and the
// goroutines after.
func runHostile(t *testing.T, cases []hostileCase, opts ...hostileOpts) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			marker := testutil.Marker(t)
			key := mustKey(keysource.KindKey, marker)
			var mu sync.Mutex
			var reported []string
			onErr := preflight.OnFetchError(func(_ string, err error) {
				mu.Lock()
				defer mu.Unlock()
				reported = append(reported, outputs(err)...)
			})
			conn := startHostile(t, &hostile{behave: func(_, auth string) hostileReply { return tc.behave(auth) }},
				key, interceptor.WithPreflight(preflight.New(onErr, preflight.FetchTimeout(time.Second))))
			var o hostileOpts
			if len(opts) > 0 {
				o = opts[0]
			}
			timeout := o.timeout
			if timeout == 0 {
				timeout = 30 * time.Second
			}
			before := runtime.NumGoroutine()
			for name, err := range run(t, conn, timeout) {
				if o.hangs && status.Code(err) != codes.DeadlineExceeded {
					t.Errorf("%s: %v, want DeadlineExceeded", name, err)
				}
				for _, text := range outputs(err) {
					testutil.NoSecret(t, name, text, marker)
				}
				if err == nil {
					continue
				}
				if n := len(err.Error()); n > 16<<10 {
					t.Errorf("%s: Error() is %d bytes", name, n)
				}
				var se *scopes.Error
				if !errors.As(err, &se) {
					continue
				}
				if r, ok := printableLine(se.Error()); !ok {
					t.Errorf("%s: Error() holds %U: %q", name, r, testutil.Clip(se.Error(), 200))
				}
			}
			mu.Lock()
			for _, text := range reported {
				testutil.NoSecret(t, "OnFetchError", text, marker)
			}
			mu.Unlock()
			if grown := settledGoroutines(before + 20); grown > before+20 {
				t.Errorf("%d more goroutines after the calls", grown-before)
			}
		})
	}
}

// TestAttackPreflightFlood (attack 8): with MyScopes hung, calls with
// deadlines for many apps end on time, and neither the preflight's entries
// nor the goroutines grow with the calls.
func TestAttackPreflightFlood(t *testing.T) {
	t.Run("through the interceptor", hungMyScopes)
	// The preflight's own bound is tested in package preflight.
}

// hungMyScopes: with MyScopes hung, calls with deadlines end on time, and
// calls for many apps keep the goroutines bounded.
func hungMyScopes(t *testing.T) {
	marker := testutil.Marker(t)
	h := &hostile{behave: func(method, _ string) hostileReply {
		if method == myScopesPath {
			return hostileReply{hang: true}
		}
		return hostileReply{replies: [][]byte{statusReply(10000, "", "", "")}}
	}}
	const bound = 1024 // the preflight's default bound on fetches in flight
	conn := startHostile(t, h, mustKey(keysource.KindKey, marker),
		interceptor.WithPreflight(preflight.New(preflight.FetchTimeout(time.Minute))))
	client := pb.NewV2Client(conn)
	call := func(i int) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		req := &pb.PostModelOutputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "u", AppId: fmt.Sprint("app-", i)}}
		_, err := client.PostModelOutputs(ctx, req)
		cancel()
		if err != nil && status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("call %d: %v", i, err)
		}
		testutil.NoSecret(t, "error", fmt.Sprint(err), marker)
	}
	// The first bound calls fill the fetches in flight; each hung fetch
	// holds a few goroutines (the fetch, gRPC's stream). Half as many calls
	// again, for other apps, must add none that last: without the bound
	// they would add hundreds.
	for i := range bound {
		call(i)
	}
	full := runtime.NumGoroutine()
	for i := bound; i < bound+bound/2; i++ {
		call(i)
	}
	if n := settledGoroutines(full + bound/8); n > full+bound/8 {
		t.Errorf("%d more goroutines after %d more calls for distinct apps, with %d fetches hung", n-full, bound/2, bound)
	}
}

// settledGoroutines waits, up to a generous bound, for the goroutine count
// to fall to want (calls that just ended release theirs asynchronously),
// and returns the count.
func settledGoroutines(want int) int {
	deadline := time.Now().Add(30 * time.Second)
	n := runtime.NumGoroutine()
	for n > want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}
