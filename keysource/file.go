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

// File returns a Source that reads the secret from the file at path (a
// mounted Kubernetes or Docker secret), white space trimmed, as a KindKey or
// the Kind among opts. It reads again once per RefreshInterval (default
// 30s), keeping the last good key while a read fails; a missing file wraps
// ErrNoKey. See docs/client.md.
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
