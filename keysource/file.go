package keysource

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync/atomic"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/safefile"
	"golang.org/x/sync/singleflight"
)

// defaultFileRefreshInterval is how often a File source re-reads its file
// unless FileRefreshInterval says otherwise.
const defaultFileRefreshInterval = 30 * time.Second

// maxFileRetry caps the delay before a failed read is retried, so a rotation
// that briefly removes the file is picked up soon after it reappears.
const maxFileRetry = time.Second

// maxFileSize bounds what File reads: a secret is a few dozen bytes, and a
// path pointing at the wrong file must not pull megabytes into memory on the
// request path.
const maxFileSize = 16 << 10

// FileOption configures a File source.
type FileOption func(*fileOptions)

type fileOptions struct {
	interval time.Duration
	kind     Kind
	onError  func(error)
}

// FileRefreshInterval sets how long a key read from the file is used before
// the file is read again (default 30s). A d of zero or less keeps the
// default: re-reading on every call would put a system call
// on every RPC.
func FileRefreshInterval(d time.Duration) FileOption {
	return func(o *fileOptions) {
		if d > 0 {
			o.interval = d
		}
	}
}

// FileKind declares what the file holds (default KindKey: an API key or a
// PAT, which one unknown): KindAPIKey, KindPAT or KindSessionToken. An undefined kind makes
// every read fail with an error wrapping ErrInvalidKey.
func FileKind(k Kind) FileOption {
	return func(o *fileOptions) { o.kind = k }
}

// FileOnError sets a function called with the error of every failed read of
// the file, including those hidden from callers because the last good key
// keeps serving. It runs on the goroutine that did the read, one read at a
// time, before the callers waiting for the read are answered, so it should
// be quick (log, count) and must not block.
func FileOnError(fn func(error)) FileOption {
	return func(o *fileOptions) { o.onError = fn }
}

// FileSource is a Source that reads the secret from a file: a Kubernetes
// secret volume, a Docker secret. Make one with File.
//
// The whole file, with surrounding white space trimmed, is the secret. Only
// a regular file is read (symbolic links are followed), of at most 16 KiB: a
// FIFO, device, socket or directory is an error, and never blocks. The file
// is read by the first call to Key, then at most once per refresh interval:
// the first call to find the interval over starts the read, and it and the
// calls that arrive meanwhile share it (a few microseconds), each waiting no
// longer than its context allows. Between reads Key costs an atomic load and
// a clock reading: no system call, no lock, no allocation. There is no
// background goroutine, so there is nothing to close, and an idle source
// reads nothing.
//
// Re-reading the path follows every way a secret is rotated in place: an
// atomic rename over the file, and the symbolic-link swap Kubernetes makes
// in a secret volume (path → ..data/name, ..data → a timestamped directory
// replaced by rename). A call made more than one refresh interval after the
// rotation gets the new key.
//
// A FileSource is safe for concurrent use and must not be copied.
type FileSource struct {
	path     string
	kind     Kind
	interval time.Duration
	retry    time.Duration // delay before retrying a failed read
	onError  func(error)
	start    time.Time // deadlines are durations since start, on the monotonic clock

	// live is what changes; behind a pointer, so that fmt's %#v and other
	// reflection-based printers show an address instead of reading it
	// while another goroutine writes it.
	live *fileSourceLive
}

type fileSourceLive struct {
	state       atomic.Pointer[fileState] // nil until the first read ends
	reads       singleflight.Group
	invalidated rateLimit
}

// fileState is an immutable snapshot of what the file last gave; each read
// replaces it whole, so one atomic load sees a consistent key and deadline.
type fileState struct {
	key     Key           // the last good key; zero if there has never been one
	err     error         // returned while key is zero: why there is no key
	lastErr error         // what the last read failed with; nil after a success
	next    time.Duration // since FileSource.start: when the file may be read again
}

// File returns a Source that reads the secret from the file at path; see
// FileSource. File itself does no I/O, so a missing file is not an error
// until a key is asked for.
//
// Errors from Key name the path, never the content. Until a good key has
// been read, a missing file gives an error wrapping both ErrNoKey and
// fs.ErrNotExist, so a Chain moves on to its next source; any other read
// failure (permissions, a directory, a FIFO) gives an error that does not
// wrap ErrNoKey, so a Chain stops there; content that is not a valid key
// gives an error wrapping ErrInvalidKey. Such an error is cached: the read
// is retried no sooner than the refresh interval or one second, whichever is
// shorter. Once a good key has been read, a failed re-read (the file briefly
// absent during a rotation) does not reach callers: the last good key keeps
// being served, the failure goes to FileOnError and Err, and the read is
// retried after the same short delay.
func File(path string, opts ...FileOption) *FileSource {
	o := fileOptions{interval: defaultFileRefreshInterval, kind: KindKey}
	for _, opt := range opts {
		opt(&o)
	}
	return &FileSource{
		path:     path,
		kind:     o.kind,
		interval: o.interval,
		retry:    min(o.interval, maxFileRetry),
		onError:  o.onError,
		start:    time.Now(),
		live:     new(fileSourceLive),
	}
}

// Key returns the key read from the file, reading it first if this is the
// first call or the refresh interval is over. A call whose ctx ends while it
// waits for a read returns what the previous read gave, or, before the
// first read ends, ctx's error, wrapped.
func (f *FileSource) Key(ctx context.Context) (Key, error) {
	// time.Since reads only the monotonic clock, one vDSO call.
	if st := f.live.state.Load(); st != nil && time.Since(f.start) < st.next {
		return st.key, st.err
	}
	return f.refresh(ctx)
}

// refresh is Key's slow path: the first read, or a re-read when the cached
// state is stale.
func (f *FileSource) refresh(ctx context.Context) (Key, error) {
	prev := f.live.state.Load()
	if prev == nil {
		if err := ctx.Err(); err != nil {
			return Key{}, fmt.Errorf("keysource: file %s: %w", f.path, err)
		}
	}
	ch := f.live.reads.DoChan("", func() (any, error) { return f.load(), nil })
	select {
	case r := <-ch:
		st := r.Val.(*fileState)
		return st.key, st.err
	case <-ctx.Done():
		if prev != nil {
			return prev.key, prev.err
		}
		return Key{}, fmt.Errorf("keysource: file %s: %w", f.path, ctx.Err())
	}
}

// load reads the file, unless a read that ended since the caller looked
// already did, and publishes the outcome. Only one load runs at a time.
func (f *FileSource) load() *fileState {
	now := time.Since(f.start)
	st := f.live.state.Load()
	if st != nil && now < st.next {
		return st
	}
	k, err := f.read(st)
	next := &fileState{key: k, next: now + f.interval}
	if err != nil {
		next.lastErr = err
		next.next = now + f.retry
		if st != nil && !st.key.IsZero() {
			next.key = st.key
		} else {
			next.err = err
		}
	}
	if err != nil && f.onError != nil {
		f.onError(err)
	}
	f.live.state.Store(next)
	return next
}

// read reads and validates the file. prev, the state being replaced, lets
// an unchanged file keep its Key instead of allocating a new one.
func (f *FileSource) read(prev *fileState) (Key, error) {
	if f.path == "" {
		return Key{}, errors.New("keysource: file source with an empty path")
	}
	b, err := safefile.Read(f.path, maxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Key{}, fmt.Errorf("%w: file %s: %w", ErrNoKey, f.path, err)
	case errors.Is(err, safefile.ErrTooLarge):
		return Key{}, fmt.Errorf("%w: file %s: %w", ErrInvalidKey, f.path, err)
	case err != nil:
		return Key{}, fmt.Errorf("keysource: file %s: %w", f.path, err)
	}
	if prev != nil && !prev.key.IsZero() && prev.key.kind == f.kind && trimSecret(string(b)) == prev.key.Secret() {
		return prev.key, nil
	}
	k, err := NewKey(f.kind, string(b))
	if err != nil {
		return Key{}, fmt.Errorf("keysource: file %s: %w", f.path, err)
	}
	return k, nil
}

// Err returns the error of the last read of the file, or nil if it
// succeeded or the file has not been read yet. It reports a failure that Key
// hides because the last good key is still being served. It is safe for
// concurrent use and costs an atomic load.
func (f *FileSource) Err() error {
	if st := f.live.state.Load(); st != nil {
		return st.lastErr
	}
	return nil
}

// Invalidate tells the source that the server rejected k. If k is the key
// the source serves, the next call to Key reads the file again instead of
// waiting for the refresh interval. It is rate-limited: at most once per 5
// seconds per source; other calls, and keys the source no longer serves,
// are ignored. It does not block.
func (f *FileSource) Invalidate(k Key) {
	st := f.live.state.Load()
	if st == nil || k.IsZero() || !st.key.Equal(k) || !f.live.invalidated.allow(time.Since(f.start)) {
		return
	}
	next := *st
	next.next = 0
	f.live.state.CompareAndSwap(st, &next)
}

// String describes the source by its path ("file /run/secrets/clarifai"),
// never its content.
func (f *FileSource) String() string { return "file " + f.path }
