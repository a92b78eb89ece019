package clarifaiauth

import (
	"context"
	"crypto/tls"
	"errors"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
)

// ErrInsecureBase means the API base asks for plaintext ("http://") and the
// interceptor options do not allow it: the key would travel in clear.
// Give interceptor.AllowInsecureTransport() through WithInterceptorOptions
// for a local server or a test.
var ErrInsecureBase = errors.New("clarifaiauth: a plaintext API base needs interceptor.AllowInsecureTransport (through WithInterceptorOptions)")

// transportCredentials returns TLS credentials with the system roots, or
// with the PEM bundle CLARIFAI_ROOT_CERTIFICATES_PATH names, or insecure
// credentials for a plaintext endpoint that the interceptor options allow.
func transportCredentials(ctx context.Context, ep settings.Endpoint, icOpts []interceptor.Option) (credentials.TransportCredentials, error) {
	if ep.Plaintext {
		if !interceptor.AllowsInsecureTransport(icOpts...) {
			return nil, ErrInsecureBase
		}
		return insecure.NewCredentials(), nil
	}
	roots, err := settings.RootCAs(ctx)
	if err != nil {
		return nil, err
	}
	return credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}), nil
}
