package fakev2_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/fakev2"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	mPostModelOutputs     = "/clarifai.api.V2/PostModelOutputs"
	mPostInputs           = "/clarifai.api.V2/PostInputs"
	mMyScopes             = "/clarifai.api.V2/MyScopes"
	mGenerateModelOutputs = "/clarifai.api.V2/GenerateModelOutputs"
	mStreamModelOutputs   = "/clarifai.api.V2/StreamModelOutputs"
)

// predictScopes are the depending scopes of PostModelOutputs.
var predictScopes = []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}

// start runs a server on bufconn and returns it with a client.
func start(t *testing.T) (*fakev2.Server, pb.V2Client) {
	t.Helper()
	s := fakev2.New()
	s.Start()
	conn, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		s.Stop()
	})
	return s, pb.NewV2Client(conn)
}

func ctxWith(t *testing.T, kv ...string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

func withKey(t *testing.T, secret string) context.Context {
	return ctxWith(t, "authorization", "Key "+secret)
}

func predictRequest() *pb.PostModelOutputsRequest {
	return &pb.PostModelOutputsRequest{
		UserAppId: &pb.UserAppIDSet{UserId: "u1", AppId: "a1"},
		ModelId:   "general-image-recognition",
		Inputs: []*pb.Input{{
			Id:   "in-1",
			Data: &pb.Data{Image: &pb.Image{Url: "https://samples.example/cat.jpg"}},
		}},
	}
}

func checkStatus(t *testing.T, st *pb.Status, code pb.StatusCode, description string) {
	t.Helper()
	if st.GetCode() != code || st.GetDescription() != description {
		t.Fatalf("status = %v %q (details %q), want %v %q", st.GetCode(), st.GetDescription(), st.GetDetails(), code, description)
	}
	if !strings.HasPrefix(st.GetReqId(), "fake-") {
		t.Errorf("req_id = %q, want fake-<n>", st.GetReqId())
	}
}

func TestPredictSucceedsWithExactScopes(t *testing.T) {
	s, c := start(t)
	s.AddKey("k1", predictScopes, nil)
	resp, err := c.PostModelOutputs(withKey(t, "k1"), predictRequest())
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, resp.GetStatus(), pb.StatusCode_SUCCESS, "Ok")
	if len(resp.GetOutputs()) != 1 {
		t.Fatalf("got %d outputs, want 1", len(resp.GetOutputs()))
	}
	out := resp.GetOutputs()[0]
	if got := out.GetModel().GetId(); got != "general-image-recognition" {
		t.Errorf("output model id = %q", got)
	}
	if got := out.GetInput().GetData().GetImage().GetUrl(); got != "https://samples.example/cat.jpg" {
		t.Errorf("output input url = %q", got)
	}
	if len(out.GetData().GetConcepts()) == 0 {
		t.Error("output has no concepts")
	}
}

func TestRequestIDsDiffer(t *testing.T) {
	s, c := start(t)
	s.AddKey("k1", []string{"All"}, nil)
	seen := map[string]bool{}
	for range 3 {
		resp, err := c.MyScopes(withKey(t, "k1"), &pb.MyScopesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		id := resp.GetStatus().GetReqId()
		if seen[id] {
			t.Fatalf("req_id %q repeated", id)
		}
		seen[id] = true
	}
}

func TestAuthenticationFailures(t *testing.T) {
	s, c := start(t)
	s.AddKey("good", []string{"All"}, nil)
	s.AddSessionToken("sess", []string{"All"}, nil)
	tests := []struct {
		name string
		md   []string
		code pb.StatusCode
		desc string
	}{
		{"no credential", nil, pb.StatusCode_CONN_INVALID_REQUEST, "Invalid request"},
		{"key and session token", []string{"authorization", "Key good", "x-clarifai-session-token", "sess"}, pb.StatusCode_CONN_INVALID_REQUEST, "Invalid request"},
		{"two keys", []string{"authorization", "Key good", "authorization", "Key good"}, pb.StatusCode_CONN_INVALID_REQUEST, "Invalid request"},
		{"two session tokens", []string{"x-clarifai-session-token", "sess", "x-clarifai-session-token", "sess"}, pb.StatusCode_CONN_INVALID_REQUEST, "Invalid request"},
		{"bearer scheme", []string{"authorization", "Bearer good"}, pb.StatusCode_CONN_KEY_INVALID, "Invalid API key or Invalid API key/application pair"},
		{"bare secret", []string{"authorization", "good"}, pb.StatusCode_CONN_KEY_INVALID, "Invalid API key or Invalid API key/application pair"},
		{"empty key", []string{"authorization", "Key "}, pb.StatusCode_CONN_KEY_INVALID, "Invalid API key or Invalid API key/application pair"},
		{"unknown key", []string{"authorization", "Key bad"}, pb.StatusCode_CONN_KEY_NOT_FOUND, "API key not found"},
		{"unknown session token", []string{"x-clarifai-session-token", "bad"}, pb.StatusCode_CONN_TOKEN_INVALID, "Invalid token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.PostModelOutputs(ctxWith(t, tt.md...), predictRequest())
			if err != nil {
				t.Fatalf("gRPC error %v, want an in-band status", err)
			}
			checkStatus(t, resp.GetStatus(), tt.code, tt.desc)
			if len(resp.GetOutputs()) != 0 {
				t.Errorf("a failed reply carries %d outputs", len(resp.GetOutputs()))
			}
		})
	}
}

func TestSessionTokenSucceeds(t *testing.T) {
	s, c := start(t)
	s.AddSessionToken("sess", predictScopes, nil)
	resp, err := c.PostModelOutputs(ctxWith(t, "x-clarifai-session-token", "sess"), predictRequest())
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, resp.GetStatus(), pb.StatusCode_SUCCESS, "Ok")
}

func TestInsufficientScopes(t *testing.T) {
	s, c := start(t)
	s.AddKey("k1", predictScopes, nil)
	resp, err := c.PostInputs(withKey(t, "k1"), &pb.PostInputsRequest{Inputs: []*pb.Input{{Id: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, resp.GetStatus(), pb.StatusCode_CONN_INSUFFICIENT_SCOPES, "Insufficient scopes")
	want := "Missing scopes: [Annotations:Add Annotations:Get Inputs:Add Inputs:Get Workflows:Get]; or endpoint: /clarifai.api.V2/PostInputs"
	if got := resp.GetStatus().GetDetails(); got != want {
		t.Errorf("details = %q\nwant      %q", got, want)
	}
	if got := fakev2.InsufficientScopesDetails([]string{"Annotations:Add", "Annotations:Get", "Inputs:Add", "Inputs:Get", "Workflows:Get"}, mPostInputs); got != want {
		t.Errorf("InsufficientScopesDetails = %q", got)
	}
}

func TestScopeGrants(t *testing.T) {
	s, c := start(t)
	s.AddKey("all", []string{"All"}, nil)
	s.AddKey("endpoint", nil, []string{mPostInputs})
	s.AddKey("none", nil, nil)
	tests := []struct {
		key  string
		call func(ctx context.Context) (*pb.Status, error)
		want pb.StatusCode
	}{
		{"all", postInputs(c), pb.StatusCode_SUCCESS},
		{"endpoint", postInputs(c), pb.StatusCode_SUCCESS},
		{"endpoint", predict(c), pb.StatusCode_CONN_INSUFFICIENT_SCOPES},
		{"none", predict(c), pb.StatusCode_CONN_INSUFFICIENT_SCOPES},
		{"none", func(ctx context.Context) (*pb.Status, error) { // MyScopes needs no scope
			r, err := c.MyScopes(ctx, &pb.MyScopesRequest{})
			return r.GetStatus(), err
		}, pb.StatusCode_SUCCESS},
		{"none", func(ctx context.Context) (*pb.Status, error) { // GetUser needs no scope
			r, err := c.GetUser(ctx, &pb.GetUserRequest{})
			return r.GetStatus(), err
		}, pb.StatusCode_SUCCESS},
		{"none", func(ctx context.Context) (*pb.Status, error) {
			r, err := c.PostKeys(ctx, &pb.PostKeysRequest{})
			return r.GetStatus(), err
		}, pb.StatusCode_CONN_INSUFFICIENT_SCOPES},
	}
	for _, tt := range tests {
		st, err := tt.call(withKey(t, tt.key))
		if err != nil {
			t.Fatal(err)
		}
		if st.GetCode() != tt.want {
			t.Errorf("key %q: code %v (%s), want %v", tt.key, st.GetCode(), st.GetDetails(), tt.want)
		}
	}
}

func postInputs(c pb.V2Client) func(context.Context) (*pb.Status, error) {
	return func(ctx context.Context) (*pb.Status, error) {
		r, err := c.PostInputs(ctx, &pb.PostInputsRequest{})
		return r.GetStatus(), err
	}
}

func predict(c pb.V2Client) func(context.Context) (*pb.Status, error) {
	return func(ctx context.Context) (*pb.Status, error) {
		r, err := c.PostModelOutputs(ctx, predictRequest())
		return r.GetStatus(), err
	}
}

func TestPayloads(t *testing.T) {
	s, c := start(t)
	s.AddKey("k1", []string{"Inputs:Add", "Predict"}, []string{mPostInputs})
	s.AddKey("pat", []string{"All"}, nil)
	s.AddSessionToken("sess", nil, nil)

	scopes, err := c.MyScopes(withKey(t, "k1"), &pb.MyScopesRequest{UserAppId: &pb.UserAppIDSet{UserId: "u1", AppId: "a1"}})
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, scopes.GetStatus(), pb.StatusCode_SUCCESS, "Ok")
	if !slices.Equal(scopes.GetScopes(), []string{"Inputs:Add", "Predict"}) || !slices.Equal(scopes.GetEndpoints(), []string{mPostInputs}) {
		t.Errorf("MyScopes = %v %v", scopes.GetScopes(), scopes.GetEndpoints())
	}
	if scopes.GetApp().GetId() != "a1" {
		t.Errorf("MyScopes app = %v", scopes.GetApp())
	}

	inputs, err := c.PostInputs(withKey(t, "k1"), &pb.PostInputsRequest{Inputs: []*pb.Input{
		{Id: "mine", Data: &pb.Data{Image: &pb.Image{Url: "u"}}}, {},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := inputs.GetInputs()
	if len(got) != 2 || got[0].GetId() != "mine" || got[0].GetData().GetImage().GetUrl() != "u" || got[1].GetId() == "" {
		t.Errorf("PostInputs echoed %v", got)
	}

	keys, err := c.PostKeys(withKey(t, "pat"), &pb.PostKeysRequest{Keys: []*pb.Key{{Description: "d", Scopes: []string{"Predict"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if k := keys.GetKeys(); len(k) != 1 || k[0].GetDescription() != "d" || k[0].GetId() == "" {
		t.Errorf("PostKeys = %v", k)
	}

	user, err := c.GetUser(withKey(t, "pat"), &pb.GetUserRequest{UserAppId: &pb.UserAppIDSet{UserId: "u9"}})
	if err != nil {
		t.Fatal(err)
	}
	if user.GetUser().GetId() != "u9" {
		t.Errorf("GetUser = %v", user.GetUser())
	}

	// ListScopes carries user_app_id as field 2 and is SessionTokenAuth.
	deps, err := c.ListScopes(ctxWith(t, "x-clarifai-session-token", "sess"), &pb.ListScopesRequest{KeyType: "api_key", UserAppId: &pb.UserAppIDSet{UserId: "u1"}})
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, deps.GetStatus(), pb.StatusCode_SUCCESS, "Ok")
	var inputsAdd *pb.ScopeDeps
	for _, d := range deps.GetScopeDeps() {
		if d.GetScope() == "Inputs:Add" {
			inputsAdd = d
		}
	}
	if inputsAdd == nil || !slices.Equal(inputsAdd.GetDependingScopes(), []string{"Inputs:Get"}) {
		t.Errorf("ListScopes Inputs:Add = %v", inputsAdd)
	}
}

func TestNoAuthMethodNeedsNoCredential(t *testing.T) {
	_, c := start(t)
	resp, err := c.ListStatusCodes(ctxWith(t), &pb.ListStatusCodesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, resp.GetStatus(), pb.StatusCode_SUCCESS, "Ok")
	found := false
	for _, st := range resp.GetStatuses() {
		if st.GetCode() == pb.StatusCode_CONN_KEY_NOT_FOUND && st.GetDescription() == "API key not found" {
			found = true
		}
	}
	if !found {
		t.Errorf("ListStatusCodes lacks CONN_KEY_NOT_FOUND: %v", resp.GetStatuses())
	}
}

func TestSetStatus(t *testing.T) {
	s, c := start(t)
	s.AddKey("k1", predictScopes, nil)

	// Forced even without a credential, and the payload is kept.
	s.SetStatus(mPostModelOutputs, int32(pb.StatusCode_MIXED_STATUS), "Mixed status", "1 of 2 failed")
	resp, err := c.PostModelOutputs(ctxWith(t), predictRequest())
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, resp.GetStatus(), pb.StatusCode_MIXED_STATUS, "Mixed status")
	if resp.GetStatus().GetDetails() != "1 of 2 failed" || len(resp.GetOutputs()) != 1 {
		t.Errorf("forced reply = %v", resp)
	}

	// "" applies to all methods; a method's own setting wins.
	s.SetStatus("", int32(pb.StatusCode_CONN_THROTTLED), "Throttled", "")
	if st, _ := predict(c)(withKey(t, "k1")); st.GetCode() != pb.StatusCode_MIXED_STATUS {
		t.Errorf("method setting lost to \"\": %v", st.GetCode())
	}
	if r, _ := c.MyScopes(withKey(t, "k1"), &pb.MyScopesRequest{}); r.GetStatus().GetCode() != pb.StatusCode_CONN_THROTTLED {
		t.Errorf("\"\" setting not applied: %v", r.GetStatus().GetCode())
	}

	s.ClearStatus(mPostModelOutputs)
	s.ClearStatus("")
	if st, _ := predict(c)(withKey(t, "k1")); st.GetCode() != pb.StatusCode_SUCCESS {
		t.Errorf("after ClearStatus: %v", st.GetCode())
	}
}

func TestSetError(t *testing.T) {
	s, c := start(t)
	s.AddKey("k1", predictScopes, nil)
	s.SetStatus(mPostModelOutputs, int32(pb.StatusCode_FAILURE), "Failure", "")
	s.SetError(mPostModelOutputs, status.Error(codes.Unauthenticated, "nope"))
	_, err := c.PostModelOutputs(withKey(t, "k1"), predictRequest())
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("err = %v, want Unauthenticated", err)
	}
	s.SetError("", status.Error(codes.Unavailable, "down"))
	if _, err := c.MyScopes(withKey(t, "k1"), &pb.MyScopesRequest{}); status.Code(err) != codes.Unavailable {
		t.Errorf("\"\" error: %v", err)
	}
	s.SetError(mPostModelOutputs, nil)
	s.SetError("", nil)
	s.ClearStatus(mPostModelOutputs)
	if st, err := predict(c)(withKey(t, "k1")); err != nil || st.GetCode() != pb.StatusCode_SUCCESS {
		t.Errorf("after clearing: %v %v", st.GetCode(), err)
	}
	if n := len(s.Calls()); n != 3 {
		t.Errorf("recorded %d calls, want 3 (failed calls count too)", n)
	}
}

func TestCalls(t *testing.T) {
	s, c := start(t)
	s.AddKey("k1", nil, nil)
	ctx := metadata.AppendToOutgoingContext(withKey(t, "k1"), "x-clarifai-request-id-prefix", "go-test-1.0")
	if _, err := c.MyScopes(ctx, &pb.MyScopesRequest{}); err != nil {
		t.Fatal(err)
	}
	calls := s.Calls()
	if len(calls) != 1 || calls[0].Method != mMyScopes {
		t.Fatalf("calls = %v", calls)
	}
	md := calls[0].MD
	if got := md.Get("authorization"); !slices.Equal(got, []string{"Key k1"}) {
		t.Errorf("authorization = %v", got)
	}
	if got := md.Get("x-clarifai-request-id-prefix"); !slices.Equal(got, []string{"go-test-1.0"}) {
		t.Errorf("prefix = %v", got)
	}
	md.Set("authorization", "changed")
	if got := s.Calls()[0].MD.Get("authorization"); got[0] != "Key k1" {
		t.Errorf("Calls shares metadata with the server: %v", got)
	}
	s.ResetCalls()
	if n := len(s.Calls()); n != 0 {
		t.Errorf("%d calls after ResetCalls", n)
	}
}

func recvAll[T any](t *testing.T, stream grpc.ServerStreamingClient[T]) []*T {
	t.Helper()
	var out []*T
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
}

func codesOf(resps []*pb.MultiOutputResponse) []pb.StatusCode {
	var out []pb.StatusCode
	for _, r := range resps {
		out = append(out, r.GetStatus().GetCode())
	}
	return out
}

func TestServerStreaming(t *testing.T) {
	s, c := start(t)
	s.AddKey("k1", predictScopes, nil)

	stream, err := c.GenerateModelOutputs(withKey(t, "k1"), predictRequest())
	if err != nil {
		t.Fatal(err)
	}
	got := recvAll(t, stream)
	if want := []pb.StatusCode{pb.StatusCode_SUCCESS, pb.StatusCode_SUCCESS, pb.StatusCode_SUCCESS}; !slices.Equal(codesOf(got), want) {
		t.Fatalf("codes = %v, want %v", codesOf(got), want)
	}
	if got[0].GetOutputs()[0].GetModel().GetId() != "general-image-recognition" {
		t.Errorf("payload = %v", got[0])
	}

	// A denied stream gets one message.
	stream, err = c.GenerateModelOutputs(withKey(t, "unknown"), predictRequest())
	if err != nil {
		t.Fatal(err)
	}
	if got := codesOf(recvAll(t, stream)); !slices.Equal(got, []pb.StatusCode{pb.StatusCode_CONN_KEY_NOT_FOUND}) {
		t.Errorf("denied stream codes = %v", got)
	}

	// Forced codes, even without a credential.
	want := []pb.StatusCode{pb.StatusCode_SUCCESS, pb.StatusCode_MIXED_STATUS, pb.StatusCode_FAILURE, pb.StatusCode_TRY_AGAIN}
	var forced []int32
	for _, c := range want {
		forced = append(forced, int32(c))
	}
	s.SetStreamCodes(mGenerateModelOutputs, forced...)
	stream, err = c.GenerateModelOutputs(ctxWith(t), predictRequest())
	if err != nil {
		t.Fatal(err)
	}
	if got := codesOf(recvAll(t, stream)); !slices.Equal(got, want) {
		t.Errorf("forced codes = %v, want %v", got, want)
	}
}

func TestBidiStreaming(t *testing.T) {
	s, c := start(t)
	s.AddKey("k1", predictScopes, nil)

	exchange := func(ctx context.Context, models ...string) []*pb.MultiOutputResponse {
		t.Helper()
		stream, err := c.StreamModelOutputs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []*pb.MultiOutputResponse
		for _, m := range models {
			req := predictRequest()
			req.ModelId = m
			if err := stream.Send(req); err != nil {
				t.Fatal(err)
			}
			resp, err := stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, resp)
		}
		if err := stream.CloseSend(); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
			t.Fatalf("after CloseSend: %v, want EOF", err)
		}
		return out
	}

	got := exchange(withKey(t, "k1"), "m1", "m2")
	if want := []pb.StatusCode{pb.StatusCode_SUCCESS, pb.StatusCode_SUCCESS}; !slices.Equal(codesOf(got), want) {
		t.Fatalf("codes = %v", codesOf(got))
	}
	if got[0].GetOutputs()[0].GetModel().GetId() != "m1" || got[1].GetOutputs()[0].GetModel().GetId() != "m2" {
		t.Errorf("replies do not follow requests: %v", got)
	}

	s.SetStreamCodes(mStreamModelOutputs, int32(pb.StatusCode_SUCCESS), int32(pb.StatusCode_TRY_AGAIN))
	got = exchange(ctxWith(t), "m1", "m2", "m3")
	if want := []pb.StatusCode{pb.StatusCode_SUCCESS, pb.StatusCode_TRY_AGAIN, pb.StatusCode_TRY_AGAIN}; !slices.Equal(codesOf(got), want) {
		t.Errorf("forced codes = %v, want %v", codesOf(got), want)
	}
	s.SetStreamCodes(mStreamModelOutputs)

	// A denied bidi stream answers the first message, then ends.
	stream, err := c.StreamModelOutputs(withKey(t, "unknown"))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(predictRequest()); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetStatus().GetCode() != pb.StatusCode_CONN_KEY_NOT_FOUND {
		t.Errorf("denied code = %v", resp.GetStatus().GetCode())
	}
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("denied stream continues: %v", err)
	}
}

// TestUploadStream: an upload answers each message with UPLOAD_IN_PROGRESS
// and, once the client closes its side, ends with MODEL_BUILDING.
func TestUploadStream(t *testing.T) {
	s, c := start(t)
	s.AddKey("k1", []string{"All"}, nil)
	stream, err := c.PostModelVersionsUpload(withKey(t, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := []*pb.PostModelVersionsUploadRequest{
		{UploadData: &pb.PostModelVersionsUploadRequest_UploadConfig{UploadConfig: &pb.PostModelVersionsUploadConfig{
			UserAppId: &pb.UserAppIDSet{UserId: "u", AppId: "a"}, ModelId: "m", TotalSize: 6}}},
		{UploadData: &pb.PostModelVersionsUploadRequest_ContentPart{ContentPart: &pb.UploadContentPart{PartNumber: 1, Data: []byte("abc")}}},
		{UploadData: &pb.PostModelVersionsUploadRequest_ContentPart{ContentPart: &pb.UploadContentPart{PartNumber: 2, RangeStart: 3, Data: []byte("def")}}},
	}
	var got []pb.StatusCode
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.GetStatus().GetCode())
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.GetStatus().GetCode())
	}
	want := []pb.StatusCode{pb.StatusCode_UPLOAD_IN_PROGRESS, pb.StatusCode_UPLOAD_IN_PROGRESS, pb.StatusCode_UPLOAD_IN_PROGRESS, pb.StatusCode_MODEL_BUILDING}
	if !slices.Equal(got, want) {
		t.Errorf("codes = %v, want %v", got, want)
	}
}

// TestClientStreaming: the test-only client-streaming method answers once,
// with an output per input of every message, and checks scopes like V2.
func TestClientStreaming(t *testing.T) {
	s, _ := start(t)
	s.AddKey("k1", predictScopes, nil)
	s.AddKey("k2", []string{"Predict"}, nil)
	conn, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := pb.NewChunksClient(conn)

	send := func(ctx context.Context, n int) *pb.MultiOutputResponse {
		t.Helper()
		stream, err := c.PostChunks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if err := stream.Send(&pb.PostModelOutputsRequest{ModelId: "m", Inputs: []*pb.Input{{Id: "in-" + strconv.Itoa(i)}}}); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := stream.CloseAndRecv()
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := send(withKey(t, "k1"), 3)
	if resp.GetStatus().GetCode() != pb.StatusCode_SUCCESS || len(resp.GetOutputs()) != 3 || resp.GetOutputs()[2].GetInput().GetId() != "in-2" {
		t.Errorf("reply = %v, want SUCCESS with 3 outputs", resp)
	}
	if got := send(withKey(t, "k2"), 2).GetStatus().GetCode(); got != pb.StatusCode_CONN_INSUFFICIENT_SCOPES {
		t.Errorf("under-scoped key: code %v, want CONN_INSUFFICIENT_SCOPES", got)
	}
}

func TestUnknownMethod(t *testing.T) {
	s := fakev2.New()
	s.Start()
	defer s.Stop()
	conn, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Invoke(ctxWith(t), "/clarifai.api.V2/NoSuchMethod", &emptypb.Empty{}, &emptypb.Empty{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("err = %v, want Unimplemented", err)
	}
	if calls := s.Calls(); len(calls) != 1 || calls[0].Method != "/clarifai.api.V2/NoSuchMethod" {
		t.Errorf("calls = %v", calls)
	}
}

func TestDialBeforeStart(t *testing.T) {
	s := fakev2.New()
	defer s.Stop()
	if _, err := s.Dial(); err == nil {
		t.Error("Dial before Start succeeded")
	}
}

func TestServeOnLoopbackAndStop(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := fakev2.New()
	s.AddKey("k1", nil, nil)
	served := make(chan error, 1)
	go func() { served <- s.Serve(lis) }()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := pb.NewV2Client(conn).MyScopes(withKey(t, "k1"), &pb.MyScopesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, resp.GetStatus(), pb.StatusCode_SUCCESS, "Ok")

	s.Stop()
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v after Stop", err)
	}
	if _, err := pb.NewV2Client(conn).MyScopes(withKey(t, "k1"), &pb.MyScopesRequest{}); status.Code(err) != codes.Unavailable {
		t.Errorf("call after Stop: %v, want Unavailable", err)
	}
}

func TestStopEndsOpenStreams(t *testing.T) {
	s := fakev2.New()
	s.AddKey("k1", predictScopes, nil)
	s.Start()
	conn, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := pb.NewV2Client(conn).StreamModelOutputs(withKey(t, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(predictRequest()); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	s.Stop() // the handler is blocked in Recv: Stop must end it
	if _, err := stream.Recv(); err == nil {
		t.Error("stream still open after Stop")
	}
}

func TestConcurrentUse(t *testing.T) {
	s, c := start(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			s.AddKey("k1", predictScopes, nil)
			s.SetStatus(mPostInputs, int32(pb.StatusCode_FAILURE), "Failure", "")
			s.ClearStatus(mPostInputs)
			_ = s.Calls()
		}()
		go func() {
			defer wg.Done()
			if _, err := c.PostModelOutputs(withKey(t, "k1"), predictRequest()); err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if n := len(s.Calls()); n != 8 {
		t.Errorf("recorded %d calls, want 8", n)
	}
}

// TestNoClarifaitestDependency checks that the package's non-test code does
// not link the generated Clarifai types, which register clarifai.* names
// globally.
func TestNoClarifaitestDependency(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "google.golang.org/protobuf/types/dynamicpb") {
		t.Fatalf("go list output looks wrong: %s", out)
	}
	for _, d := range deps {
		if strings.HasSuffix(d, "/internal/clarifaitest") || strings.Contains(d, "clarifai-go-grpc") {
			t.Errorf("fakev2 depends on %s", d)
		}
	}
}
