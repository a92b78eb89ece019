package clarifaiauth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
		{base: "grpc://api.clarifai.com", wantErr: true},
		{base: "https://user:secret@api.clarifai.com", wantErr: true},
		{base: "https://api.clarifai.com/v2", wantErr: true},
		{base: "https://api.clarifai.com?x=1", wantErr: true},
		{base: "", wantErr: true},
	} {
		ep, err := parseAPIBase(tt.base)
		if tt.wantErr {
			if err == nil {
				t.Errorf("parseAPIBase(%q) = %+v, want an error", tt.base, ep)
			} else if strings.Contains(err.Error(), "secret") {
				t.Errorf("parseAPIBase(%q) error quotes the base: %v", tt.base, err)
			}
			continue
		}
		if err != nil || ep.target != tt.target || ep.plaintext != tt.plaintext {
			t.Errorf("parseAPIBase(%q) = %+v, %v; want %s plaintext=%v", tt.base, ep, err, tt.target, tt.plaintext)
		}
	}
}

func TestPlaintextNeedsOptIn(t *testing.T) {
	ep := endpoint{target: "127.0.0.1:1", plaintext: true}
	if _, err := transportCredentials(ep, false, ""); !errors.Is(err, ErrInsecureBase) {
		t.Errorf("plaintext without opt-in: err = %v, want ErrInsecureBase", err)
	}
	creds, err := transportCredentials(ep, true, "")
	if err != nil || creds.Info().SecurityProtocol != "insecure" {
		t.Errorf("plaintext with opt-in: %v, %v", creds, err)
	}
	creds, err = transportCredentials(endpoint{target: "h:443"}, false, "")
	if err != nil || creds.Info().SecurityProtocol != "tls" {
		t.Errorf("https: %v, %v; want TLS", creds, err)
	}
}

func TestReadRootsRefusesWhatIsNotABundle(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, []byte("not a certificate"), 0o600)
	huge := filepath.Join(dir, "huge.pem")
	f, _ := os.Create(huge)
	f.Truncate(maxRootCertificates + 10) // sparse: no disk used
	f.Close()
	for name, path := range map[string]string{
		"FIFO (would block a plain open)": fifo,
		"directory":                       dir,
		"no certificate":                  empty,
		"too large":                       huge,
		"missing":                         filepath.Join(dir, "absent"),
	} {
		if _, err := readRoots(path); err == nil || !strings.Contains(err.Error(), envRootCertificates) {
			t.Errorf("%s: err = %v, want an error naming %s", name, err, envRootCertificates)
		}
	}
}
