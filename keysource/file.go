package keysource

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/safefile"
)

// defaultFileRefreshInterval is how often File reads its file again.
const defaultFileRefreshInterval = 30 * time.Second

// maxFileSize bounds what File reads: a secret is a few dozen bytes.
const maxFileSize = 16 << 10

// readFile reads a file for File and ClarifaiConfig; tests replace it.
var readFile = safefile.Read

// File returns a Source that reads the secret from the file at path, such
// as a Kubernetes or Docker secret: the whole file, white space trimmed, as
// a KindKey, or the Kind given among opts. Only a regular file of at most
// 16 KiB is read; a FIFO, device or directory is an error.
//
// The file is read at the first Key, then again once per RefreshInterval
// (default 30s), following a rename over the file and the symbolic-link swap
// of a Kubernetes secret volume. While a re-read fails, the last good key
// keeps serving (see Grace) and the failure goes to OnError. File starts no
// goroutine that outlives a read, and does no I/O until Key is called.
//
// Errors name the path, never the content. A missing file gives an error
// wrapping ErrNoKey and fs.ErrNotExist, so a Chain moves on; an unreadable
// one an error that does not wrap ErrNoKey; content that is not a valid key
// an error wrapping ErrInvalidKey. The source implements Invalidator.
func File(path string, opts ...Option) Source {
	o := options{kind: KindKey}
	for _, opt := range opts {
		opt.apply(&o)
	}
	f := &fileSource{path: path, kind: o.kind}
	f.r = newRefresher(f.String, f.fetch, o, defaultFileRefreshInterval, forever, true)
	return f
}

type fileSource struct {
	path string
	kind Kind
	r    *refresher
}

func (f *fileSource) Key(ctx context.Context) (Key, error) { return f.r.Key(ctx) }

func (f *fileSource) Invalidate(k Key) { f.r.Invalidate(k) }

// String describes the source by its path, never its content.
func (f *fileSource) String() string { return "file " + f.path }

// fetch reads and validates the file. A read failure keeps the last good
// key serving; an unchanged file keeps its Key instead of making a new one.
func (f *fileSource) fetch(ctx context.Context, last *state) fetched {
	if f.path == "" {
		return fetched{err: errors.New("keysource: file source with an empty path"), failed: true}
	}
	b, err := readFile(ctx, f.path, maxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fetched{err: fmt.Errorf("%w: file %s: %w", ErrNoKey, f.path, err), failed: true}
	case errors.Is(err, safefile.ErrTooLarge):
		return fetched{err: fmt.Errorf("%w: file %s: %w", ErrInvalidKey, f.path, err), failed: true}
	case err != nil:
		return fetched{err: fmt.Errorf("keysource: file %s: %w", f.path, err), failed: true}
	}
	if last != nil && !last.key.IsZero() && last.key.kind == f.kind && trimSecret(string(b)) == last.key.Secret() {
		return fetched{key: last.key}
	}
	k, err := NewKey(f.kind, string(b))
	if err != nil {
		return fetched{err: fmt.Errorf("keysource: file %s: %w", f.path, err), failed: true}
	}
	return fetched{key: k}
}
