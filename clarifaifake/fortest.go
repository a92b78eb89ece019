package clarifaifake

import (
	"google.golang.org/grpc"
)

// NewForTest starts a server for the test t (a *testing.T, B or F) and
// returns it with a connection from Dial with dialOpts; both are closed when
// the test ends. Descriptors are chosen as by New (call New with WithFiles to
// pick them). The package does not import testing, so programs that embed
// the fake do not link it.
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
