package cliconfig

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// MaxSize bounds what Load reads: the CLI's file is a few hundred bytes.
const MaxSize = 256 << 10

var (
	// ErrTooLarge means the file is larger than the limit it was read with.
	ErrTooLarge = errors.New("file too large")
	// ErrNotRegular means the path is a directory, FIFO, socket or device.
	ErrNotRegular = errors.New("not a regular file")
)

// ReadFile reads the file at path, following symbolic links, if it is a
// regular file of at most limit bytes. It never blocks on what is not a
// regular file: the path is checked before it is opened, opened without
// blocking (a FIFO with no writer would otherwise block the open), and
// checked again on the open descriptor, so a swap between the two checks is
// caught too. A FIFO, device, socket or directory gives an error that says
// which; a larger file an error that gives the limit, without reading it.
//
// Errors do not repeat path (callers name it) and wrap the system's error
// (fs.ErrNotExist, fs.ErrPermission) where there is one.
func ReadFile(path string, limit int64) ([]byte, error) {
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

// DefaultPath returns ~/.config/clarifai/config, the file the Python SDK
// reads, with the home directory from os.UserHomeDir.
func DefaultPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot locate the home directory: %w", err)
	}
	return filepath.Join(home, ".config", "clarifai", "config"), nil
}

// Load reads the file at path (DefaultPath when path is "") with ReadFile
// and returns the settings of the context called name (the current_context
// when name is ""), with EnvVar values resolved from the environment. The
// credential is not returned: keysource.ClarifaiConfig reads it.
//
// A missing file gives an error wrapping fs.ErrNotExist; a missing context
// one wrapping ErrNoContext; an empty file one wrapping ErrEmpty. Errors
// name the path and never quote the file. ctx is checked before reading;
// the read itself is of a regular file of bounded size.
func Load(ctx context.Context, path, name string) (Settings, error) {
	if err := ctx.Err(); err != nil {
		return Settings{}, err
	}
	if path == "" {
		p, err := DefaultPath()
		if err != nil {
			return Settings{}, fmt.Errorf("clarifai config: %w", err)
		}
		path = p
	}
	data, err := ReadFile(path, MaxSize)
	if err != nil {
		return Settings{}, fmt.Errorf("clarifai config %s: %w", path, err)
	}
	c, err := Parse(data, name)
	if err != nil {
		return Settings{}, fmt.Errorf("clarifai config %s: %w", path, err)
	}
	return c.Settings.Resolve(os.Getenv), nil
}
