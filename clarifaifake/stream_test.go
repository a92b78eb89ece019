package clarifaifake_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
)

func TestServerStreaming(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", predictScopes, nil)

	got, err := call(withKey(t, "k"), s, conn, mGenerateModelOutputs, predictRequest(s, "m"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(codesOf(got), []int32{codeSuccess, codeSuccess, codeSuccess}) {
		t.Errorf("codes %v, want three SUCCESS", codesOf(got))
	}

	// Refused: one reply.
	got, _ = call(withKey(t, "nope"), s, conn, mGenerateModelOutputs, predictRequest(s, "m"))
	if !slices.Equal(codesOf(got), []int32{codeKeyNotFound}) {
		t.Errorf("refused stream: codes %v", codesOf(got))
	}

	// Progress then a result, even without a credential.
	want := []int32{codeUploadInProgress, codeUploadInProgress, codeMixedStatus}
	s.SetStreamCodes(mGenerateModelOutputs, want...)
	got, _ = call(ctxWith(t), s, conn, mGenerateModelOutputs, predictRequest(s, "m"))
	if !slices.Equal(codesOf(got), want) {
		t.Errorf("forced codes %v, want %v", codesOf(got), want)
	}
	if get(got[0], "status.description").String() != "Upload in progress" || get(got[2], "status.description").String() != "MIXED_STATUS" {
		t.Errorf("descriptions %v", got)
	}
	s.SetStreamCodes(mGenerateModelOutputs)
}

// TestBidiPerItemFailure: a failure in the 2nd reply of a bidirectional
// stream does not end it.
func TestBidiPerItemFailure(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", predictScopes, nil)
	reqs := []proto.Message{predictRequest(s, "m1"), predictRequest(s, "m2"), predictRequest(s, "m3")}

	got, err := call(withKey(t, "k"), s, conn, mStreamModelOutputs, reqs...)
	if err != nil || !slices.Equal(codesOf(got), []int32{codeSuccess, codeSuccess, codeSuccess}) {
		t.Fatalf("codes %v, %v", codesOf(got), err)
	}
	if modelOf(got[2]) != "m3" {
		t.Errorf("reply 3 is not for request 3: %v", got[2])
	}

	s.SetStreamCodes(mStreamModelOutputs, codeSuccess, codeFailure, codeSuccess)
	got, err = call(withKey(t, "k"), s, conn, mStreamModelOutputs, reqs...)
	if err != nil || !slices.Equal(codesOf(got), []int32{codeSuccess, codeFailure, codeSuccess}) {
		t.Errorf("codes %v, %v; want a per-item failure in the 2nd", codesOf(got), err)
	}
	s.SetStreamCodes(mStreamModelOutputs)

	// Refused: the first message is answered, then the stream ends.
	got, err = call(withKey(t, "nope"), s, conn, mStreamModelOutputs, reqs...)
	if err != nil || !slices.Equal(codesOf(got), []int32{codeKeyNotFound}) {
		t.Errorf("refused stream: %v, %v", codesOf(got), err)
	}
}

func modelOf(m proto.Message) string {
	out := get(m, "outputs").List().Get(0).Message().Interface()
	return get(out, "model.id").String()
}

func TestUploadStream(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", []string{"All"}, nil)
	req := s.NewRequest(mUpload)
	got, err := call(withKey(t, "k"), s, conn, mUpload, req, req, req)
	want := []int32{codeUploadInProgress, codeUploadInProgress, codeUploadInProgress, codeModelBuilding}
	if err != nil || !slices.Equal(codesOf(got), want) {
		t.Errorf("codes %v, %v; want %v", codesOf(got), err, want)
	}
}

func TestClientStreaming(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", predictScopes, nil)
	s.AddPAT("weak", []string{"Predict"}, nil)
	var reqs []proto.Message
	for _, id := range []string{"a", "b", "c"} {
		reqs = append(reqs, addInput(s.NewRequest(mPostModelOutputs), id))
	}
	got, err := call(withKey(t, "k"), s, conn, mPostChunks, reqs...)
	if err != nil || len(got) != 1 || code(got[0]) != codeSuccess || listLen(got[0], "outputs") != 3 {
		t.Fatalf("replies %v, %v; want one SUCCESS with 3 outputs", got, err)
	}
	if calls := s.Calls(); len(calls[0].Requests()) != 3 {
		t.Errorf("recorded %d requests, want 3", len(calls[0].Requests()))
	}
	got, _ = call(withKey(t, "weak"), s, conn, mPostChunks, reqs...)
	if !slices.Equal(codesOf(got), []int32{codeInsufficientScopes}) {
		t.Errorf("under-scoped: %v", codesOf(got))
	}
}

// TestReplyFuncStream: a ReplyFunc answers each message of a bidirectional
// stream, with a per-item failure, and has the last word.
func TestReplyFuncStream(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", []string{"All"}, nil)
	n := 0
	s.SetReply(mStreamModelOutputs, func(_ context.Context, req proto.Message) ([]proto.Message, error) {
		if req == nil {
			return []proto.Message{clarifaifake.WithStatus(s.NewReply(mStreamModelOutputs), codeModelBuilding, "done", "")}, nil
		}
		n++
		r := s.NewReply(mStreamModelOutputs)
		if get(req, "model_id").String() == "bad" {
			return []proto.Message{clarifaifake.WithStatus(r, codeFailure, "Failure", "model bad failed")}, nil
		}
		return []proto.Message{r}, nil // gets SUCCESS
	})
	got, err := call(withKey(t, "k"), s, conn, mStreamModelOutputs,
		predictRequest(s, "ok"), predictRequest(s, "bad"), predictRequest(s, "ok"))
	want := []int32{codeSuccess, codeFailure, codeSuccess, codeModelBuilding}
	if err != nil || !slices.Equal(codesOf(got), want) {
		t.Fatalf("codes %v, %v; want %v", codesOf(got), err, want)
	}
	if get(got[1], "status.details").String() != "model bad failed" || get(got[0], "status.req_id").String() == "" {
		t.Errorf("replies %v", got)
	}

	// The ReplyFunc runs only once the call passed the checks.
	n = 0
	got, _ = call(withKey(t, "nope"), s, conn, mStreamModelOutputs, predictRequest(s, "ok"))
	if n != 0 || !slices.Equal(codesOf(got), []int32{codeKeyNotFound}) {
		t.Errorf("refused call reached the ReplyFunc (%d) or got %v", n, codesOf(got))
	}
}

func TestReplyFuncErrors(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", []string{"All"}, nil)
	for _, tt := range []struct {
		name string
		f    clarifaifake.ReplyFunc
		want codes.Code
	}{
		{"gRPC error", func(context.Context, proto.Message) ([]proto.Message, error) {
			return nil, status.Error(codes.ResourceExhausted, "slow down")
		}, codes.ResourceExhausted},
		{"plain error", func(context.Context, proto.Message) ([]proto.Message, error) {
			return nil, errors.New("boom")
		}, codes.Unknown},
		{"two replies to a unary call", func(context.Context, proto.Message) ([]proto.Message, error) {
			return []proto.Message{s.NewReply(mPostInputs), s.NewReply(mPostInputs)}, nil
		}, codes.Internal},
		{"wrong reply type", func(context.Context, proto.Message) ([]proto.Message, error) {
			return []proto.Message{s.NewReply(mMyScopes)}, nil
		}, codes.Internal},
		{"nil reply", func(context.Context, proto.Message) ([]proto.Message, error) {
			return []proto.Message{nil}, nil
		}, codes.Internal},
		{"typed nil reply", func(context.Context, proto.Message) ([]proto.Message, error) {
			return []proto.Message{(*dynamicpb.Message)(nil)}, nil
		}, codes.Internal},
	} {
		s.SetReply(mPostInputs, tt.f)
		_, err := call(withKey(t, "k"), s, conn, mPostInputs)
		if status.Code(err) != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	s.SetReply(mPostInputs, nil)
	if got, err := call(withKey(t, "k"), s, conn, mPostInputs); err != nil || code(got[0]) != codeSuccess {
		t.Errorf("after SetReply(nil): %v, %v", got, err)
	}
}

func TestSetStatusAndSetError(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", predictScopes, nil)
	s.SetStatus(mPostModelOutputs, codeMixedStatus, "Mixed status", "1 of 2 failed")
	got, _ := call(ctxWith(t), s, conn, mPostModelOutputs, predictRequest(s, "m"))
	if code(got[0]) != codeMixedStatus || listLen(got[0], "outputs") != 1 {
		t.Errorf("forced status without credential: %v", got)
	}
	s.SetStatus("", codeThrottled, "Throttled", "")
	if got, _ := call(withKey(t, "k"), s, conn, mMyScopes); code(got[0]) != codeThrottled {
		t.Errorf(`"" status not applied: %v`, codesOf(got))
	}
	if got, _ := call(withKey(t, "k"), s, conn, mPostModelOutputs, predictRequest(s, "m")); code(got[0]) != codeMixedStatus {
		t.Errorf(`"" status won over the method's`)
	}
	s.ClearStatus("")
	s.ClearStatus(mPostModelOutputs)

	s.SetError("", status.Error(codes.Unavailable, "down"))
	s.SetError(mMyScopes, status.Error(codes.Unauthenticated, "who"))
	if _, err := call(withKey(t, "k"), s, conn, mMyScopes); status.Code(err) != codes.Unauthenticated {
		t.Errorf("method error: %v", err)
	}
	if _, err := call(withKey(t, "k"), s, conn, mStreamModelOutputs, predictRequest(s, "m")); status.Code(err) != codes.Unavailable {
		t.Errorf(`"" error on a stream: %v`, err)
	}
	s.SetError("", nil)
	s.SetError(mMyScopes, nil)
	if got, err := call(withKey(t, "k"), s, conn, mPostModelOutputs, predictRequest(s, "m")); err != nil || code(got[0]) != codeSuccess {
		t.Errorf("after clearing: %v, %v", codesOf(got), err)
	}
}

func TestStopEndsOpenStreams(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", predictScopes, nil)
	stream, err := conn.NewStream(withKey(t, "k"), &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, mStreamModelOutputs)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.SendMsg(predictRequest(s, "m")); err != nil {
		t.Fatal(err)
	}
	if err := stream.RecvMsg(s.NewReply(mStreamModelOutputs)); err != nil {
		t.Fatal(err)
	}
	s.Stop() // the handler is blocked receiving: Stop must end it
	if err := stream.RecvMsg(s.NewReply(mStreamModelOutputs)); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("after Stop: %v, want an error", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	s, conn := start(t)
	var wg sync.WaitGroup
	s.AddPAT("k", predictScopes, nil)
	for range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			s.AddPAT("k", predictScopes, nil)
			s.SetStatus(mPostInputs, codeFailure, "Failure", "")
			s.ClearStatus(mPostInputs)
			_ = s.Calls()
			_ = s.LeastPrivilege()
		}()
		go func() {
			defer wg.Done()
			if _, err := call(withKey(t, "k"), s, conn, mStreamModelOutputs, predictRequest(s, "m")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(s.Calls()); n != 8 {
		t.Errorf("recorded %d calls, want 8", n)
	}
}

// TestReplyFuncSharedReply: one reply message handed to concurrent calls is
// copied before the server fills it in, so -race stays quiet.
func TestReplyFuncSharedReply(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", []string{"All"}, nil)
	shared := s.NewReply(mPostInputs)
	s.SetReply(mPostInputs, func(context.Context, proto.Message) ([]proto.Message, error) {
		return []proto.Message{shared}, nil
	})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			got, err := call(withKey(t, "k"), s, conn, mPostInputs)
			if err != nil || code(got[0]) != codeSuccess || get(got[0], "status.req_id").String() == "" {
				t.Errorf("%v, %v", got, err)
			}
		})
	}
	wg.Wait()
	if code(shared) != 0 {
		t.Error("the server modified the ReplyFunc's message")
	}
}

// TestRecordingIsBounded: a long upload keeps only the first 1000 messages
// in its recorded call, and is still answered message by message.
func TestRecordingIsBounded(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", []string{"All"}, nil)
	req := s.NewRequest(mUpload)
	reqs := make([]proto.Message, 1200)
	for i := range reqs {
		reqs[i] = req
	}
	got, err := call(withKey(t, "k"), s, conn, mUpload, reqs...)
	if err != nil || len(got) != 1201 {
		t.Fatalf("%d replies, %v; want 1201", len(got), err)
	}
	if n := len(s.Calls()[0].Requests()); n != 1000 {
		t.Errorf("recorded %d requests, want the first 1000", n)
	}
}
