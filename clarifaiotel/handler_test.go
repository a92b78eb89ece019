package clarifaiotel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/clarifaiotel"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	mPostModelOutputs     = "/clarifai.api.V2/PostModelOutputs"
	mGenerateModelOutputs = "/clarifai.api.V2/GenerateModelOutputs"
	mStreamModelOutputs   = "/clarifai.api.V2/StreamModelOutputs"
)

// Clarifai codes the tests use, by number: the scopes package's named
// constants are not part of what this package relies on.
const (
	success            = 10000
	failure            = 10020
	throttled          = 11005
	insufficientScopes = 11007
	uploadInProgress   = 68000
)

var predictScopes = []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}

// fixture is a fake Clarifai server dialled through Wrap(otelgrpc's client
// handler), with an in-memory span exporter and a counting meter.
type fixture struct {
	srv    *clarifaifake.Server
	client pb.V2Client
	spans  *tracetest.InMemoryExporter
	tp     *sdktrace.TracerProvider
	meter  *countingMeters
	key    string // a marker key the server knows, with predictScopes
}

func newFixture(t *testing.T, otelOpts []otelgrpc.Option, opts ...clarifaiotel.Option) *fixture {
	t.Helper()
	f := &fixture{spans: tracetest.NewInMemoryExporter(), meter: &countingMeters{}}
	f.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.spans))
	t.Cleanup(func() { _ = f.tp.Shutdown(context.Background()) })
	inner := otelgrpc.NewClientHandler(append([]otelgrpc.Option{
		otelgrpc.WithTracerProvider(f.tp),
		otelgrpc.WithMeterProvider(noop.NewMeterProvider()),
	}, otelOpts...)...)
	h := clarifaiotel.Wrap(inner, append([]clarifaiotel.Option{clarifaiotel.WithMeterProvider(f.meter)}, opts...)...)
	var conn *grpc.ClientConn
	f.srv, conn = clarifaifake.NewForTest(t, grpc.WithStatsHandler(h))
	f.client = pb.NewV2Client(conn)
	f.key = testutil.Marker(t)
	f.srv.AddPAT(f.key, predictScopes, nil)
	return f
}

// ctx is a call context carrying key, or no credential when key is "".
func callCtx(t *testing.T, key string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	if key == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+key)
}

func predictRequest() *pb.PostModelOutputsRequest {
	return &pb.PostModelOutputsRequest{
		UserAppId: &pb.UserAppIDSet{UserId: "u1", AppId: "a1"},
		ModelId:   "general-image-recognition",
		Inputs:    []*pb.Input{{Id: "in-1"}},
	}
}

// span returns the one span the exporter holds, waiting for it to end:
// a call cancelled by its caller ends its span on a gRPC goroutine.
func (f *fixture) span(t *testing.T) tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(f.spans.GetSpans()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	got := f.spans.GetSpans()
	if len(got) != 1 {
		t.Fatalf("got %d spans, want 1: %v", len(got), names(got))
	}
	f.spans.Reset()
	f.noKey(t, got[0])
	return got[0]
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// noKey fails the test if the fixture's key shows anywhere in s: its
// status, attributes, events or links.
func (f *fixture) noKey(t *testing.T, s tracetest.SpanStub) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\n", s.Name, s.Status.Code, s.Status.Description)
	for _, kv := range s.Attributes {
		fmt.Fprintf(&b, "%s=%s\n", kv.Key, kv.Value.String())
	}
	for _, e := range s.Events {
		fmt.Fprintf(&b, "event %s\n", e.Name)
		for _, kv := range e.Attributes {
			fmt.Fprintf(&b, "%s=%s\n", kv.Key, kv.Value.String())
		}
	}
	testutil.NoSecret(t, "span "+s.Name, b.String(), f.key)
}

func attrs(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// wantFailure checks the Clarifai attributes in kvs.
func wantFailure(t *testing.T, what string, kvs []attribute.KeyValue, code int64, name string) {
	t.Helper()
	a := attrs(kvs)
	if got := a[clarifaiotel.CodeKey].AsInt64(); got != code {
		t.Errorf("%s: %s = %d, want %d", what, clarifaiotel.CodeKey, got, code)
	}
	if got := a[clarifaiotel.NameKey].AsString(); got != name {
		t.Errorf("%s: %s = %q, want %q", what, clarifaiotel.NameKey, got, name)
	}
	if got := a[clarifaiotel.ReqIDKey].AsString(); !strings.HasPrefix(got, "fake-") {
		t.Errorf("%s: %s = %q, want the server's req_id", what, clarifaiotel.ReqIDKey, got)
	}
}

func noClarifaiAttrs(t *testing.T, s tracetest.SpanStub) {
	t.Helper()
	for _, kv := range s.Attributes {
		if strings.HasPrefix(string(kv.Key), "clarifai.") {
			t.Errorf("span has %s=%s, want no Clarifai attributes", kv.Key, kv.Value.String())
		}
	}
	if len(s.Events) != 0 {
		t.Errorf("span has events %v, want none", s.Events)
	}
}

func TestUnaryInBandFailure(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.AddPAT("no-scopes-key", nil, nil)
	cases := []struct {
		name  string
		setup func()
		key   string
		code  int64
		cname string
	}{{
		name:  "missing scopes, as the server decides them",
		key:   "no-scopes-key",
		code:  insufficientScopes,
		cname: "CONN_INSUFFICIENT_SCOPES",
	}, {
		name: "throttled, the server echoing the key in its text",
		setup: func() {
			f.srv.SetStatus(mPostModelOutputs, throttled, "slow down, "+f.key, "key "+f.key+" is over its rate")
		},
		key:   f.key,
		code:  throttled,
		cname: "CONN_THROTTLED",
	}, {
		name:  "a code no table knows",
		setup: func() { f.srv.SetStatus(mPostModelOutputs, 12345, "new", "") },
		key:   f.key,
		code:  12345,
		cname: "CODE_12345",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
				defer f.srv.ClearStatus(mPostModelOutputs)
			}
			resp, err := f.client.PostModelOutputs(callCtx(t, tc.key), predictRequest())
			if err != nil {
				t.Fatal(err) // no interceptor: the failure is in-band only
			}
			if int64(resp.GetStatus().GetCode()) != tc.code {
				t.Fatalf("reply code = %v, want %d", resp.GetStatus().GetCode(), tc.code)
			}
			s := f.span(t)
			// The call ended with gRPC OK, after which otelgrpc does not
			// touch the status: the Error set on receipt stands.
			want := fmt.Sprintf("clarifai: %s (%d)", tc.cname, tc.code)
			if s.Status.Code != codes.Error || s.Status.Description != want {
				t.Errorf("status = %v %q, want Error %q", s.Status.Code, s.Status.Description, want)
			}
			if got := attrs(s.Attributes)["rpc.response.status_code"].AsString(); got != "OK" {
				t.Errorf("rpc.response.status_code = %q, want OK (otelgrpc's view is unchanged)", got)
			}
			wantFailure(t, "span", s.Attributes, tc.code, tc.cname)
			if len(s.Events) != 0 {
				t.Errorf("events = %v, want none", s.Events)
			}
		})
	}
	if got, want := f.meter.counts(), map[string]int{
		mPostModelOutputs + " CONN_INSUFFICIENT_SCOPES call": 1,
		mPostModelOutputs + " CONN_THROTTLED call":           1,
		mPostModelOutputs + " UNKNOWN call":                  1,
	}; !equalCounts(got, want) {
		t.Errorf("failure counts = %v, want %v", got, want)
	}
	testutil.NoSecret(t, "failure counts", fmt.Sprint(f.meter.counts()), f.key)
}

func TestUnarySuccess(t *testing.T) {
	f := newFixture(t, nil)
	resp, err := f.client.PostModelOutputs(callCtx(t, f.key), predictRequest())
	if err != nil || resp.GetStatus().GetCode() != success {
		t.Fatalf("PostModelOutputs = %v, %v", resp.GetStatus(), err)
	}
	s := f.span(t)
	if s.Status.Code != codes.Unset && s.Status.Code != codes.Ok {
		t.Errorf("status = %v %q, want Unset or Ok", s.Status.Code, s.Status.Description)
	}
	noClarifaiAttrs(t, s)
	if got := f.meter.counts(); len(got) != 0 {
		t.Errorf("failure counts = %v, want none", got)
	}
}

// recvAll receives until the stream ends and returns the reply codes.
func recvAll(t *testing.T, stream grpc.ServerStreamingClient[pb.MultiOutputResponse]) []int32 {
	t.Helper()
	var got []int32
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, int32(resp.GetStatus().GetCode()))
	}
}

// TestServerStreamProgress: progress statuses on a stream (an upload's
// UPLOAD_IN_PROGRESS) are not failures.
func TestServerStreamProgress(t *testing.T) {
	progress := []int32{uploadInProgress, uploadInProgress, success}
	run := func(t *testing.T, f *fixture) tracetest.SpanStub {
		t.Helper()
		f.srv.SetStreamCodes(mGenerateModelOutputs, progress...)
		stream, err := f.client.GenerateModelOutputs(callCtx(t, f.key), predictRequest())
		if err != nil {
			t.Fatal(err)
		}
		if got := recvAll(t, stream); fmt.Sprint(got) != fmt.Sprint(progress) {
			t.Fatalf("reply codes = %v, want %v", got, progress)
		}
		return f.span(t)
	}

	t.Run("default check", func(t *testing.T) {
		s := run(t, newFixture(t, nil))
		// The handler follows scopes.Code.Failed, which counts only the
		// failure class of Clarifai's codes as failures.
		if scopes.Code(uploadInProgress).Failed() {
			t.Logf("scopes.Code(%d).Failed() is true: scopes does not yet know progress statuses", uploadInProgress)
			if s.Status.Code != codes.Error {
				t.Errorf("status = %v, want Error as scopes.Code.Failed says", s.Status.Code)
			}
			return
		}
		if s.Status.Code == codes.Error {
			t.Errorf("status = Error %q, want no error for progress statuses", s.Status.Description)
		}
		noClarifaiAttrs(t, s)
	})
}

// exchange sends n requests on a bidirectional stream, one reply each, then
// closes it.
func exchange(t *testing.T, f *fixture, n int) []int32 {
	t.Helper()
	stream, err := f.client.StreamModelOutputs(callCtx(t, f.key))
	if err != nil {
		t.Fatal(err)
	}
	var got []int32
	for range n {
		if err := stream.Send(predictRequest()); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, int32(resp.GetStatus().GetCode()))
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("after CloseSend: %v, want EOF", err)
	}
	return got
}

// TestBidiItemFailure: a per-item failure in a later reply of a stream that
// goes on is an event, not the span's status.
func TestBidiItemFailure(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.SetStreamCodes(mStreamModelOutputs, success, failure, success)
	if got := exchange(t, f, 3); fmt.Sprint(got) != fmt.Sprint([]int32{success, failure, success}) {
		t.Fatalf("reply codes = %v", got)
	}
	s := f.span(t)
	if s.Status.Code == codes.Error {
		t.Errorf("status = Error %q, want no error for a per-item failure", s.Status.Description)
	}
	for _, kv := range s.Attributes {
		if strings.HasPrefix(string(kv.Key), "clarifai.") {
			t.Errorf("span has %s=%s; a per-item failure belongs in an event", kv.Key, kv.Value.String())
		}
	}
	if len(s.Events) != 1 || s.Events[0].Name != clarifaiotel.ItemFailureEvent {
		t.Fatalf("events = %v, want one %s", s.Events, clarifaiotel.ItemFailureEvent)
	}
	ev := s.Events[0]
	wantFailure(t, "event", ev.Attributes, failure, "FAILURE")
	if got := attrs(ev.Attributes)[attribute.Key("clarifai.reply.index")].AsInt64(); got != 2 {
		t.Errorf("%s = %d, want 2", attribute.Key("clarifai.reply.index"), got)
	}
	if got, want := f.meter.counts(), map[string]int{mStreamModelOutputs + " FAILURE item": 1}; !equalCounts(got, want) {
		t.Errorf("failure counts = %v, want %v", got, want)
	}
}

// TestBidiFailures: a failure in the first reply, or a connection-level
// one in any reply, fails the stream's span; only the first sets it.
func TestBidiFailures(t *testing.T) {
	cases := []struct {
		name   string
		codes  []int32
		code   int64
		cname  string
		events int
	}{
		{"first reply", []int32{failure, success}, failure, "FAILURE", 0},
		{"connection-level later", []int32{success, success, throttled}, throttled, "CONN_THROTTLED", 0},
		{"item failure, then throttled", []int32{success, failure, throttled}, throttled, "CONN_THROTTLED", 1},
		{"throttled, then again", []int32{throttled, throttled}, throttled, "CONN_THROTTLED", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.srv.SetStreamCodes(mStreamModelOutputs, tc.codes...)
			exchange(t, f, len(tc.codes))
			s := f.span(t)
			want := fmt.Sprintf("clarifai: %s (%d)", tc.cname, tc.code)
			if s.Status.Code != codes.Error || s.Status.Description != want {
				t.Errorf("status = %v %q, want Error %q", s.Status.Code, s.Status.Description, want)
			}
			wantFailure(t, "span", s.Attributes, tc.code, tc.cname)
			if len(s.Events) != tc.events {
				t.Errorf("events = %v, want %d", s.Events, tc.events)
			}
		})
	}
}

// TestStatusSurvivesGRPCError proves the order the handler relies on:
// otelgrpc sets the span's status from a gRPC error when the call ends
// (the control case), and a call that failed in-band before keeps its
// Clarifai status through that end.
func TestStatusSurvivesGRPCError(t *testing.T) {
	cancelAfterFirst := func(t *testing.T, f *fixture) tracetest.SpanStub {
		t.Helper()
		ctx, cancel := context.WithCancel(callCtx(t, f.key))
		defer cancel()
		// A bidirectional stream stays open while the server waits for the
		// next request, so the end is surely the cancellation.
		stream, err := f.client.StreamModelOutputs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(predictRequest()); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
		// The caller gives up on the stream after the first reply, as the
		// stream interceptor does on a failure: the call ends Canceled.
		cancel()
		if _, err := stream.Recv(); err == nil {
			t.Fatal("Recv after cancel succeeded")
		}
		return f.span(t)
	}

	t.Run("control: otelgrpc records the gRPC error", func(t *testing.T) {
		f := newFixture(t, nil)
		s := cancelAfterFirst(t, f)
		if s.Status.Code != codes.Error || !strings.Contains(s.Status.Description, "cancel") {
			t.Fatalf("status = %v %q, want otelgrpc's Error for the cancellation", s.Status.Code, s.Status.Description)
		}
	})
	t.Run("in-band failure first", func(t *testing.T) {
		f := newFixture(t, nil)
		f.srv.SetStreamCodes(mStreamModelOutputs, throttled, success)
		s := cancelAfterFirst(t, f)
		want := fmt.Sprintf("clarifai: CONN_THROTTLED (%d)", throttled)
		if s.Status.Code != codes.Error || s.Status.Description != want {
			t.Errorf("status = %v %q, want Error %q", s.Status.Code, s.Status.Description, want)
		}
		a := attrs(s.Attributes)
		if got := a["rpc.response.status_code"].AsString(); got != "CANCELLED" {
			t.Errorf("rpc.response.status_code = %q, want CANCELLED: otelgrpc still saw the end", got)
		}
		wantFailure(t, "span", s.Attributes, throttled, "CONN_THROTTLED")
	})
}

// TestNoSpanOfItsOwn: when otelgrpc starts no span for a call (its
// Filter), the caller's span is left alone.
func TestNoSpanOfItsOwn(t *testing.T) {
	f := newFixture(t, []otelgrpc.Option{otelgrpc.WithFilter(func(*stats.RPCTagInfo) bool { return false })})
	f.srv.SetStatus(mPostModelOutputs, throttled, "slow down", "")
	ctx, parent := f.tp.Tracer("test").Start(callCtx(t, f.key), "caller")
	if _, err := f.client.PostModelOutputs(ctx, predictRequest()); err != nil {
		t.Fatal(err)
	}
	parent.End()
	s := f.span(t)
	if s.Name != "caller" {
		t.Fatalf("span %q, want only the caller's", s.Name)
	}
	if s.Status.Code != codes.Unset {
		t.Errorf("caller's span status = %v %q, want Unset", s.Status.Code, s.Status.Description)
	}
	noClarifaiAttrs(t, s)
	// The failure is still counted.
	if got, want := f.meter.counts(), map[string]int{mPostModelOutputs + " CONN_THROTTLED call": 1}; !equalCounts(got, want) {
		t.Errorf("failure counts = %v, want %v", got, want)
	}
}

// TestConcurrentCalls runs failing and succeeding calls at once on one
// connection (for -race) and checks each span.
func TestConcurrentCalls(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.AddPAT("no-scopes-key", nil, nil)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := f.key
			if i%2 == 1 {
				key = "no-scopes-key"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+key)
			if _, err := f.client.PostModelOutputs(ctx, predictRequest()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var failed int
	for _, s := range f.spans.GetSpans() {
		f.noKey(t, s)
		if s.Status.Code == codes.Error {
			failed++
			wantFailure(t, "span", s.Attributes, insufficientScopes, "CONN_INSUFFICIENT_SCOPES")
		} else {
			noClarifaiAttrs(t, s)
		}
	}
	if failed != n/2 {
		t.Errorf("%d failed spans, want %d", failed, n/2)
	}
}

func TestWrapNil(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Wrap(nil) did not panic")
		}
	}()
	clarifaiotel.Wrap(nil)
}

// countingMeters is a metric.MeterProvider whose Int64Counters count Add
// calls by method, name and failure level.
type countingMeters struct {
	noop.MeterProvider
	mu sync.Mutex
	n  map[string]int
}

func (m *countingMeters) Meter(string, ...metric.MeterOption) metric.Meter {
	return countingMeter{m: m}
}

// counts returns the counts of FailureMetric, by "/method name level".
func (m *countingMeters) counts() map[string]int { return m.named("/") }

// named returns the counts whose keys start with prefix.
func (m *countingMeters) named(prefix string) map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.n))
	for k, v := range m.n {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

type countingMeter struct {
	noop.Meter
	m *countingMeters
}

func (c countingMeter) Int64Counter(name string, _ ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	return counter{m: c.m, name: name}, nil
}

func (c countingMeter) Float64Histogram(name string, _ ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	return histogram{c: counter{m: c.m, name: name}}, nil
}

// counter counts FailureMetric by method, name and level, and any other
// instrument by its name and attribute set.
type counter struct {
	noop.Int64Counter
	m    *countingMeters
	name string
}

type histogram struct {
	noop.Float64Histogram
	c counter
}

func (h histogram) Record(ctx context.Context, _ float64, opts ...metric.RecordOption) {
	h.c.add(metric.NewRecordConfig(opts).Attributes(), 1)
}

func (c counter) Add(_ context.Context, n int64, opts ...metric.AddOption) {
	c.add(metric.NewAddConfig(opts).Attributes(), n)
}

func (c counter) add(set attribute.Set, n int64) {
	get := func(k attribute.Key) string { v, _ := set.Value(k); return v.String() }
	key := "/" + get(attribute.Key("rpc.method")) + " " + get(clarifaiotel.NameKey) + " " + get(clarifaiotel.FailureKey)
	if c.name != clarifaiotel.FailureMetric {
		key = c.name + " " + set.Encoded(attribute.DefaultEncoder())
	}
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	if c.m.n == nil {
		c.m.n = make(map[string]int)
	}
	c.m.n[key] += int(n)
}

func equalCounts(a, b map[string]int) bool {
	return fmt.Sprint(a) == fmt.Sprint(b) // fmt sorts map keys
}

// TestServerEchoingTheKey: a server that puts the caller's key in the
// req_id of a failed reply, or in the message of a gRPC error, does not get
// it into the span.
func TestServerEchoingTheKey(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.SetReply(mPostModelOutputs, func(context.Context, proto.Message) ([]proto.Message, error) {
		return []proto.Message{&pb.MultiOutputResponse{Status: &pb.Status{Code: throttled, ReqId: "req-" + f.key + "\x01" + f.key[:10] + "\x02" + f.key[10:]}}}, nil
	})
	if _, err := f.client.PostModelOutputs(callCtx(t, f.key), predictRequest()); err != nil {
		t.Fatal(err)
	}
	s := f.span(t) // checks status, attributes and events for the key
	if got := attrs(s.Attributes)[clarifaiotel.ReqIDKey].AsString(); !strings.HasPrefix(got, "req-[redacted]") {
		t.Errorf("req_id = %q, want the key redacted", got)
	}
	f.srv.SetReply(mPostModelOutputs, nil)

	f.srv.SetError(mPostModelOutputs, status.Error(grpccodes.Unauthenticated, "API key not found: Key "+f.key))
	defer f.srv.SetError(mPostModelOutputs, nil)
	if _, err := f.client.PostModelOutputs(callCtx(t, f.key), predictRequest()); status.Code(err) != grpccodes.Unauthenticated {
		t.Fatalf("err = %v, want Unauthenticated", err)
	}
	s = f.span(t)
	if s.Status.Code != codes.Error || !strings.Contains(s.Status.Description, "API key not found: Key [redacted]") {
		t.Errorf("status = %v %q, want the error with the key redacted", s.Status.Code, s.Status.Description)
	}
}
