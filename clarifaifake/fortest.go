package clarifaifake

import (
	"google.golang.org/grpc"
)

// NewForTest starts a server for the test t on an in-memory listener and
// returns it with a client connection dialed with dialOpts (your
// interceptors, for example) after DialOptions. The connection is closed and
// the server stopped when the test ends. Descriptors are chosen as by New;
// to pick them, call New with WithFiles instead. It ends the test with
// t.Fatal if the server cannot be made. t is a *testing.T, *testing.B or
// *testing.F; the package does not import package testing, so programs
// that embed the fake do not link it.
func NewForTest(t interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}, dialOpts ...grpc.DialOption) (*Server, *grpc.ClientConn) {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	conn, err := s.Dial(dialOpts...)
	if err != nil {
		s.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		s.Stop()
	})
	return s, conn
}
