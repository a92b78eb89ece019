package settings

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/grpc-keyauth/clarifaiauth/internal/safefile"
)

// EnvRootCertificates names a PEM bundle of CA certificates to trust instead
// of the system's, as in Clarifai's Python SDK.
const EnvRootCertificates = "CLARIFAI_ROOT_CERTIFICATES_PATH"

// maxRootCertificates bounds the PEM bundle: a bundle of every public CA is
// about 250 KiB.
const maxRootCertificates = 4 << 20

// RootCAs returns the CA certificates of the bundle that
// CLARIFAI_ROOT_CERTIFICATES_PATH names, or nil (the system's roots) when it
// is unset. The bundle must be a regular file of at most 4 MiB holding at
// least one PEM certificate; reading it never holds the caller past ctx or
// ReadTimeout.
func RootCAs(ctx context.Context) (*x509.CertPool, error) {
	path := os.Getenv(EnvRootCertificates)
	if path == "" {
		return nil, nil
	}
	return readRoots(ctx, path)
}

func readRoots(ctx context.Context, path string) (*x509.CertPool, error) {
	pem, err := Bounded(ctx, func(ctx context.Context) ([]byte, error) {
		return safefile.Read(ctx, path, maxRootCertificates)
	})
	if err != nil {
		return nil, fmt.Errorf("clarifaiauth: %s: %w", EnvRootCertificates, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("clarifaiauth: %s: no PEM certificate in the file", EnvRootCertificates)
	}
	return pool, nil
}
