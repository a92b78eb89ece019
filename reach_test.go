package clarifaiauth

import (
	"context"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
)

// peerConn is a connection whose remote end is addr.
type peerConn struct {
	net.Conn
	addr net.Addr
}

func (c peerConn) RemoteAddr() net.Addr { return c.addr }

// TestLoopbackBaseDialsOnlyLoopback: a plaintext base on this machine,
// allowed without opt-in, sends nothing to a peer that is not a loopback
// address, whatever "localhost" resolved to.
func TestLoopbackBaseDialsOnlyLoopback(t *testing.T) {
	w := newWatch(settings.Resolved{
		APIBase:  settings.Value{Value: "http://localhost:8080", From: "$CLARIFAI_API_BASE"},
		Endpoint: settings.Endpoint{Host: "localhost", Port: "8080", Plaintext: true},
	})
	creds := w.credentials(insecure.NewCredentials())
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	far := peerConn{a, &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 8080}}
	if _, _, err := creds.ClientHandshake(context.Background(), "localhost:8080", far); err == nil || !strings.Contains(err.Error(), "10.1.2.3") {
		t.Errorf("handshake with 10.1.2.3 for a localhost base: err = %v, want a refusal naming the peer", err)
	}
	near := peerConn{a, &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8080}}
	if _, _, err := creds.ClientHandshake(context.Background(), "localhost:8080", near); err != nil {
		t.Errorf("handshake with 127.0.0.1: %v", err)
	}
}

// TestReachTextIsCleaned: gRPC's text of a connection failure, which can
// quote what a server sent, reaches the caller's error on one bounded line
// without the characters that hide or reorder text (zero-width and bidi
// controls, line separators, invalid UTF-8).
func TestReachTextIsCleaned(t *testing.T) {
	w := newWatch(settings.Resolved{
		APIBase:  settings.Value{Value: "https://api.example:443", From: "$CLARIFAI_API_BASE"},
		Endpoint: settings.Endpoint{Host: "api.example", Port: "443"},
	})
	cause := "dial: evil\u200b\u2066name\u202e\u2028\nnext\xff " + strings.Repeat("x", 1000)
	msg := status.Convert(w.explain(status.Error(codes.Unavailable, cause))).Message()
	for _, bad := range []string{"\u200b", "\u2066", "\u202e", "\u2028", "\n", "\xff"} {
		if strings.Contains(msg, bad) {
			t.Errorf("the error keeps %q: %q", bad, msg)
		}
	}
	if !strings.Contains(msg, "dial: evil") || strings.Contains(msg, strings.Repeat("x", maxCause)) {
		t.Errorf("the cause is not quoted, or not bounded: %q", msg)
	}
}
