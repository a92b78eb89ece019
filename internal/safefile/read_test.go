//go:build unix

package safefile

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// specialFiles makes one of each thing that is not a regular file, and a
// symbolic link to each, in a new directory; it returns path → what the
// error must say.
func specialFiles(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	want := map[string]string{}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	want[fifo] = "named pipe"
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	want[sock] = "socket"
	sub := filepath.Join(dir, "dir")
	os.Mkdir(sub, 0o700)
	want[sub] = "directory"
	want["/dev/zero"] = "character device"
	want["/dev/null"] = "character device"
	sparse := filepath.Join(dir, "sparse")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	want[sparse] = "larger than"
	for p, w := range map[string]string{fifo: "named pipe", sock: "socket", sub: "directory", "/dev/zero": "character device", sparse: "larger than"} {
		link := filepath.Join(dir, "link-to-"+filepath.Base(p))
		if err := os.Symlink(p, link); err != nil {
			t.Fatal(err)
		}
		want[link] = w
	}
	return want
}

func TestReadRefusesWhatIsNotARegularFile(t *testing.T) {
	for path, what := range specialFiles(t) {
		done := make(chan error, 1)
		go func() {
			_, err := Read(context.Background(), path, 256<<10)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), what) {
				t.Errorf("Read(%s) = %v, want an error saying %q", path, err, what)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Read(%s) blocked", path)
		}
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("hello"), 0o600)
	if b, err := Read(context.Background(), p, 5); err != nil || string(b) != "hello" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	if _, err := Read(context.Background(), p, 4); err == nil || !strings.Contains(err.Error(), "larger than 4 bytes") {
		t.Errorf("ReadFile over the limit: %v", err)
	}
	_, err := Read(context.Background(), filepath.Join(dir, "absent"), 5)
	if !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), dir) {
		t.Errorf("ReadFile of a missing file: %v; want fs.ErrNotExist without the path", err)
	}
}
