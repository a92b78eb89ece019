// Package safefile reads small files that hold secrets or settings without
// trusting what is at the path: only regular files of bounded size, never
// blocking on a FIFO or device, and never holding a caller past its context.
// It is shared by every part of the module that reads such a file (key
// files, the Clarifai CLI's config, certificate bundles, descriptor sets).
package safefile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"

	"github.com/grpc-keyauth/clarifaiauth/internal/cache"
)

var (
	// ErrTooLarge means the file is larger than the limit it was read with.
	ErrTooLarge = errors.New("file too large")
	// ErrNotRegular means the path is a directory, FIFO, socket or device.
	ErrNotRegular = errors.New("not a regular file")
	// ErrHung means an earlier read of the same file was given up because
	// it did not return in time, and it still has not.
	ErrHung = errors.New("an earlier read of the file has not returned")
)

// Read reads the file at path, following symbolic links, if it is a
// regular file of at most limit bytes. A FIFO, device, socket or directory
// gives an error that says which, without blocking; a larger file an error
// that gives the limit, without reading it.
//
// Read returns when ctx is done, with ctx's error, even if the read itself
// hangs (a file that stats as regular but blocks, a hung network mount).
// Concurrent reads of one file share one read. Until a read that a caller
// gave up on returns, further reads of that file fail at once with an
// error wrapping ErrHung, and so do reads of any new path while 8 reads
// given up on hang, so hung reads cannot pile up (symbolic links to one
// blocking file included).
//
// Errors do not repeat path (callers name it) and wrap the system's error
// (fs.ErrNotExist, fs.ErrPermission) where there is one.
func Read(ctx context.Context, path string, limit int64) ([]byte, error) {
	b, err := reads.Get(ctx, readID{path, limit}, func(context.Context) ([]byte, error) {
		return run(path, limit)
	})
	switch {
	case errors.Is(err, cache.ErrTooManyAbandoned):
		return nil, errTooManyHung
	case errors.Is(err, cache.ErrAbandoned):
		return nil, ErrHung
	}
	return bytes.Clone(b), err
}

// readID names one shared read: a file and a limit.
type readID struct {
	path  string
	limit int64
}

// reads shares the reads in progress, one per file and limit, and keeps
// nothing once they end. A read a caller gave up on fails later readers of
// that file at once until it returns; while maxHung such reads hang, so do
// reads of any new file.
var reads = cache.New(cache.Options[readID, []byte]{FailAbandoned: true, MaxAbandoned: maxHung})

// maxHung bounds the reads given up on that may still hang, whatever their
// paths.
const maxHung = 8

var errTooManyHung = fmt.Errorf("%w (%d reads of files given up on still hang)", ErrHung, maxHung)

// testHookRead, when set, runs at the start of every read, on the goroutine
// that reads; tests use it to make a read block.
var testHookRead func(path string)

// hung holds the paths HangForTest makes hang, each with its gate.
var hung sync.Map // path → *hang

type hang struct {
	gate    chan struct{}
	started atomic.Int32
}

// HangForTest makes every read of path that starts from now on hang, as
// on a stuck network mount, until release is called, and counts the reads
// started. It lets tests of the module's commands and constructors prove
// that their reads are bounded, or not made.
func HangForTest(path string) (started func() int, release func()) {
	h := &hang{gate: make(chan struct{})}
	hung.Store(path, h)
	var once sync.Once
	return func() int { return int(h.started.Load()) }, func() {
		once.Do(func() {
			hung.Delete(path)
			close(h.gate)
		})
	}
}

// run is one read, on a goroutine of its own.
func run(path string, limit int64) ([]byte, error) {
	if testHookRead != nil {
		testHookRead(path)
	}
	if h, ok := hung.Load(path); ok {
		h.(*hang).started.Add(1)
		<-h.(*hang).gate
	}
	return readFile(path, limit)
}

// readFile does the reading. The path is checked before it is opened,
// opened without blocking (a FIFO with no writer would otherwise block the
// open), and checked again on the open descriptor, so a swap between the
// two checks is caught too.
func readFile(path string, limit int64) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	if err := regular(info, limit); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	info, err = f.Stat()
	if err != nil {
		return nil, unwrapPath(err)
	}
	if err := regular(info, limit); err != nil {
		return nil, err
	}
	// The size can change between Stat and the read: read one byte past the
	// limit to notice a file that grew.
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, unwrapPath(err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

// regular refuses anything but a regular file of at most limit bytes.
func regular(info fs.FileInfo, limit int64) error {
	m := info.Mode()
	var what string
	switch {
	case m.IsRegular():
		if info.Size() > limit {
			return fmt.Errorf("%w: larger than %d bytes (%d)", ErrTooLarge, limit, info.Size())
		}
		return nil
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a device"
	default:
		what = "not a regular file"
	}
	return fmt.Errorf("%w: %s", ErrNotRegular, what)
}

// unwrapPath drops the path an *fs.PathError repeats, keeping its operation
// and its cause for errors.Is.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
