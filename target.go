package clarifaiauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
)

// ErrInsecureBase means the API base asks for plaintext ("http://") to a
// host other than this machine, and the interceptor options do not allow
// it: the key would cross the network in clear. The error wrapping it
// names the setting and the base. Give interceptor.AllowInsecureTransport()
// through WithInterceptorOptions to allow it; a base on localhost or a
// loopback address needs nothing.
var ErrInsecureBase = errors.New("clarifaiauth: a plaintext API base off this machine needs interceptor.AllowInsecureTransport (through WithInterceptorOptions)")

// insecureBaseError is ErrInsecureBase for one base and its setting.
type insecureBaseError struct{ base, from string }

func (e *insecureBaseError) Error() string {
	return fmt.Sprintf("clarifaiauth: the API base %s (from %s) is plaintext to another machine, so the key would cross the network in clear: use https://, or allow it with interceptor.AllowInsecureTransport() through WithInterceptorOptions",
		e.base, e.from)
}

func (e *insecureBaseError) Unwrap() error { return ErrInsecureBase }

// transportCredentials returns TLS credentials with the system roots, or
// with the PEM bundle CLARIFAI_ROOT_CERTIFICATES_PATH names, or insecure
// credentials for a plaintext endpoint on this machine or that the
// interceptor options allow.
func transportCredentials(ctx context.Context, r settings.Resolved, icOpts []interceptor.Option) (credentials.TransportCredentials, error) {
	ep := r.Endpoint
	if ep.Plaintext {
		if ep.ClearOffHost() && !interceptor.AllowsInsecureTransport(icOpts...) {
			return nil, &insecureBaseError{base: ep.String(), from: r.APIBase.From}
		}
		return insecure.NewCredentials(), nil
	}
	roots, err := settings.RootCAs(ctx)
	if err != nil {
		return nil, err
	}
	return credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}), nil
}
