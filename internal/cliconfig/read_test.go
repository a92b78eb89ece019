//go:build unix

package cliconfig

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

func TestReadFileRefusesWhatIsNotARegularFile(t *testing.T) {
	for path, what := range specialFiles(t) {
		done := make(chan error, 1)
		go func() {
			_, err := ReadFile(path, MaxSize)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), what) {
				t.Errorf("ReadFile(%s) = %v, want an error saying %q", path, err, what)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("ReadFile(%s) blocked", path)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("hello"), 0o600)
	if b, err := ReadFile(p, 5); err != nil || string(b) != "hello" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	if _, err := ReadFile(p, 4); err == nil || !strings.Contains(err.Error(), "larger than 4 bytes") {
		t.Errorf("ReadFile over the limit: %v", err)
	}
	_, err := ReadFile(filepath.Join(dir, "absent"), 5)
	if !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), dir) {
		t.Errorf("ReadFile of a missing file: %v; want fs.ErrNotExist without the path", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config")
	os.WriteFile(p, []byte("current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: "+pat+"\n    CLARIFAI_USER_ID: alice\n    CLARIFAI_APP_ID: ENVVAR\n  b:\n    CLARIFAI_API_BASE: https://b\n"), 0o600)
	t.Setenv(EnvAppID, "app-from-env")
	s, err := Load(context.Background(), p, "")
	if want := (Settings{UserID: "alice", AppID: "app-from-env"}); err != nil || s != want {
		t.Errorf("Load = %+v, %v; want %+v", s, err, want)
	}
	if s, err := Load(context.Background(), p, "b"); err != nil || s.APIBase != "https://b" {
		t.Errorf("Load(b) = %+v, %v", s, err)
	}
	if _, err := Load(context.Background(), p, "c"); !errors.Is(err, ErrNoContext) || !strings.Contains(err.Error(), p) {
		t.Errorf("Load(c): %v", err)
	}
	if _, err := Load(context.Background(), filepath.Join(dir, "absent"), ""); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, p, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a done context: %v", err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	if got, err := DefaultPath(); err != nil || got != filepath.Join(home, ".config", "clarifai", "config") {
		t.Errorf("DefaultPath = %q, %v", got, err)
	}
}
