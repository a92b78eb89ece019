package clarifaiauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// watch tells a server that cannot work from one that dropped a call. Until
// a connection to the server has been made (a transport handshake
// succeeded), an Unavailable call is not retried and its error names the
// server, the setting it came from and what to check: retrying a refused
// port or a TLS handshake with a plaintext server only hides the cause.
// Once a connection has worked, Unavailable is retried as RetryOptions say.
//
// A plaintext server has worked once it sent its first bytes (HTTP/2's
// settings frame). A plaintext base on this machine is dialled only to a
// loopback peer, whatever its host name resolved to.
type watch struct {
	server, from string
	plaintext    bool
	loopback     bool // the peer must be a loopback address
	worked       atomic.Bool
	connected    atomic.Bool           // a TCP connection was accepted
	handshake    atomic.Pointer[error] // the last failed handshake's error
	log          *slog.Logger          // WithLogger's, or nil
}

// firstContactTimeout bounds the TLS handshake, or the wait for a
// plaintext server's first reply, of each connection attempt.
const firstContactTimeout = 5 * time.Second

func newWatch(r settings.Resolved) *watch {
	return &watch{
		server: r.Endpoint.String(), from: r.APIBase.From,
		plaintext: r.Endpoint.Plaintext, loopback: r.Endpoint.Plaintext && r.Endpoint.Loopback(),
	}
}

// retriable is scopes.Retriable, except for Unavailable before the server
// ever answered a handshake.
func (w *watch) retriable(err error) bool {
	if !w.worked.Load() && status.Code(err) == codes.Unavailable {
		return false
	}
	return scopes.Retriable(err)
}

// explain rewrites an Unavailable error of a server that never worked, and
// a call's deadline that passed while a server that accepted the connection
// had not answered yet.
func (w *watch) explain(err error) error {
	if w.worked.Load() {
		return err
	}
	switch status.Code(err) {
	case codes.Unavailable:
	case codes.DeadlineExceeded:
		if !w.connected.Load() {
			return err
		}
		what := w.silence("")
		if p := w.handshake.Load(); p != nil && !errors.Is(*p, context.DeadlineExceeded) {
			what = "the last handshake failed: " + cleantext.String((*p).Error(), maxCause) + "; " + w.hint("")
		}
		return status.Errorf(codes.DeadlineExceeded, "clarifaiauth: the call's deadline passed at %s (from %s): %s", w.server, w.from, what)
	default:
		return err
	}
	cause := status.Convert(err).Message()
	return status.Errorf(codes.Unavailable, "clarifaiauth: cannot use the Clarifai API at %s (from %s): %s; %s",
		w.server, w.from, cleantext.String(cause, maxCause), w.hint(cause))
}

// hint says what to check, from the last handshake's error or gRPC's text.
func (w *watch) hint(cause string) string {
	var hs error
	if p := w.handshake.Load(); p != nil {
		hs = *p
	}
	var (
		rec  tls.RecordHeaderError
		cert *tls.CertificateVerificationError
		ua   x509.UnknownAuthorityError
		hn   x509.HostnameError
		ci   x509.CertificateInvalidError
	)
	switch {
	case errors.Is(hs, context.DeadlineExceeded) || w.connected.Load() && (strings.Contains(cause, "deadline exceeded") || strings.Contains(cause, "server preface")):
		return w.silence(fmt.Sprintf(" within %v", firstContactTimeout))
	case errors.As(hs, &rec) || strings.Contains(cause, "first record does not look like a TLS handshake"):
		return "the server does not speak TLS: for a plaintext server on this machine use http://host:port, else check the port in " + w.from
	case errors.As(hs, &cert) || errors.As(hs, &ua) || errors.As(hs, &hn) || errors.As(hs, &ci) || strings.Contains(cause, "x509:"):
		return "its certificate is not trusted for that name: check the host in " + w.from + ", or set " + settings.EnvRootCertificates + " to the CA bundle that signed it"
	case strings.Contains(cause, "connection refused"):
		return "nothing accepts connections there: check the host and port in " + w.from + " and that the server runs"
	case strings.Contains(cause, "no such host") || strings.Contains(cause, "produced zero addresses") || strings.Contains(cause, "name resolver"):
		return "the host name does not resolve: check the host in " + w.from
	}
	return "check the API base in " + w.from + " and the network"
}

// silence says what never came from a server that accepted the
// connection, and how long it was waited for.
func (w *watch) silence(within string) string {
	if w.plaintext {
		return fmt.Sprintf("the server accepted the connection but its first reply never came%s: check that %s names a plaintext gRPC server (a TLS one needs https://)",
			within, w.from)
	}
	return fmt.Sprintf("the server accepted the connection but the TLS handshake never came%s: check that %s names a TLS gRPC server (a plaintext one on this machine needs http://host:port)",
		within, w.from)
}

// maxCause bounds what an error quotes of gRPC's text of a connection
// failure, in bytes.
const maxCause = 300

// credentials wraps c to record whether a handshake ever succeeded.
func (w *watch) credentials(c credentials.TransportCredentials) credentials.TransportCredentials {
	return watchedCredentials{c, w}
}

type watchedCredentials struct {
	credentials.TransportCredentials
	w *watch
}

func (c watchedCredentials) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	c.w.connected.Store(true)
	if c.w.loopback && !loopbackPeer(raw) {
		err := fmt.Errorf("refusing to send a key in plaintext to %s: the base names this machine, the connection does not", raw.RemoteAddr())
		c.w.handshake.Store(&err)
		return nil, nil, err
	}
	if c.w.plaintext {
		conn, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, raw)
		if err != nil {
			return nil, nil, err
		}
		if c.w.worked.Load() {
			return conn, info, nil
		}
		return &firstReply{Conn: conn, w: c.w, said: c.w.sayAfter("the server's first reply")}, info, nil
	}
	said := c.w.sayAfter("the TLS handshake")
	conn, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, raw)
	said.stop()
	if err != nil {
		c.w.handshake.Store(&err)
		return nil, nil, err
	}
	c.w.worked.Store(true)
	return conn, info, nil
}

func (c watchedCredentials) Clone() credentials.TransportCredentials {
	return watchedCredentials{c.TransportCredentials.Clone(), c.w}
}

// firstReply marks its watch as worked when the server first sends bytes.
type firstReply struct {
	net.Conn
	w    *watch
	said *waitNotice
}

func (c *firstReply) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.w.worked.Load() {
		c.w.worked.Store(true)
	}
	if n > 0 || err != nil {
		c.said.stop()
	}
	return n, err
}

func (c *firstReply) Close() error {
	c.said.stop()
	return c.Conn.Close()
}

// firstContactLogAfter is how long the first contact with a server lasts
// before WithLogger hears of it.
const firstContactLogAfter = time.Second

// waitNotice logs, once firstContactLogAfter has passed, that a connection
// still waits for what; nil when there is no logger.
type waitNotice struct{ t *time.Timer }

func (w *watch) sayAfter(what string) *waitNotice {
	if w.log == nil || w.worked.Load() {
		return nil
	}
	return &waitNotice{time.AfterFunc(firstContactLogAfter, func() {
		w.log.Info("clarifaiauth: waiting for "+what, slog.String("server", w.server), slog.String("from", w.from),
			slog.Duration("gives_up_after", firstContactTimeout))
	})}
}

func (n *waitNotice) stop() {
	if n != nil {
		n.t.Stop()
	}
}

// loopbackPeer reports whether c's remote end is not an IP address off
// this machine. A connection of a dialer of the caller's (WithDialOptions)
// that is not TCP, such as bufconn's, is the caller's to judge.
func loopbackPeer(c net.Conn) bool {
	a, ok := c.RemoteAddr().(*net.TCPAddr)
	return !ok || a.IP.IsLoopback()
}
