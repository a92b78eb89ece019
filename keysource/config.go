package keysource

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
)

// defaultConfigRefreshInterval is how often ClarifaiConfig reads its file
// again.
const defaultConfigRefreshInterval = 5 * time.Second

// ClarifaiConfig returns a Source that yields the credential of the login
// Clarifai's CLI stores at path (~/.config/clarifai/config if empty): the
// current context's CLARIFAI_PAT (KindPAT) or CLARIFAI_SESSION_TOKEN, or
// ConfigContext's. It reads the file again once per RefreshInterval
// (default 5s), keeping the last good key while a read fails. See
// docs/client.md.
func ClarifaiConfig(path string, opts ...Option) Source {
	var o options
	for _, opt := range opts {
		opt.apply(&o)
	}
	c := &configSource{context: o.context}
	if path == "" {
		p, err := cliconfig.DefaultPath()
		if err != nil {
			c.pathErr = fmt.Errorf("%w: clarifai config: %w", ErrNoKey, err)
		}
		path = p
	}
	c.path = path
	c.r = newRefresher(c.String, c.fetch, o, defaultConfigRefreshInterval, forever, true)
	return c
}

type configSource struct {
	path    string
	pathErr error // set when the default path cannot be built
	context string
	r       *refresher
}

// configMemo is what a read of the file found, kept to tell whether the
// next read found anything new.
type configMemo struct {
	sum     [sha256.Size]byte // of the content parsed
	ctxName string            // the context read, if it may be printed
	key     Key               // the context's key, zero if none
	err     error             // why it has none
	usesEnv bool              // the credential came through ENVVAR: resolve it at every read
}

func (c *configSource) Key(ctx context.Context) (Key, error) { return c.r.Key(ctx) }

func (c *configSource) Invalidate(k Key) { c.r.Invalidate(k) }

// fetch reads and parses the file. A file missing, unreadable, empty (as
// between the CLI's truncation of it and its write) or malformed is a
// failure that keeps the last good key; a file that names no context or no
// credential is an answer.
func (c *configSource) fetch(ctx context.Context, last *state) fetched {
	if c.pathErr != nil {
		return fetched{err: c.pathErr}
	}
	data, err := readFile(ctx, c.path, cliconfig.MaxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return fetched{err: fmt.Errorf("%w: clarifai config %s does not exist (run \"clarifai login\" to create it): %w", ErrNoKey, c.path, err), failed: true}
	}
	if err != nil {
		return fetched{err: fmt.Errorf("keysource: clarifai config %s: %w", c.path, err), failed: true}
	}
	sum := sha256.Sum256(data)
	var prev *configMemo
	if last != nil {
		prev, _ = last.memo.(*configMemo)
	}
	if prev != nil && prev.sum == sum && !prev.usesEnv {
		return fetched{key: prev.key, err: prev.err, memo: prev}
	}
	parsed, err := cliconfig.Parse(data, c.context)
	switch {
	case errors.Is(err, cliconfig.ErrEmpty):
		return fetched{err: fmt.Errorf("%w: clarifai config %s is empty", ErrNoKey, c.path), failed: true}
	case errors.Is(err, cliconfig.ErrNoContext):
		m := &configMemo{sum: sum, err: fmt.Errorf("%w: clarifai config %s: %w", ErrNoKey, c.path, err)}
		return fetched{err: m.err, memo: m}
	case err != nil:
		return fetched{err: fmt.Errorf("keysource: clarifai config %s: %w", c.path, err), failed: true}
	}
	m := &configMemo{sum: sum}
	if cliconfig.PrintableName(parsed.Name) {
		m.ctxName = parsed.Name
	}
	m.key, m.usesEnv, m.err = c.credential(parsed)
	if prev != nil && m.key.Equal(prev.key) {
		m.key = prev.key // the same Key, not merely an equal one
	}
	return fetched{key: m.key, err: m.err, memo: m}
}

// credential works out the context's key. usesEnv reports whether the
// answer depends on the environment (an ENVVAR value).
func (c *configSource) credential(ctx cliconfig.Context) (k Key, usesEnv bool, err error) {
	where := fmt.Sprintf("clarifai config %s, context %s", c.path, cliconfig.DescribeName(ctx.Name))
	pat, patVia := resolveSecret(ctx.Credentials.PAT, cliconfig.EnvPAT)
	tok, tokVia := resolveSecret(ctx.Credentials.SessionToken, cliconfig.EnvSessionToken)
	usesEnv = patVia || tokVia
	switch {
	case pat != "" && tok != "":
		return Key{}, usesEnv, fmt.Errorf("%w: %s: both %s and %s are set; Clarifai's SDKs refuse this too, keep only one", ErrInvalidKey, where, cliconfig.EnvPAT, cliconfig.EnvSessionToken)
	case pat != "":
		k, err = NewKey(KindPAT, pat)
		if err != nil {
			err = fmt.Errorf("%s: %s%s: %w", where, cliconfig.EnvPAT, viaNote(patVia), err)
		}
		return k, usesEnv, err
	case tok != "":
		k, err = NewKey(KindSessionToken, tok)
		if err != nil {
			err = fmt.Errorf("%s: %s%s: %w", where, cliconfig.EnvSessionToken, viaNote(tokVia), err)
		}
		return k, usesEnv, err
	case patVia:
		return Key{}, usesEnv, fmt.Errorf("%w: %s: %s is %s but environment variable %s is unset or empty", ErrNoKey, where, cliconfig.EnvPAT, cliconfig.EnvVar, cliconfig.EnvPAT)
	case tokVia:
		return Key{}, usesEnv, fmt.Errorf("%w: %s: %s is %s but environment variable %s is unset or empty", ErrNoKey, where, cliconfig.EnvSessionToken, cliconfig.EnvVar, cliconfig.EnvSessionToken)
	}
	return Key{}, usesEnv, fmt.Errorf("%w: %s: no %s (or %s) set", ErrNoKey, where, cliconfig.EnvPAT, cliconfig.EnvSessionToken)
}

// resolveSecret returns a credential setting's value, from the environment
// when the file says ENVVAR (via).
func resolveSecret(v, name string) (secret string, via bool) {
	if v != cliconfig.EnvVar {
		return v, false
	}
	return os.Getenv(name), true
}

func viaNote(via bool) string {
	if via {
		return " (from the environment, via " + cliconfig.EnvVar + ")"
	}
	return ""
}

// String describes the source as "clarifai config <path> (context <name>)";
// before the first read of a source without ConfigContext, the context shows
// as "current context". A context name that could be a secret is not shown.
func (c *configSource) String() string {
	path := c.path
	if path == "" {
		path = "~/.config/clarifai/config"
	}
	name := c.context
	if name != "" {
		if !cliconfig.PrintableName(name) {
			return "clarifai config " + path + " (a context whose name is not shown)"
		}
	} else if m, _ := c.r.memo().(*configMemo); m != nil {
		name = m.ctxName
	}
	if name == "" {
		return "clarifai config " + path + " (current context)"
	}
	return "clarifai config " + path + " (context " + name + ")"
}
