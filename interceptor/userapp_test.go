package interceptor_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// userAppEnv is a fake server and a client whose interceptors fill the
// default app "me/app".
func userAppEnv(t *testing.T) (*clarifaifake.Server, pb.V2Client) {
	t.Helper()
	src := staticSource(sourceKey)
	opts := []interceptor.Option{interceptor.WithUserApp("me", "app")}
	fake, conn := clarifaifake.NewForTest(t, secure,
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, opts...)),
		grpc.WithChainStreamInterceptor(interceptor.StreamClient(src, opts...)))
	fake.AddPAT(sourceKey, []string{"All"}, nil)
	return fake, pb.NewV2Client(conn)
}

// lastRequests returns what the server received in its last call.
func lastRequests(t *testing.T, fake *clarifaifake.Server) []proto.Message {
	t.Helper()
	calls := fake.Calls()
	if len(calls) == 0 {
		t.Fatal("the server saw no call")
	}
	return calls[len(calls)-1].Requests()
}

func TestUserAppUnary(t *testing.T) {
	fake, client := userAppEnv(t)
	for _, tt := range []struct {
		desc string
		in   *pb.UserAppIDSet
		want *pb.UserAppIDSet
	}{
		{"unset: filled", nil, &pb.UserAppIDSet{UserId: "me", AppId: "app"}},
		{"empty: filled", &pb.UserAppIDSet{}, &pb.UserAppIDSet{UserId: "me", AppId: "app"}},
		{"user only: left alone", &pb.UserAppIDSet{UserId: "clarifai"}, &pb.UserAppIDSet{UserId: "clarifai"}},
		{"app only: left alone", &pb.UserAppIDSet{AppId: "main"}, &pb.UserAppIDSet{AppId: "main"}},
		{"both: left alone", &pb.UserAppIDSet{UserId: "clarifai", AppId: "main"}, &pb.UserAppIDSet{UserId: "clarifai", AppId: "main"}},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			req := &pb.PostModelOutputsRequest{UserAppId: tt.in, ModelId: "m", Inputs: []*pb.Input{{Id: "in-1"}}}
			before := proto.Clone(req)
			if _, err := client.PostModelOutputs(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(req, before) {
				t.Errorf("the caller's request changed: %v, was %v", req, before)
			}
			got := lastRequests(t, fake)[0].(*pb.PostModelOutputsRequest)
			if !proto.Equal(got.GetUserAppId(), tt.want) {
				t.Errorf("server got user_app_id %v, want %v", got.GetUserAppId(), tt.want)
			}
			if got.GetModelId() != "m" || len(got.GetInputs()) != 1 || got.GetInputs()[0].GetId() != "in-1" {
				t.Errorf("server got %v: the other fields are lost", got)
			}
		})
	}

	// A request with user_app_id at field 2 (ListScopes) is filled too; one
	// that has no such field (ListStatusCodes) goes as it is.
	// (ListScopes takes only session tokens: the reply's refusal is not the point.)
	if _, err := client.ListScopes(context.Background(), &pb.ListScopesRequest{KeyType: "personal_access_token"}, interceptor.WithStatusCheck(nil)); err != nil {
		t.Fatal(err)
	}
	if got := lastRequests(t, fake)[0].(*pb.ListScopesRequest); got.GetUserAppId().GetUserId() != "me" || got.GetKeyType() != "personal_access_token" {
		t.Errorf("ListScopes request = %v, want user_app_id me/app at field 2 and key_type kept", got)
	}
	if _, err := client.ListStatusCodes(context.Background(), &pb.ListStatusCodesRequest{}); err != nil {
		t.Fatal(err)
	}
}

// TestUserAppUploadStream: only the upload's first message names an app,
// inside upload_config; content parts must get no upload_config.
func TestUserAppUploadStream(t *testing.T) {
	fake, client := userAppEnv(t)
	stream, err := client.PostModelVersionsUpload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	msgs := []*pb.PostModelVersionsUploadRequest{
		{UploadData: &pb.PostModelVersionsUploadRequest_UploadConfig{UploadConfig: &pb.PostModelVersionsUploadConfig{ModelId: "m", TotalSize: 3}}},
		{UploadData: &pb.PostModelVersionsUploadRequest_ContentPart{ContentPart: &pb.UploadContentPart{PartNumber: 1, Data: []byte("abc")}}},
	}
	var before []proto.Message
	for _, m := range msgs {
		before = append(before, proto.Clone(m))
		if err := stream.Send(m); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := stream.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range msgs {
		if !proto.Equal(m, before[i]) {
			t.Errorf("message %d changed: %v", i, m)
		}
	}
	got := lastRequests(t, fake)
	if len(got) != 2 {
		t.Fatalf("server got %d messages, want 2", len(got))
	}
	cfg := got[0].(*pb.PostModelVersionsUploadRequest).GetUploadConfig()
	if cfg.GetUserAppId().GetUserId() != "me" || cfg.GetUserAppId().GetAppId() != "app" || cfg.GetModelId() != "m" {
		t.Errorf("first message's upload_config = %v, want user_app_id me/app and model_id kept", cfg)
	}
	if part := got[1].(*pb.PostModelVersionsUploadRequest); part.GetUploadConfig() != nil || string(part.GetContentPart().GetData()) != "abc" {
		t.Errorf("content part = %v, want it as sent", part)
	}
}

// TestUserAppCostsNothingWhenSet: a request that names its app is passed on
// as it is, without an allocation.
func TestUserAppCostsNothingWhenSet(t *testing.T) {
	named := &pb.PostModelOutputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "u", AppId: "a"}}
	var sent any
	ic := interceptor.UnaryClient(staticSource(sourceKey), interceptor.WithUserApp("me", "app"), interceptor.WithStatusCheck(nil))
	invoker := func(_ context.Context, _ string, req, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
		sent = req
		return nil
	}
	reply := &pb.MultiOutputResponse{}
	if err := ic(context.Background(), "/clarifai.api.V2/PostModelOutputs", named, reply, nil, invoker); err != nil {
		t.Fatal(err)
	}
	if sent != any(named) {
		t.Error("a request naming its app was not passed on as it is")
	}
	with := testing.AllocsPerRun(200, func() {
		_ = ic(context.Background(), "/clarifai.api.V2/PostModelOutputs", named, reply, nil, invoker)
	})
	plain := interceptor.UnaryClient(staticSource(sourceKey), interceptor.WithStatusCheck(nil))
	base := testing.AllocsPerRun(200, func() {
		_ = plain(context.Background(), "/clarifai.api.V2/PostModelOutputs", named, reply, nil, invoker)
	})
	if with != base {
		t.Errorf("WithUserApp on a request naming its app: %v allocations per call, without the option %v", with, base)
	}
}

// TestPATWithoutAppRefused: a call with a personal access token whose
// request names no user and no app, with no default app, is refused before
// it is sent, saying how to name one; a key of unknown kind, a request
// that names a user, a request type without user_app_id and a default app
// all let it go.
func TestPATWithoutAppRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pat := mustKey(keysource.KindPAT, sourceKey)
	e := newEnv(t, pat, nil)
	_, err := e.client.PostModelOutputs(ctx, &pb.PostModelOutputsRequest{ModelId: "m"})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "CLARIFAI_USER_ID") || !strings.Contains(err.Error(), "WithUserApp") {
		t.Errorf("PAT without app: %v, want FailedPrecondition naming the settings", err)
	}
	stream, err := e.client.GenerateModelOutputs(ctx, &pb.PostModelOutputsRequest{ModelId: "m"})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("PAT stream without app: %v, want FailedPrecondition", err)
	}
	if n := len(e.srv.Calls()); n != 0 {
		t.Fatalf("server saw %d calls, want none", n)
	}

	sent := []struct {
		name string
		call func() error
	}{
		{"user named", func() error {
			_, err := e.client.PostModelOutputs(ctx, &pb.PostModelOutputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}})
			return err
		}},
		{"key of unknown kind", func() error {
			_, err := e.client.PostModelOutputs(ctx, &pb.PostModelOutputsRequest{}, interceptor.CallKey(keyOf(sourceKey)))
			return err
		}},
		{"no user_app_id in the request type", func() error {
			_, err := e.client.ListStatusCodes(ctx, &pb.ListStatusCodesRequest{})
			return err
		}},
	}
	for _, tc := range sent {
		e.srv.ResetCalls()
		if err := tc.call(); status.Code(err) == codes.FailedPrecondition {
			t.Errorf("%s: refused: %v", tc.name, err)
		}
		if n := len(e.srv.Calls()); n != 1 {
			t.Errorf("%s: server saw %d calls, want 1", tc.name, n)
		}
	}

	d := newEnv(t, pat, []interceptor.Option{interceptor.WithUserApp("me", "app")})
	if _, err := d.client.PostModelOutputs(ctx, &pb.PostModelOutputsRequest{}); err != nil {
		t.Errorf("PAT with a default app: %v", err)
	}
}
