//go:build unix

package main

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
)

// TestFIFOsDoNotBlock: a -key-file or -protoset that is a FIFO with no
// writer is refused at once with a clear error, well within -timeout.
func TestAttackFIFO(t *testing.T) {
	clean(t)
	_, addr := startFake(t)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"-key-file", []string{"-addr", addr, "-insecure", "-key-file", fifo}},
		{"-protoset", []string{"-addr", addr, "-insecure", "-protoset", fifo, "-method", "PostInputs"}},
		{"-least -protoset", []string{"-least", "-protoset", fifo, "-method", "PostInputs"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			code, stdout, stderr := kc(t, nil, append(tc.args, "-timeout", "500ms")...)
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("took %v with -timeout 500ms", elapsed)
			}
			if code != exitError || stdout != "" {
				t.Errorf("exit %d, stdout %q", code, stdout)
			}
			if !strings.Contains(stderr, tc.name[strings.LastIndexByte(tc.name, '-'):]) || !strings.Contains(stderr, "not a regular file") {
				t.Errorf("stderr does not say which file is not regular:\n%s", stderr)
			}
		})
	}
}

// TestTimeoutHungServer: a server that never answers MyScopes is given up on
// after -timeout, with exit status 2.
func TestAttackHungServers(t *testing.T) {
	clean(t)
	srv, addr := startFake(t)
	t.Setenv("CLARIFAI_PAT", fakePAT)
	srv.SetReply("/clarifai.api.V2/MyScopes", func(ctx context.Context, _ proto.Message) ([]proto.Message, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	start := time.Now()
	code, stdout, stderr := kc(t, nil, "-addr", addr, "-insecure", "-user", "u", "-timeout", "300ms", "-json")
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %v with -timeout 300ms", elapsed)
	}
	if code != exitError || stderr != "" {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var f jsonFailure
	decodeStrict(t, stdout, &f)
	if f.Exit != exitError || !strings.Contains(f.Error, "DeadlineExceeded") {
		t.Errorf("got %+v", f)
	}
}
