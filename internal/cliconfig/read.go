package cliconfig

import (
	"context"
	"fmt"
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
		return "", fmt.Errorf("cannot locate the home directory: %w", err)
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
	data, err := safefile.Read(path, MaxSize)
	if err != nil {
		return Settings{}, fmt.Errorf("clarifai config %s: %w", path, err)
	}
	c, err := Parse(data, name)
	if err != nil {
		return Settings{}, fmt.Errorf("clarifai config %s: %w", path, err)
	}
	return c.Settings.Resolve(os.Getenv), nil
}
