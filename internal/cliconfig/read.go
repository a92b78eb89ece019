package cliconfig

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/grpc-keyauth/clarifaiauth/internal/safefile"
)

// MaxSize bounds what Load reads: the CLI's file is a few hundred bytes.
const MaxSize = 256 << 10

// DefaultPath returns ~/.config/clarifai/config, the file the Python SDK
// reads, with the home directory from os.UserHomeDir.
func DefaultPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		// No home directory (a distroless container, a system service):
		// there is no login to read, as when the file is missing.
		return "", fmt.Errorf("cannot locate the home directory (%w): %w", fs.ErrNotExist, err)
	}
	return filepath.Join(home, ".config", "clarifai", "config"), nil
}

// Load reads the file at path (DefaultPath when path is "") with safefile.Read
// and returns the settings of the context called name (the current_context
// when name is ""), with EnvVar values resolved from the environment. The
// credential is not returned: keysource.ClarifaiConfig reads it.
//
// A missing file gives an error wrapping fs.ErrNotExist; a missing context
// one wrapping ErrNoContext; an empty file one wrapping ErrEmpty. Errors
// name the path and never quote the file. Load returns when ctx is done,
// even if the read hangs.
func Load(ctx context.Context, path, name string) (Settings, error) {
	c, err := load(ctx, path, name)
	return c.Settings, err
}

// load is Load, returning the context's name too; its credentials are left
// out.
func load(ctx context.Context, path, name string) (Context, error) {
	if err := ctx.Err(); err != nil {
		return Context{}, err
	}
	if path == "" {
		p, err := DefaultPath()
		if err != nil {
			return Context{}, fmt.Errorf("clarifai config: %w", err)
		}
		path = p
	}
	data, err := safefile.Read(ctx, path, MaxSize)
	if err != nil {
		return Context{}, fmt.Errorf("clarifai config %s: %w", path, err)
	}
	c, err := Parse(data, name)
	if err != nil {
		return Context{}, fmt.Errorf("clarifai config %s: %w", path, err)
	}
	return Context{Name: c.Name, Settings: c.Settings.Resolve(os.Getenv)}, nil
}

// Current returns the name and the settings of the current context of the
// config at DefaultPath, as Load reads them, and "" and zero settings when
// there is no login to read: no home directory, no file, an empty file or no
// current context. Any other error (a file that cannot be read or parsed)
// is returned: ignoring it could send calls to the wrong server or app.
func Current(ctx context.Context) (name string, s Settings, err error) {
	c, err := load(ctx, "", "")
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNoContext) || errors.Is(err, ErrEmpty) {
		return "", Settings{}, nil
	}
	return c.Name, c.Settings, err
}
