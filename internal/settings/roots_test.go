package settings

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

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
		if _, err := readRoots(context.Background(), path); err == nil || !strings.Contains(err.Error(), EnvRootCertificates) {
			t.Errorf("%s: err = %v, want an error naming %s", name, err, EnvRootCertificates)
		}
	}
}
