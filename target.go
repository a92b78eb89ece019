package clarifaiauth

import (
	"context"
	"crypto/tls"
	"fmt"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/grpc-keyauth/clarifaiauth/internal/icopts"
	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
	"github.com/grpc-keyauth/clarifaiauth/internal/transportsec"
)

// insecureBaseError refuses a plaintext API base off this machine that the
// interceptor options do not allow: the key would cross the network in clear.
type insecureBaseError struct{ base, from string }

func (e *insecureBaseError) Error() string {
	return fmt.Sprintf("clarifaiauth: the API base %s (from %s) is plaintext to another machine, so the key would cross the network in clear: use https://, or allow it with interceptor.AllowInsecureTransport() through WithInterceptorOptions",
		e.base, e.from)
}

func (e *insecureBaseError) Unwrap() error { return transportsec.ErrInsecureBase }

// transportCredentials returns TLS credentials with the system roots, or
// with the PEM bundle CLARIFAI_ROOT_CERTIFICATES_PATH names, or insecure
// credentials for a plaintext endpoint on this machine or that the
// interceptor options allow.
func transportCredentials(ctx context.Context, r settings.Resolved, ic icopts.Info) (credentials.TransportCredentials, error) {
	ep := r.Endpoint
	if ep.Plaintext {
		if ep.ClearOffHost() && !ic.AllowInsecure {
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
