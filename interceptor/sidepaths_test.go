package interceptor_test

// Part of the adversarial suite: the side paths (issue 23).
//
// Attacks covered here:
//   - a PAT's later stream message naming no app: TestAttackPATLaterStreamMessage
//   - a PAT through PerRPCCredentials, which sees no request: TestAttackPATPerRPCCredentials
//   - a request tag gRPC would refuse, or a huge one: TestAttackRequestTag

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// TestAttackPATLaterStreamMessage: on a bidi stream with a PAT and no
// default app, a later message naming no app is refused before it is sent,
// as the first one would be.
func TestAttackPATLaterStreamMessage(t *testing.T) {
	marker := testutil.Marker(t)
	pat := mustKey(keysource.KindPAT, marker)
	e := newEnv(t, pat, nil)
	e.srv.AddPAT(marker, []string{"All"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := e.client.StreamModelOutputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(predictReq()); err != nil {
		t.Fatalf("first message, naming its app: %v", err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("first reply: %v", err)
	}
	err = stream.Send(&pb.PostModelOutputsRequest{ModelId: "m"}) // no user_app_id
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("second message, naming no app: %v, want FailedPrecondition", err)
	}
	testutil.NoSecret(t, "refusal", err.Error(), marker)
	calls := e.srv.Calls()
	if len(calls) != 1 || len(calls[0].Requests()) != 1 {
		t.Fatalf("server saw %d calls, want 1 with 1 message", len(calls))
	}
}

// TestAttackPATPerRPCCredentials: PerRPCCredentials cannot check that a
// request names its app, so it sends no PAT; an API key goes.
func TestAttackPATPerRPCCredentials(t *testing.T) {
	marker := testutil.Marker(t)
	srv, conn := clarifaifake.NewForTest(t, grpc.WithPerRPCCredentials(
		interceptor.PerRPCCredentials(mustKey(keysource.KindPAT, marker), interceptor.AllowInsecureTransport())))
	srv.AddPAT(marker, []string{"All"}, nil)
	client := pb.NewV2Client(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := client.PostModelOutputs(ctx, &pb.PostModelOutputsRequest{ModelId: "m"})
	if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "personal access token") {
		t.Errorf("unary: %v, want Unauthenticated naming the PAT", err)
	}
	if stream, err := client.StreamModelOutputs(ctx); err == nil {
		err = stream.Send(&pb.PostModelOutputsRequest{ModelId: "m"})
		if err == nil {
			_, err = stream.Recv()
		}
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("bidi: %v, want Unauthenticated", err)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("server saw %d calls, want 0", n)
	}
	if err != nil {
		testutil.NoSecret(t, "error", err.Error(), marker)
	}
}

// TestAttackRequestTag: a tag gRPC refuses on every call (CR LF, NUL, DEL,
// bidi characters) or a huge one is refused when the client is built, with
// a message naming the problem and not the tag; a printable one works.
func TestAttackRequestTag(t *testing.T) {
	for _, tag := range []string{"a\r\nb", "a\x00b", "a\x7fb", "a\u202eb", "é", strings.Repeat("t", 129), strings.Repeat("t", 1<<20)} {
		msg := panicOf(func() { interceptor.UnaryClient(nil, interceptor.WithRequestTag(tag)) })
		if msg == "" || !strings.Contains(msg, "WithRequestTag") || strings.Contains(msg, tag) {
			t.Errorf("UnaryClient(WithRequestTag(%.20q)) panicked with %q, want a message naming WithRequestTag, not the tag", tag, msg)
			continue
		}
		for name, build := range map[string]func(){
			"StreamClient":      func() { interceptor.StreamClient(nil, interceptor.WithRequestTag(tag)) },
			"PerRPCCredentials": func() { interceptor.PerRPCCredentials(nil, interceptor.WithRequestTag(tag)) },
		} {
			if got := panicOf(build); got != msg {
				t.Errorf("%s(%.20q) panicked with %q, want %q", name, tag, got, msg)
			}
		}
	}
	ok := strings.Repeat("t", 128)
	if msg := panicOf(func() {
		interceptor.UnaryClient(nil, interceptor.WithRequestTag(ok), interceptor.WithRequestTag("my service 1.2 (x)"))
	}); msg != "" {
		t.Errorf("UnaryClient(printable tags) panicked with %q", msg)
	}
	e := newEnv(t, staticSource(sourceKey), []interceptor.Option{interceptor.WithRequestTag(ok)})
	if _, err := e.client.PostModelOutputs(context.Background(), predictReq()); err != nil {
		t.Fatal(err)
	}
	if got := e.onlyCall(t).Header("x-clarifai-request-id-prefix"); len(got) != 1 || got[0] != ok {
		t.Errorf("tag = %q", got)
	}
}

// panicOf returns what f panics with, as a string, or "".
func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
			if msg == "" {
				msg = "non-string panic"
			}
		}
	}()
	f()
	return ""
}

// TestAttackSplitEcho: a server that echoes the key with invisible or
// control characters between its characters (U+200B, NUL, a line
// separator), which cleaning turns into spaces or drops, gets no readable
// key into the error, in a gRPC error or an in-band status.
func TestAttackSplitEcho(t *testing.T) {
	marker := testutil.Marker(t)
	e := newEnv(t, staticSource(marker), nil)
	e.srv.AddPAT(marker, []string{"All"}, nil)
	for _, sep := range []string{"\u200b", "\x00", "\u2028", " "} {
		var split strings.Builder
		for i, r := range marker {
			if i > 0 && i%2 == 0 {
				split.WriteString(sep)
			}
			split.WriteRune(r)
		}
		echo := "API key not found: Key " + split.String()
		e.srv.SetError(predictPath, status.Error(codes.Unauthenticated, strings.ToValidUTF8(echo, "?")))
		_, err := e.client.PostModelOutputs(context.Background(), predictReq())
		noKeyJoined(t, "gRPC error", err, marker)
		e.srv.SetError(predictPath, nil)
		e.srv.SetStatus(predictPath, 11009, strings.ToValidUTF8(echo, "?"), strings.ToValidUTF8(echo, "?"))
		_, err = e.client.PostModelOutputs(context.Background(), predictReq())
		noKeyJoined(t, "in-band status", err, marker)
		e.srv.ClearStatus(predictPath)
	}
}

// noKeyJoined fails unless err is an error that holds the key neither as
// it is nor once the white space between its characters is taken out.
func noKeyJoined(t *testing.T, what string, err error, key string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v %#v", err, err)} {
		testutil.NoSecret(t, what, strings.Join(strings.Fields(s), ""), key)
	}
}
