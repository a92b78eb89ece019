package keysource

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync/atomic"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
	"github.com/grpc-keyauth/clarifaiauth/internal/safefile"
	"golang.org/x/sync/singleflight"
)

// defaultConfigRefreshInterval is how often a ConfigSource checks its file
// unless ConfigRefreshInterval says otherwise.
const defaultConfigRefreshInterval = 5 * time.Second

// maxConfigRetry caps the delay before a failed read is tried again, so that
// a file caught half-written, or briefly removed, by the CLI is picked up
// soon after.
const maxConfigRetry = time.Second

// ConfigOption configures ClarifaiConfig.
type ConfigOption func(*configOptions)

type configOptions struct {
	context  string
	interval time.Duration
}

// ConfigContext makes the source use the named context instead of the file's
// current_context, like the CLI's --context flag.
func ConfigContext(name string) ConfigOption {
	return func(o *configOptions) { o.context = name }
}

// ConfigRefreshInterval sets how often, at most, the source reads the file
// again to see whether it changed (default 5s). A value of zero or less
// keeps the default.
func ConfigRefreshInterval(d time.Duration) ConfigOption {
	return func(o *configOptions) {
		if d > 0 {
			o.interval = d
		}
	}
}

// ClarifaiConfig returns a Source that reads the login that Clarifai's CLI
// (clarifai login, clarifai config) stores.
//
// The file is YAML: current_context names the active context, and contexts
// maps each context name to its settings, CLARIFAI_PAT, CLARIFAI_USER_ID,
// CLARIFAI_API_BASE and so on, directly under the context name (current CLI
// versions) or under an env: mapping (older versions). A value of exactly
// ENVVAR means "read the environment variable of the same name". Only the
// credential is read here; the other settings are for the code that dials.
//
// An empty path means ~/.config/clarifai/config, with the home directory from
// os.UserHomeDir, the file the Python SDK reads.
//
// Key yields the CLARIFAI_PAT of the current context (or of the context named
// by ConfigContext) as a KindPAT key, or its CLARIFAI_SESSION_TOKEN as a
// KindSessionToken key. A context holding both is an error wrapping
// ErrInvalidKey, as Clarifai's SDKs refuse both. A missing file, context or
// credential, or an ENVVAR whose variable is unset or empty, gives an error
// wrapping ErrNoKey that says what is missing and where, so a Chain moves on;
// a file that cannot be read or is not valid YAML gives an error that does
// not wrap ErrNoKey, so a Chain stops rather than silently use another
// credential. Key reads only the file: to give CLARIFAI_PAT in the
// environment precedence, as the SDKs do, use Default or put Env before this
// source in a Chain.
//
// Only a regular file is read (symbolic links are followed), of at most
// 256 KiB; a FIFO, device, socket or directory is an error, and never
// blocks. The file is read on first use, and read again at most once per
// refresh interval by one caller while the others wait for that read (a few
// microseconds) or for their context. A new clarifai login takes effect
// then: any change of content is seen, whatever its size or time stamp.
// Between reads Key is an atomic load and a clock check, without locks or
// allocation. While the file is missing, unreadable, empty or malformed, the
// last good key keeps serving, Err reports why, and the read is retried
// within a second. No goroutine outlives a read.
//
// Errors and String name the path and a context name only when it cannot be
// a secret: never a value from the file.
func ClarifaiConfig(path string, opts ...ConfigOption) *ConfigSource {
	o := configOptions{interval: defaultConfigRefreshInterval}
	for _, opt := range opts {
		opt(&o)
	}
	c := &ConfigSource{
		context:  o.context,
		interval: o.interval,
		retry:    min(o.interval, maxConfigRetry),
		start:    time.Now(),
		live:     new(configSourceLive),
	}
	if path == "" {
		p, err := cliconfig.DefaultPath()
		if err != nil {
			c.pathErr = fmt.Errorf("%w: clarifai config: %w", ErrNoKey, err)
		}
		path = p
	}
	c.path = path
	return c
}

// ConfigSource is the Source that ClarifaiConfig returns. It is safe for
// concurrent use and must not be copied.
type ConfigSource struct {
	path     string
	pathErr  error // set when the default path cannot be built
	context  string
	interval time.Duration
	retry    time.Duration
	start    time.Time // times are durations since start, on the monotonic clock

	// live is what changes; behind a pointer, so that fmt's %#v and other
	// reflection-based printers show an address instead of reading it
	// while another goroutine writes it.
	live *configSourceLive
}

type configSourceLive struct {
	state       atomic.Pointer[configState] // nil until the first read ends
	reads       singleflight.Group
	invalidated rateLimit
}

// configState is one immutable outcome of reading the file.
type configState struct {
	sum     [sha256.Size]byte // of the content parsed; zero when none was
	ctxName string            // the context read, if it may be printed
	key     Key               // the key to serve; zero if none
	keyErr  error             // why there is no key (served while key is zero)
	usesEnv bool              // the credential came through ENVVAR: resolve it at every read
	readErr error             // the latest read failed; key is from an earlier one
	next    time.Duration     // when the file may be read again
}

// Key returns the credential of the configured context. It is called per
// RPC and answers from memory between reads; see ClarifaiConfig. A call
// whose ctx ends while it waits for a read returns the key of the previous
// read, or, before the first read ends, ctx's error, wrapped.
func (c *ConfigSource) Key(ctx context.Context) (Key, error) {
	// time.Since reads only the monotonic clock, one vDSO call.
	if st := c.live.state.Load(); st != nil && time.Since(c.start) < st.next {
		return st.key, st.keyErr
	}
	return c.refresh(ctx)
}

func (c *ConfigSource) refresh(ctx context.Context) (Key, error) {
	prev := c.live.state.Load()
	if prev == nil {
		if err := ctx.Err(); err != nil {
			return Key{}, fmt.Errorf("keysource: %s: %w", c, err)
		}
	}
	ch := c.live.reads.DoChan("", func() (any, error) { return c.load(), nil })
	select {
	case r := <-ch:
		st := r.Val.(*configState)
		return st.key, st.keyErr
	case <-ctx.Done():
		if prev != nil {
			return prev.key, prev.keyErr
		}
		return Key{}, fmt.Errorf("keysource: %s: %w", c, ctx.Err())
	}
}

// load reads the file, unless a read that ended since the caller looked
// already did, and publishes the outcome. Only one load runs at a time.
func (c *ConfigSource) load() *configState {
	now := time.Since(c.start)
	prev := c.live.state.Load()
	if prev != nil && now < prev.next {
		return prev
	}
	st := c.read(prev)
	st.next = now + c.interval
	if st.readErr != nil {
		st.next = now + c.retry
	}
	c.live.state.Store(st)
	return st
}

// read reads and parses the file into the state to serve next.
func (c *ConfigSource) read(prev *configState) *configState {
	if c.pathErr != nil {
		return &configState{keyErr: c.pathErr}
	}
	data, err := safefile.Read(c.path, cliconfig.MaxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return c.failed(prev, fmt.Errorf("%w: clarifai config %s does not exist (run \"clarifai login\" to create it): %w", ErrNoKey, c.path, err))
	}
	if err != nil {
		return c.failed(prev, fmt.Errorf("keysource: clarifai config %s: %w", c.path, err))
	}
	sum := sha256.Sum256(data)
	if prev != nil && prev.sum == sum && !prev.usesEnv {
		st := *prev
		st.readErr = nil
		return &st
	}
	parsed, err := cliconfig.Parse(data, c.context)
	switch {
	case errors.Is(err, cliconfig.ErrEmpty):
		// Also what a reader sees between the CLI's truncation of the file
		// and its write: a failure that keeps the last good key.
		return c.failed(prev, fmt.Errorf("%w: clarifai config %s is empty", ErrNoKey, c.path))
	case errors.Is(err, cliconfig.ErrNoContext):
		return &configState{sum: sum, keyErr: fmt.Errorf("%w: clarifai config %s: %w", ErrNoKey, c.path, err)}
	case err != nil:
		return c.failed(prev, fmt.Errorf("keysource: clarifai config %s: %w", c.path, err))
	}
	st := &configState{sum: sum}
	if cliconfig.PrintableName(parsed.Name) {
		st.ctxName = parsed.Name
	}
	st.key, st.usesEnv, st.keyErr = c.credential(parsed)
	if prev != nil && st.key.Equal(prev.key) {
		st.key = prev.key // the same Key, not merely an equal one
	}
	return st
}

// failed returns the state to serve after a failed read: the last good key,
// marked with the failure, or the failure itself when there is none.
func (c *ConfigSource) failed(prev *configState, err error) *configState {
	if prev != nil && !prev.key.IsZero() {
		st := *prev
		st.readErr = err
		return &st
	}
	return &configState{keyErr: err, readErr: err}
}

// credential works out the context's key. usesEnv reports whether the
// answer depends on the environment (an ENVVAR value).
func (c *ConfigSource) credential(ctx cliconfig.Context) (k Key, usesEnv bool, err error) {
	where := fmt.Sprintf("clarifai config %s, context %s", c.path, cliconfig.DescribeName(ctx.Name))
	pat, patVia := resolveSecret(ctx.Credentials.PAT, EnvPAT)
	tok, tokVia := resolveSecret(ctx.Credentials.SessionToken, EnvSessionToken)
	usesEnv = patVia || tokVia
	switch {
	case pat != "" && tok != "":
		return Key{}, usesEnv, fmt.Errorf("%w: %s: both %s and %s are set; Clarifai's SDKs refuse this too, keep only one", ErrInvalidKey, where, EnvPAT, EnvSessionToken)
	case pat != "":
		k, err = NewKey(KindPAT, pat)
		if err != nil {
			err = fmt.Errorf("%s: %s%s: %w", where, EnvPAT, viaNote(patVia), err)
		}
		return k, usesEnv, err
	case tok != "":
		k, err = NewKey(KindSessionToken, tok)
		if err != nil {
			err = fmt.Errorf("%s: %s%s: %w", where, EnvSessionToken, viaNote(tokVia), err)
		}
		return k, usesEnv, err
	case patVia:
		return Key{}, usesEnv, fmt.Errorf("%w: %s: %s is %s but environment variable %s is unset or empty", ErrNoKey, where, EnvPAT, cliconfig.EnvVar, EnvPAT)
	case tokVia:
		return Key{}, usesEnv, fmt.Errorf("%w: %s: %s is %s but environment variable %s is unset or empty", ErrNoKey, where, EnvSessionToken, cliconfig.EnvVar, EnvSessionToken)
	}
	return Key{}, usesEnv, fmt.Errorf("%w: %s: no %s (or %s) set", ErrNoKey, where, EnvPAT, EnvSessionToken)
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

// Err returns why the latest read of the file failed (missing, unreadable,
// not a regular file, empty, not valid YAML), or nil if it succeeded or the
// file has not been read yet. While Err is non-nil, Key keeps answering with
// the key of the last good read, if there was one. It costs an atomic load.
func (c *ConfigSource) Err() error {
	if st := c.live.state.Load(); st != nil {
		return st.readErr
	}
	return nil
}

// Invalidate tells the source that the server rejected k. If k is the key
// the source serves, the next call to Key reads the file again instead of
// waiting for the refresh interval. It is rate-limited: at most once per 5
// seconds per source; other calls, and keys the source no longer serves,
// are ignored. It does not block.
func (c *ConfigSource) Invalidate(k Key) {
	st := c.live.state.Load()
	if st == nil || k.IsZero() || !st.key.Equal(k) || !c.live.invalidated.allow(time.Since(c.start)) {
		return
	}
	next := *st
	next.next = 0
	c.live.state.CompareAndSwap(st, &next)
}

// String describes the source as "clarifai config <path> (context <name>)";
// before the first read of a source without ConfigContext, the context shows
// as "current context". A context name that could be a secret is not shown.
func (c *ConfigSource) String() string {
	path := c.path
	if path == "" {
		path = "~/.config/clarifai/config"
	}
	name := c.context
	if name != "" {
		if !cliconfig.PrintableName(name) {
			return "clarifai config " + path + " (a context whose name is not shown)"
		}
	} else if st := c.live.state.Load(); st != nil {
		name = st.ctxName
	}
	if name == "" {
		return "clarifai config " + path + " (current context)"
	}
	return "clarifai config " + path + " (context " + name + ")"
}
