package settings

import (
	"strings"
	"testing"
)

func TestParseAPIBase(t *testing.T) {
	for _, tt := range []struct {
		base, target string
		plaintext    bool
		wantErr      bool
	}{
		{base: "https://api.clarifai.com", target: "api.clarifai.com:443"},
		{base: "https://api.clarifai.com/", target: "api.clarifai.com:443"},
		{base: " https://api.clarifai.com\n", target: "api.clarifai.com:443"},
		{base: "https://api-dev.clarifai.com:8443", target: "api-dev.clarifai.com:8443"},
		{base: "https://[::1]:8443", target: "[::1]:8443"},
		{base: "http://127.0.0.1:18080", target: "127.0.0.1:18080", plaintext: true},
		{base: "http://localhost", wantErr: true},
		{base: "api.clarifai.com", target: "api.clarifai.com:443"},
		{base: "api.clarifai.com:8443", target: "api.clarifai.com:8443"},
		{base: "127.0.0.1:8080", target: "127.0.0.1:8080", plaintext: true},
		{base: "[::1]:8080", target: "[::1]:8080", plaintext: true},
		{base: "localhost:8080", target: "localhost:8080", plaintext: true},
		{base: "localhost", wantErr: true},
		{base: "https://localhost:8443", target: "localhost:8443"},
		{base: "10.0.0.1:8080", target: "10.0.0.1:8080"},
		{base: "grpc://api.clarifai.com", wantErr: true},
		{base: "https://user:secret@api.clarifai.com", wantErr: true},
		{base: "https://api.clarifai.com/v2", wantErr: true},
		{base: "https://api.clarifai.com?x=1", wantErr: true},
		{base: "", wantErr: true},
		{base: "https://[fe80::1%25eth0]:443", wantErr: true},
	} {
		ep, err := ParseAPIBase(tt.base)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseAPIBase(%q) = %+v, want an error", tt.base, ep)
			} else if strings.Contains(err.Error(), "secret") {
				t.Errorf("ParseAPIBase(%q) error quotes the base: %v", tt.base, err)
			}
			continue
		}
		if err != nil || ep.Addr() != tt.target || ep.Plaintext != tt.plaintext {
			t.Errorf("ParseAPIBase(%q) = %+v, %v; want %s plaintext=%v", tt.base, ep, err, tt.target, tt.plaintext)
		}
	}
}

// A host named like a gRPC resolver scheme is dialled as a host: the
// target names the dns resolver, so gRPC never reads "unix:8080" as the
// unix socket ./8080 or "passthrough:443" as a passthrough target, and the
// TLS name is the host itself.
func TestHostNamedLikeAResolverSchemeIsAHost(t *testing.T) {
	for _, base := range []string{
		"http://unix:8080", "https://unix:443", "unix:443", "https://unix-abstract:443",
		"http://passthrough:80", "https://dns:443", "https://xds:443", "https://localhost:443", "localhost:80",
	} {
		ep, err := ParseAPIBase(base)
		if err != nil {
			t.Fatalf("ParseAPIBase(%q): %v", base, err)
		}
		host, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://"), ":")
		if want := "dns:///" + host + ":" + ep.Port; ep.Target() != want {
			t.Errorf("ParseAPIBase(%q).Target() = %q, want %q", base, ep.Target(), want)
		}
	}
}
