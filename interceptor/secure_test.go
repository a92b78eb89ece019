package interceptor_test

import (
	"context"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// leveled is transport credentials that do nothing to the connection and
// report info: what a TLS or ALTS connection, or a hostile one, reports.
type leveled struct {
	credentials.TransportCredentials
	info credentials.AuthInfo
}

func (c leveled) ClientHandshake(_ context.Context, _ string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return conn, c.info, nil
}

func (c leveled) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "test"}
}

func (c leveled) Clone() credentials.TransportCredentials { return c }

// withLevel dials the fake over a connection that reports security level l.
func withLevel(l credentials.SecurityLevel) grpc.DialOption {
	return grpc.WithTransportCredentials(leveled{insecure.NewCredentials(), levelInfo{credentials.CommonAuthInfo{SecurityLevel: l}}})
}

// secure dials the fake over a connection that reports privacy and
// integrity, as TLS does, so that the interceptors send keys over it.
var secure = withLevel(credentials.PrivacyAndIntegrity)
