//go:build unix

package cliconfig

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
