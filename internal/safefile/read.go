// Package safefile reads small files that hold secrets or settings without
// trusting what is at the path: only regular files of bounded size, never
// blocking on a FIFO or device. It is shared by every part of the module
// that reads such a file (key files, the Clarifai CLI's config, certificate
// bundles).
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

var (
	// ErrTooLarge means the file is larger than the limit it was read with.
	ErrTooLarge = errors.New("file too large")
	// ErrNotRegular means the path is a directory, FIFO, socket or device.
	ErrNotRegular = errors.New("not a regular file")
)

// Read reads the file at path, following symbolic links, if it is a
// regular file of at most limit bytes. It never blocks on what is not a
// regular file: the path is checked before it is opened, opened without
// blocking (a FIFO with no writer would otherwise block the open), and
// checked again on the open descriptor, so a swap between the two checks is
// caught too. A FIFO, device, socket or directory gives an error that says
// which; a larger file an error that gives the limit, without reading it.
//
// Errors do not repeat path (callers name it) and wrap the system's error
// (fs.ErrNotExist, fs.ErrPermission) where there is one.
func Read(path string, limit int64) ([]byte, error) {
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
