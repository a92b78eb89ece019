package clarifaiauth

import (
	"context"
	"errors"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
)

func TestPlaintextNeedsOptIn(t *testing.T) {
	ctx := context.Background()
	ep := settings.Endpoint{Host: "127.0.0.1", Port: "1", Plaintext: true}
	if _, err := transportCredentials(ctx, ep, nil); !errors.Is(err, ErrInsecureBase) {
		t.Errorf("plaintext without opt-in: err = %v, want ErrInsecureBase", err)
	}
	creds, err := transportCredentials(ctx, ep, []interceptor.Option{interceptor.AllowInsecureTransport()})
	if err != nil || creds.Info().SecurityProtocol != "insecure" {
		t.Errorf("plaintext with opt-in: %v, %v", creds, err)
	}
	creds, err = transportCredentials(ctx, settings.Endpoint{Host: "h", Port: "443"}, nil)
	if err != nil || creds.Info().SecurityProtocol != "tls" {
		t.Errorf("https: %v, %v; want TLS", creds, err)
	}
}
