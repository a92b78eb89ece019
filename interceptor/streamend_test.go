package interceptor_test

import (
	"context"
	"errors"
	"io"
	"testing"

	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/replystatus"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestStreamItemFailureIsDelivered: a per-item failure in a later reply of
// a prediction stream is a message, not the end of the stream.
func TestStreamItemFailureIsDelivered(t *testing.T) {
	e := newEnv(t, staticSource(sourceKey), nil)
	e.srv.SetStreamCodes(streamPath, 10000, 10020, 10000) // FAILURE for the second item
	stream, err := e.client.StreamModelOutputs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []pb.StatusCode{10000, 10020, 10000} {
		if err := stream.Send(predictReq()); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("Recv %d: %v", i, err)
		}
		if got := resp.GetStatus().GetCode(); got != want {
			t.Errorf("reply %d: status %v, want %v", i, got, want)
		}
		if i == 1 && replystatus.Check(streamPath, resp, scopes.Code.Failed) == nil {
			t.Error("the reply check on the delivered failure = nil")
		}
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv after CloseSend = %v, want io.EOF", err)
	}
}

// TestStreamEndsEarly: a failure in the first reply, or a connection-level
// failure in any reply, ends the stream; the underlying stream is finished,
// so Trailer is safe, and SendMsg returns the same error.
func TestStreamEndsEarly(t *testing.T) {
	for _, tt := range []struct {
		name  string
		codes []int32
		at    int // the reply that ends the stream
		want  error
	}{
		{"failure in the first reply", []int32{10030}, 0, scopes.ErrTryAgain},
		{"throttled later", []int32{10000, 11005, 10000}, 1, scopes.ErrThrottled},
		{"key rejected later", []int32{10000, 10000, 11009}, 2, scopes.ErrKeyNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, staticSource(sourceKey), nil)
			e.srv.SetStreamCodes(streamPath, tt.codes...)
			stream, err := e.client.StreamModelOutputs(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var endErr error
			for i := 0; i <= tt.at; i++ {
				if err := stream.Send(predictReq()); err != nil {
					t.Fatalf("Send %d: %v", i, err)
				}
				_, err := stream.Recv()
				if i < tt.at && err != nil {
					t.Fatalf("Recv %d: %v", i, err)
				}
				endErr = err
			}
			if !errors.Is(endErr, tt.want) {
				t.Fatalf("Recv %d = %v, want %v", tt.at, endErr, tt.want)
			}
			_ = stream.Trailer() // the stream is finished: no race with the transport
			if md, err := stream.Header(); err != nil {
				t.Errorf("Header after the end = %v, %v", md, err)
			}
			if err := stream.Send(predictReq()); err != endErr {
				t.Errorf("Send after the end = %v, want the same error %v", err, endErr)
			}
			if _, err := stream.Recv(); err != endErr {
				t.Errorf("Recv after the end = %v, want the same error", err)
			}
			if err := stream.Context().Err(); err != context.Canceled {
				t.Errorf("stream context: %v, want Canceled", err)
			}
		})
	}
}

// TestStreamUploadProgress: an upload stream answers every chunk with
// UPLOAD_IN_PROGRESS and ends with MODEL_BUILDING; neither is a failure.
func TestStreamUploadProgress(t *testing.T) {
	e := newEnv(t, staticSource(sourceKey), nil)
	stream, err := e.client.PostModelVersionsUpload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	msgs := []*pb.PostModelVersionsUploadRequest{
		{UploadData: &pb.PostModelVersionsUploadRequest_UploadConfig{UploadConfig: &pb.PostModelVersionsUploadConfig{
			UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "app"}, ModelId: "m", TotalSize: 6}}},
		{UploadData: &pb.PostModelVersionsUploadRequest_ContentPart{ContentPart: &pb.UploadContentPart{PartNumber: 1, Data: []byte("abc")}}},
		{UploadData: &pb.PostModelVersionsUploadRequest_ContentPart{ContentPart: &pb.UploadContentPart{PartNumber: 2, Data: []byte("def")}}},
	}
	for i, m := range msgs {
		if err := stream.Send(m); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("Recv %d: %v", i, err)
		}
		if got := resp.GetStatus().GetCode(); got != 68000 {
			t.Errorf("reply %d: %v, want UPLOAD_IN_PROGRESS", i, got)
		}
	}
	stream.CloseSend()
	resp, err := stream.Recv()
	if err != nil || resp.GetStatus().GetCode() != 21107 {
		t.Fatalf("last reply: %v, %v; want MODEL_BUILDING", resp.GetStatus(), err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv at the end = %v, want io.EOF", err)
	}
}

// TestClientStream: a client-streaming call's one reply is checked.
func TestClientStream(t *testing.T) {
	e := newEnv(t, staticSource(sourceKey), nil)
	chunks := pb.NewChunksClient(e.conn)
	stream, err := chunks.PostChunks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		req := predictReq()
		req.Inputs = []*pb.Input{{Id: string(rune('a' + i))}}
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil || len(resp.GetOutputs()) != 3 {
		t.Fatalf("CloseAndRecv = %d outputs, %v; want 3", len(resp.GetOutputs()), err)
	}

	e.srv.SetStatus("/clarifaiauth.testonly.Chunks/PostChunks", 11005, "slow down", "")
	stream, err = chunks.PostChunks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(predictReq()); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.CloseAndRecv(); !errors.Is(err, scopes.ErrThrottled) || status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("CloseAndRecv = %v, want throttled", err)
	}
	_ = stream.Trailer()
}
