package clarifaiauth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/icopts"
	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
	"github.com/grpc-keyauth/clarifaiauth/internal/transportsec"
)

// TestPlaintextNeedsOptInOffThisMachine: plaintext to another machine needs
// AllowInsecureTransport, and the refusal names the setting and the base;
// plaintext to this machine (localhost, 127.0.0.0/8, ::1) needs nothing.
func TestPlaintextNeedsOptInOffThisMachine(t *testing.T) {
	ctx := context.Background()
	resolved := func(host string, plaintext bool) settings.Resolved {
		return settings.Resolved{
			APIBase:  settings.Value{Value: "x", From: "$CLARIFAI_API_BASE"},
			Endpoint: settings.Endpoint{Host: host, Port: "8080", Plaintext: plaintext},
		}
	}
	for _, host := range []string{"10.0.0.5", "example.com", "localhost.example.com", "0.0.0.0", "::"} {
		_, err := transportCredentials(ctx, resolved(host, true), icopts.Info{})
		if !errors.Is(err, transportsec.ErrInsecureBase) || !strings.Contains(err.Error(), "$CLARIFAI_API_BASE") ||
			!strings.Contains(err.Error(), "http://"+settings.Endpoint{Host: host, Port: "8080"}.Addr()) {
			t.Errorf("plaintext to %s without opt-in: err = %v, want transportsec.ErrInsecureBase naming the setting and the base", host, err)
		}
		creds, err := transportCredentials(ctx, resolved(host, true), icopts.Read([]interceptor.Option{interceptor.AllowInsecureTransport()}))
		if err != nil || creds.Info().SecurityProtocol != "insecure" {
			t.Errorf("plaintext to %s with opt-in: %v, %v", host, creds, err)
		}
	}
	for _, host := range []string{"127.0.0.1", "127.1.2.3", "::1", "localhost", "LocalHost."} {
		creds, err := transportCredentials(ctx, resolved(host, true), icopts.Info{})
		if err != nil || creds.Info().SecurityProtocol != "insecure" {
			t.Errorf("plaintext to %s (this machine): %v, %v; want it allowed", host, creds, err)
		}
	}
	creds, err := transportCredentials(ctx, resolved("h", false), icopts.Info{})
	if err != nil || creds.Info().SecurityProtocol != "tls" {
		t.Errorf("https: %v, %v; want TLS", creds, err)
	}
}
