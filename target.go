package clarifaiauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/grpc-keyauth/clarifaiauth/internal/safefile"
)

// envRootCertificates names a PEM bundle of CA certificates to trust instead
// of the system's, as in Clarifai's Python SDK.
const envRootCertificates = "CLARIFAI_ROOT_CERTIFICATES_PATH"

// ErrInsecureBase means the API base asks for plaintext ("http://") and the
// caller did not allow it with AllowInsecure: the key would travel in clear.
var ErrInsecureBase = errors.New("clarifaiauth: plaintext API base needs AllowInsecure")

// maxRootCertificates bounds the PEM bundle read from
// CLARIFAI_ROOT_CERTIFICATES_PATH: a bundle of every public CA is ~250 KiB.
const maxRootCertificates = 4 << 20

// endpoint is a parsed API base: where to dial and how.
type endpoint struct {
	target    string // host:port for grpc.NewClient
	plaintext bool
}

// parseAPIBase turns an API base such as "https://api.clarifai.com" into a
// gRPC target. https://host[:port], or a bare host[:port], dials host:443
// (or port) over TLS; http://host:port dials in plaintext. Anything else is
// an error. The base
// comes from configuration, so the error quotes at most its scheme.
func parseAPIBase(base string) (endpoint, error) {
	base = strings.TrimSpace(base)
	if base != "" && !strings.Contains(base, "://") {
		base = "https://" + base // a bare host[:port], as Clarifai's SDKs take it
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return endpoint{}, fmt.Errorf("clarifaiauth: API base must look like https://host[:port] or http://host:port")
	}
	host, port := u.Hostname(), u.Port()
	switch u.Scheme {
	case "https":
		if port == "" {
			port = "443"
		}
		return endpoint{target: net.JoinHostPort(host, port)}, nil
	case "http":
		if port == "" {
			return endpoint{}, fmt.Errorf("clarifaiauth: a plaintext API base needs an explicit port (http://host:port)")
		}
		return endpoint{target: net.JoinHostPort(host, port), plaintext: true}, nil
	}
	return endpoint{}, fmt.Errorf("clarifaiauth: API base scheme must be https or http, not %.10q", u.Scheme)
}

// transportCredentials returns TLS credentials with the system roots, or
// with the PEM bundle at rootsPath when it is not empty, or insecure
// credentials for a plaintext endpoint that the caller allowed.
func transportCredentials(ep endpoint, allowInsecure bool, rootsPath string) (credentials.TransportCredentials, error) {
	if ep.plaintext {
		if !allowInsecure {
			return nil, ErrInsecureBase
		}
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if rootsPath != "" {
		pool, err := readRoots(rootsPath)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return credentials.NewTLS(cfg), nil
}

// readRoots reads a PEM bundle of CA certificates: a regular file of at most
// maxRootCertificates bytes holding at least one certificate.
func readRoots(path string) (*x509.CertPool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	pem, err := safefile.Read(ctx, path, maxRootCertificates)
	if err != nil {
		return nil, fmt.Errorf("clarifaiauth: %s: %w", envRootCertificates, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("clarifaiauth: %s: no PEM certificate in the file", envRootCertificates)
	}
	return pool, nil
}
