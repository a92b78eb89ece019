package keysource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"time"
)

// DefaultFileRefreshInterval is how often a File source re-reads its file
// unless FileRefreshInterval says otherwise.
const DefaultFileRefreshInterval = 30 * time.Second

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
// the file is read again (default DefaultFileRefreshInterval). A d of zero or
// less keeps the default: re-reading on every call would put a system call
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
// keeps serving. It runs on the goroutine of the Key call that did the read,
// one call at a time, so it should be quick (log, count) and must not block.
func FileOnError(fn func(error)) FileOption {
	return func(o *fileOptions) { o.onError = fn }
}

// FileSource is a Source that reads the secret from a file: a Kubernetes
// secret volume, a Docker secret. Make one with File.
//
// The whole file, with surrounding white space trimmed, is the secret. The
// file is read by the first call to Key, then at most once per refresh
// interval, by whichever call first finds the interval over; that call reads
// the file inline (a few microseconds) while concurrent calls keep getting
// the cached key. Between reads Key costs an atomic load and a clock reading:
// no system call, no lock, no allocation. There is no background goroutine,
// so there is nothing to close, and an idle source reads nothing.
//
// Re-reading the path follows every way a secret is rotated in place: an
// atomic rename over the file, and the symbolic-link swap Kubernetes makes
// in a secret volume (path → ..data/name, ..data → a timestamped directory
// replaced by rename). A call made more than one refresh interval after the
// rotation gets the new key, except a call that overlaps the read that picks
// the rotation up, which gets the previous key.
//
// A FileSource is safe for concurrent use and must not be copied.
type FileSource struct {
	path     string
	kind     Kind
	interval time.Duration
	retry    time.Duration // delay before retrying a failed read
	onError  func(error)
	start    time.Time // deadlines are durations since start, on the monotonic clock

	state   atomic.Pointer[fileState] // nil until the first read ends
	loading atomic.Bool               // held by the one call reading the file
	ready   chan struct{}             // closed when state is first set
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
// failure (permissions, a directory) gives an error that does not wrap
// ErrNoKey, so a Chain stops there; content that is not a valid key gives an
// error wrapping ErrInvalidKey. Such an error is cached: the read is retried
// no sooner than the refresh interval or one second, whichever is shorter.
// Once a good key has been read, a failed re-read (the file briefly absent
// during a rotation) does not reach callers: the last good key keeps being
// served, the failure goes to FileOnError and Err, and the read is retried
// after the same short delay.
func File(path string, opts ...FileOption) *FileSource {
	o := fileOptions{interval: DefaultFileRefreshInterval, kind: KindKey}
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
		ready:    make(chan struct{}),
	}
}

// Key returns the key read from the file, reading it first if this is the
// first call or the refresh interval is over. If ctx is done before the
// first read, Key returns ctx's error, wrapped; after that, reads are too
// short to be worth cancelling and ctx is not consulted.
func (f *FileSource) Key(ctx context.Context) (Key, error) {
	// time.Since reads only the monotonic clock, one vDSO call.
	if st := f.state.Load(); st != nil && time.Since(f.start) < st.next {
		return st.key, st.err
	}
	return f.refresh(ctx)
}

// refresh is Key's slow path: the first read, or a re-read when the cached
// state is stale.
func (f *FileSource) refresh(ctx context.Context) (Key, error) {
	st := f.state.Load()
	if st == nil {
		if err := ctx.Err(); err != nil {
			return Key{}, fmt.Errorf("keysource: file %s: %w", f.path, err)
		}
	}
	if !f.loading.CompareAndSwap(false, true) {
		// Another call is reading the file. Serve what is cached; before
		// the first read ends there is nothing, so wait for it.
		if st != nil {
			return st.key, st.err
		}
		select {
		case <-f.ready:
			st = f.state.Load()
			return st.key, st.err
		case <-ctx.Done():
			return Key{}, fmt.Errorf("keysource: file %s: %w", f.path, ctx.Err())
		}
	}
	defer f.loading.Store(false)

	// The call that held the flag before may have read the file since this
	// call loaded the state; reading again would break "once per interval".
	now := time.Since(f.start)
	st = f.state.Load()
	if st != nil && now < st.next {
		return st.key, st.err
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
	f.state.Store(next)
	if st == nil {
		close(f.ready)
	}
	if err != nil && f.onError != nil {
		f.onError(err)
	}
	return next.key, next.err
}

// read reads and validates the file. prev, the state being replaced, lets
// an unchanged file keep its Key instead of allocating a new one.
func (f *FileSource) read(prev *fileState) (Key, error) {
	if f.path == "" {
		return Key{}, errors.New("keysource: file source with an empty path")
	}
	b, err := readLimited(f.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Key{}, fmt.Errorf("%w: file %s: %w", ErrNoKey, f.path, err)
	case err != nil:
		return Key{}, fmt.Errorf("keysource: file %s: %w", f.path, err)
	}
	if prev != nil && !prev.key.IsZero() && prev.key.kind == f.kind && string(bytes.TrimSpace(b)) == prev.key.Secret() {
		return prev.key, nil
	}
	k, err := NewKey(f.kind, string(b))
	if err != nil {
		return Key{}, fmt.Errorf("keysource: file %s: %w", f.path, err)
	}
	return k, nil
}

// readLimited reads the file at path, refusing one larger than maxFileSize.
func readLimited(path string) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("%w: file larger than %d bytes", ErrInvalidKey, maxFileSize)
	}
	return b, nil
}

// Err returns the error of the last read of the file, or nil if it
// succeeded or the file has not been read yet. It reports a failure that Key
// hides because the last good key is still being served. It is safe for
// concurrent use and costs an atomic load.
func (f *FileSource) Err() error {
	if st := f.state.Load(); st != nil {
		return st.lastErr
	}
	return nil
}

// String describes the source by its path ("file /run/secrets/clarifai"),
// never its content.
func (f *FileSource) String() string { return "file " + f.path }
