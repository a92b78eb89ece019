package keysource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"
)

// Names of the context settings that Clarifai's CLI writes, besides
// CLARIFAI_PAT and CLARIFAI_SESSION_TOKEN.
const (
	EnvUserID  = "CLARIFAI_USER_ID"
	EnvAppID   = "CLARIFAI_APP_ID"
	EnvAPIBase = "CLARIFAI_API_BASE"
	EnvUI      = "CLARIFAI_UI"
)

// Defaults Clarifai's SDKs use when a context does not set CLARIFAI_API_BASE
// or CLARIFAI_UI.
const (
	DefaultAPIBase = "https://api.clarifai.com"
	DefaultUI      = "https://clarifai.com"
)

// DefaultConfigRefreshInterval is how often a ConfigSource checks whether its
// file changed, unless ConfigRefreshInterval says otherwise.
const DefaultConfigRefreshInterval = 5 * time.Second

// configEnvVar is the value that tells Clarifai's CLI "read this setting from
// the environment variable of the same name".
const configEnvVar = "ENVVAR"

// maxConfigSize bounds what a ConfigSource reads: the CLI's file is a few
// hundred bytes, and a runaway file must not be read into memory every
// refresh.
const maxConfigSize = 1 << 20

// ConfigOption configures ClarifaiConfig.
type ConfigOption func(*configOptions)

type configOptions struct {
	context  string
	interval time.Duration
	now      func() time.Time
}

// ConfigContext makes the source use the named context instead of the file's
// current_context, like the CLI's --context flag.
func ConfigContext(name string) ConfigOption {
	return func(o *configOptions) { o.context = name }
}

// ConfigRefreshInterval sets how often, at most, the source checks whether
// the file changed (one os.Stat, and a re-read only when the file's size,
// modification time or identity changed). A value of zero or less restores
// DefaultConfigRefreshInterval.
func ConfigRefreshInterval(d time.Duration) ConfigOption {
	return func(o *configOptions) {
		if d <= 0 {
			d = DefaultConfigRefreshInterval
		}
		o.interval = d
	}
}

// configClock replaces time.Now, for tests.
func configClock(now func() time.Time) ConfigOption {
	return func(o *configOptions) { o.now = now }
}

// maxConfigRetry caps the delay before a failed read is tried again, so that
// a file caught half-written by the CLI is picked up soon after.
const maxConfigRetry = time.Second

// ClarifaiConfig returns a Source that reads the login that Clarifai's CLI
// (clarifai login, clarifai config) stores.
//
// The file is YAML: current_context names the active context, and contexts
// maps each context name to its settings, CLARIFAI_PAT, CLARIFAI_USER_ID,
// CLARIFAI_API_BASE and so on. The settings sit directly under the context
// name (what current CLI versions write) or under an env: mapping (older
// versions); as in the Python SDK, when a context has an env: mapping only
// that mapping counts. A value of exactly ENVVAR means "read the environment
// variable of the same name".
//
// An empty path means ~/.config/clarifai/config, with the home directory from
// os.UserHomeDir ($HOME on Unix, %USERPROFILE% on Windows), the file the
// Python SDK reads. No environment variable selects another file: the SDK
// reads none (its CLI takes a --config flag), so pass the path instead.
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
// The file is read on first use and re-read when it changes, so a new
// clarifai login takes effect without a restart. Key answers from memory: an
// atomic load and a clock check, without locks or allocation. At most once
// per refresh interval (see ConfigRefreshInterval) one caller stats the file
// and re-reads it if it changed; other callers keep being answered meanwhile.
// While the file cannot be read or parsed, the last good state keeps serving
// and Err reports why; a file that no longer exists, however, means there is
// no key any more. No goroutine is started.
//
// Errors and every fmt verb applied to the source name the path and the
// context, never a secret.
func ClarifaiConfig(path string, opts ...ConfigOption) *ConfigSource {
	o := configOptions{interval: DefaultConfigRefreshInterval, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	c := &ConfigSource{
		context:  o.context,
		interval: int64(o.interval),
		retry:    int64(min(o.interval, maxConfigRetry)),
	}
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			c.pathErr = fmt.Errorf("%w: clarifai config: cannot locate the home directory: %w", ErrNoKey, err)
		} else {
			path = filepath.Join(home, ".config", "clarifai", "config")
		}
	}
	c.path = path
	clock := o.now
	epoch := clock()
	c.now = func() int64 { return int64(clock().Sub(epoch)) }
	return c
}

// ConfigSource is the Source that ClarifaiConfig returns. It is safe for
// concurrent use and must not be copied.
type ConfigSource struct {
	path     string
	pathErr  error // set when the default path cannot be built
	context  string
	interval int64 // nanoseconds between checks of the file
	retry    int64 // nanoseconds before a failed read is tried again

	// now returns nanoseconds since the source was made, on the monotonic
	// clock (or the clock a test gave configClock).
	now func() int64

	state      atomic.Pointer[configState]
	next       atomic.Int64 // when, in now's terms, the file is checked again
	refreshing atomic.Bool  // the one caller allowed to check the file
	initMu     sync.Mutex   // serialises only the first read
}

// configState is one immutable reading of the file. Key serves it as is.
type configState struct {
	info    fs.FileInfo // nil when the file was not found
	ctxName string
	values  map[string]string // the context's settings, as written
	ctxErr  error             // why there is no context to read
	key     Key
	keyErr  error
	usesEnv bool  // the credential came through ENVVAR: re-resolve at each check
	readErr error // the latest read failed; this state is an older one, or none
	hasGood bool  // the state comes from a successful read
}

// Key returns the credential of the configured context. It is called per
// RPC: after the first call it answers from memory. If ctx is done before
// the first read of the file, Key returns ctx's error, wrapped; after that,
// reads are too short to be worth cancelling and ctx is not consulted.
func (c *ConfigSource) Key(ctx context.Context) (Key, error) {
	st, err := c.current(ctx)
	if err != nil {
		return Key{}, err
	}
	return st.key, st.keyErr
}

// Err returns why the latest read of the file failed (it could not be read,
// or was empty, or was not valid YAML), or nil if it succeeded or the file
// has not been read yet. While Err is non-nil, Key and Settings keep
// answering from the last good read, if there was one, and the read is tried
// again after the refresh interval or one second, whichever is shorter. It
// costs an atomic load.
func (c *ConfigSource) Err() error {
	if st := c.state.Load(); st != nil {
		return st.readErr
	}
	return nil
}

// Path returns the file the source reads ("" if the home directory could not
// be determined).
func (c *ConfigSource) Path() string { return c.path }

// String describes the source as "clarifai config <path> (context <name>)";
// before the first read of a source without ConfigContext, the context shows
// as "current context".
func (c *ConfigSource) String() string {
	path := c.path
	if path == "" {
		path = "~/.config/clarifai/config"
	}
	name := c.context
	if name == "" {
		if st := c.state.Load(); st != nil {
			name = st.ctxName
		}
	}
	if name == "" {
		return "clarifai config " + path + " (current context)"
	}
	return "clarifai config " + path + " (context " + name + ")"
}

// GoString describes the source for %#v, without any secret.
func (c *ConfigSource) GoString() string { return "keysource.ConfigSource(" + c.String() + ")" }

// Format prints String for every verb (GoString for %#v), so that no fmt
// directive can reveal the state the source holds.
func (c *ConfigSource) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, c.GoString())
	case verb == 'q':
		fmt.Fprintf(f, "%q", c.String())
	default:
		fmt.Fprint(f, c.String())
	}
}

// ConfigSettings are the settings of a CLI context that a client needs to
// address Clarifai, beside the credential. They hold no secret.
type ConfigSettings struct {
	// Context is the name of the context read.
	Context string
	// UserID and AppID are CLARIFAI_USER_ID and CLARIFAI_APP_ID, for
	// user_app_id; empty when the context does not set them.
	UserID, AppID string
	// APIBase is CLARIFAI_API_BASE, DefaultAPIBase when the context does not
	// set it.
	APIBase string
	// UI is CLARIFAI_UI, DefaultUI when the context does not set it.
	UI string
}

// Settings returns the settings of the configured context, read from the same
// in-memory state as Key (it triggers the first read if needed). A value of
// ENVVAR is replaced by the environment variable of the same name, and left
// empty if that is unset. The values are those of the file: Settings does not
// let environment variables override them. A missing file or context gives an
// error wrapping ErrNoKey; an unreadable or malformed file with no good
// earlier read gives that error. Settings succeeds for a context that has no
// credential.
func (c *ConfigSource) Settings(ctx context.Context) (ConfigSettings, error) {
	st, err := c.current(ctx)
	if err != nil {
		return ConfigSettings{}, err
	}
	if st.ctxErr != nil {
		return ConfigSettings{}, st.ctxErr
	}
	s := ConfigSettings{
		Context: st.ctxName,
		UserID:  resolveSetting(st.values, EnvUserID),
		AppID:   resolveSetting(st.values, EnvAppID),
		APIBase: resolveSetting(st.values, EnvAPIBase),
		UI:      resolveSetting(st.values, EnvUI),
	}
	if s.APIBase == "" {
		s.APIBase = DefaultAPIBase
	}
	if s.UI == "" {
		s.UI = DefaultUI
	}
	return s, nil
}

// Get returns any other setting of the configured context by its variable
// name (CLARIFAI_USER_ID, or the CLI's short form user_id), with ENVVAR
// resolved. ok is false when the context does not set the name, when ENVVAR
// points at an unset variable, when there is no context to read, and always
// for credentials: CLARIFAI_PAT, CLARIFAI_SESSION_TOKEN and any name ending
// in _PAT, _TOKEN, _KEY, _SECRET or _PASSWORD never come out of Get.
func (c *ConfigSource) Get(name string) (value string, ok bool) {
	name = strings.ToUpper(strings.TrimSpace(name))
	if name == "" {
		return "", false
	}
	if !strings.HasPrefix(name, "CLARIFAI_") {
		name = "CLARIFAI_" + name
	}
	for _, suffix := range []string{"_PAT", "_TOKEN", "_KEY", "_SECRET", "_PASSWORD"} {
		if strings.HasSuffix(name, suffix) {
			return "", false
		}
	}
	st, _ := c.current(context.Background())
	if st.ctxErr != nil {
		return "", false
	}
	v := resolveSetting(st.values, name)
	return v, v != ""
}

// resolveSetting returns the context's value for name, with ENVVAR replaced
// by the environment.
func resolveSetting(values map[string]string, name string) string {
	v := lookup(values, name)
	if v == configEnvVar {
		return os.Getenv(name)
	}
	return v
}

// lookup returns the context's value for a CLARIFAI_* name. Like the Python
// SDK, it falls back to the short lower-case form ("user_id" for
// CLARIFAI_USER_ID) when the full name is absent.
func lookup(values map[string]string, name string) string {
	if v, ok := values[name]; ok {
		return v
	}
	return values[strings.ToLower(strings.TrimPrefix(name, "CLARIFAI_"))]
}

// current returns the state to serve, checking the file first when the
// refresh interval has passed. This is the hot path: an atomic load and a
// clock comparison. The error is ctx's, when it ends before the first read.
func (c *ConfigSource) current(ctx context.Context) (*configState, error) {
	st := c.state.Load()
	if st != nil && c.now() < c.next.Load() {
		return st, nil
	}
	return c.refresh(ctx, st)
}

// refresh reads the file the first time, and afterwards lets exactly one
// caller per interval check it while the others keep the state they have.
func (c *ConfigSource) refresh(ctx context.Context, st *configState) (*configState, error) {
	if st == nil {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("keysource: clarifai config %s: %w", c.path, err)
		}
		// The first read: every caller needs its answer, so they wait for
		// it (a read takes microseconds). The mutex is never used again.
		c.initMu.Lock()
		defer c.initMu.Unlock()
		if st = c.state.Load(); st != nil {
			return st, nil
		}
		st = c.load(nil)
		c.publish(st, true)
		return st, nil
	}
	if !c.refreshing.CompareAndSwap(false, true) {
		return st, nil
	}
	defer c.refreshing.Store(false)
	if c.now() < c.next.Load() {
		// Another caller checked while this one was on its way here.
		return c.state.Load(), nil
	}
	st = c.load(c.state.Load())
	c.publish(st, false)
	return st, nil
}

// publish makes st the state to serve and schedules the next check: sooner
// after a failed read. The first time, the schedule is set before the state,
// so that no caller finds a state without one and checks the file again;
// afterwards the state is set first, so that no caller keeps the old state
// for a whole interval.
func (c *ConfigSource) publish(st *configState, first bool) {
	wait := c.interval
	if st.readErr != nil {
		wait = c.retry
	}
	if first {
		c.next.Store(c.now() + wait)
		c.state.Store(st)
		return
	}
	c.state.Store(st)
	c.next.Store(c.now() + wait)
}

// load reads the file unless prev shows it unchanged, and returns the state
// to serve from now on.
func (c *ConfigSource) load(prev *configState) *configState {
	if c.pathErr != nil {
		return &configState{ctxErr: c.pathErr, keyErr: c.pathErr}
	}
	info, err := os.Stat(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		// A missing file is an answer, not a failure: a removed login must
		// stop being used.
		err = fmt.Errorf("%w: clarifai config %s does not exist (run \"clarifai login\" to create it)", ErrNoKey, c.path)
		return &configState{ctxErr: err, keyErr: err, hasGood: true}
	}
	if err != nil {
		return c.failed(prev, fmt.Errorf("keysource: clarifai config: %w", err))
	}
	if prev != nil && prev.hasGood && prev.info != nil && sameFile(prev.info, info) {
		if prev.readErr == nil && !prev.usesEnv {
			return prev
		}
		// The file is unchanged, but an earlier failure must be cleared or
		// an ENVVAR credential looked up again.
		st := *prev
		st.readErr = nil
		if st.usesEnv {
			st.key, st.usesEnv, st.keyErr = c.credential(st.ctxName, st.values)
		}
		return &st
	}
	data, err := readConfig(c.path)
	if err != nil {
		return c.failed(prev, err)
	}
	st, err := c.parse(data)
	if err != nil {
		return c.failed(prev, err)
	}
	st.info = info
	st.hasGood = true
	return st
}

// failed returns the state to serve after a failed read: the last good one,
// marked with the failure, or the failure itself when there is none.
func (c *ConfigSource) failed(prev *configState, err error) *configState {
	if prev != nil && prev.hasGood {
		st := *prev
		st.readErr = err
		return &st
	}
	return &configState{ctxErr: err, keyErr: err, readErr: err}
}

// sameFile reports whether two stats of the path show the same contents: the
// same file, size and modification time.
func sameFile(a, b fs.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func readConfig(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keysource: clarifai config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("keysource: clarifai config: %w", err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("keysource: clarifai config %s is larger than %d bytes", path, maxConfigSize)
	}
	return data, nil
}

// parse turns the file's bytes into a state. The YAML is walked as nodes
// rather than decoded into types, so that no error message can quote a value
// (a secret) from the file.
func (c *ConfigSource) parse(data []byte) (*configState, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// The parser quotes some input in its messages (an alias name, for
		// one, which could be a secret): keep its words, not the quotes.
		return nil, fmt.Errorf("keysource: clarifai config %s: malformed YAML: %w", c.path, errors.New(unquote(err.Error())))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		// Also what a reader sees between the CLI's truncation of the file
		// and its write, hence a failure that keeps the last good state.
		return nil, fmt.Errorf("%w: clarifai config %s is empty", ErrNoKey, c.path)
	}
	root := deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, c.formatErr(root, "the file must be a mapping with current_context and contexts")
	}
	var current string
	var contexts *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := deref(root.Content[i]), deref(root.Content[i+1])
		switch k.Value {
		case "current_context":
			if !isNull(v) {
				if v.Kind != yaml.ScalarNode {
					return nil, c.formatErr(v, "current_context must be a context name")
				}
				current = v.Value
			}
		case "contexts":
			if !isNull(v) {
				if v.Kind != yaml.MappingNode {
					return nil, c.formatErr(v, "contexts must be a mapping from context names to settings")
				}
				contexts = v
			}
		}
	}

	st := &configState{ctxName: c.context}
	which := "chosen with ConfigContext"
	if st.ctxName == "" {
		st.ctxName = current
		which = "its current_context"
	}
	if st.ctxName == "" {
		st.ctxErr = fmt.Errorf("%w: clarifai config %s sets no current_context (run \"clarifai login\", or choose a context with ConfigContext)", ErrNoKey, c.path)
		st.keyErr = st.ctxErr
		return st, nil
	}
	var ctxNode *yaml.Node
	var names []string
	if contexts != nil {
		for i := 0; i+1 < len(contexts.Content); i += 2 {
			name := deref(contexts.Content[i]).Value
			names = append(names, name)
			if name == st.ctxName {
				ctxNode = deref(contexts.Content[i+1])
			}
		}
	}
	if ctxNode == nil {
		sort.Strings(names)
		known := "it has no contexts"
		if len(names) > 0 {
			known = "it has " + strings.Join(names, ", ")
		}
		st.ctxErr = fmt.Errorf("%w: clarifai config %s has no context %q (%s); %s", ErrNoKey, c.path, st.ctxName, which, known)
		st.keyErr = st.ctxErr
		return st, nil
	}
	values, err := c.contextValues(st.ctxName, ctxNode)
	if err != nil {
		return nil, err
	}
	st.values = values
	st.key, st.usesEnv, st.keyErr = c.credential(st.ctxName, values)
	return st, nil
}

// contextValues collects a context's scalar settings, from its env: mapping
// when it has one (older CLI versions), else from the context itself.
func (c *ConfigSource) contextValues(name string, n *yaml.Node) (map[string]string, error) {
	values := map[string]string{}
	if isNull(n) {
		return values, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, c.formatErr(n, fmt.Sprintf("context %q must be a mapping of settings", name))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if deref(n.Content[i]).Value != "env" {
			continue
		}
		env := deref(n.Content[i+1])
		if isNull(env) {
			return values, nil
		}
		if env.Kind != yaml.MappingNode {
			return nil, c.formatErr(env, fmt.Sprintf("env of context %q must be a mapping of settings", name))
		}
		n = env
		break
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		// Nested mappings and nulls are not settings; the Python SDK skips
		// them too when it exports a context to the environment.
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode || isNull(v) {
			continue
		}
		values[k.Value] = v.Value
	}
	return values, nil
}

// credential works out the context's key from its settings. usesEnv reports
// whether the answer depends on the environment (an ENVVAR value), so that it
// is worked out again at each refresh check.
func (c *ConfigSource) credential(ctxName string, values map[string]string) (k Key, usesEnv bool, err error) {
	where := fmt.Sprintf("clarifai config %s, context %q", c.path, ctxName)
	pat, patVia, patUnset := resolveSecret(values, EnvPAT)
	tok, tokVia, tokUnset := resolveSecret(values, EnvSessionToken)
	usesEnv = patVia || tokVia
	switch {
	case pat != "" && tok != "":
		return Key{}, usesEnv, fmt.Errorf("%w: %s: both %s and %s are set; Clarifai's SDKs refuse this too, keep only one", ErrInvalidKey, where, EnvPAT, EnvSessionToken)
	case pat != "":
		k, err = NewKey(KindPAT, pat)
		if err != nil {
			err = fmt.Errorf("keysource: %s: %s%s: %w", where, EnvPAT, viaNote(patVia), err)
		}
		return k, usesEnv, err
	case tok != "":
		k, err = NewKey(KindSessionToken, tok)
		if err != nil {
			err = fmt.Errorf("keysource: %s: %s%s: %w", where, EnvSessionToken, viaNote(tokVia), err)
		}
		return k, usesEnv, err
	case patUnset:
		return Key{}, usesEnv, fmt.Errorf("%w: %s: %s is %s but environment variable %s is unset or empty", ErrNoKey, where, EnvPAT, configEnvVar, EnvPAT)
	case tokUnset:
		return Key{}, usesEnv, fmt.Errorf("%w: %s: %s is %s but environment variable %s is unset or empty", ErrNoKey, where, EnvSessionToken, configEnvVar, EnvSessionToken)
	}
	return Key{}, usesEnv, fmt.Errorf("%w: %s: no %s (or %s) set", ErrNoKey, where, EnvPAT, EnvSessionToken)
}

// resolveSecret returns the value of a credential setting. via reports that
// the file said ENVVAR; unset, that the variable it points at is unset or
// empty.
func resolveSecret(values map[string]string, name string) (secret string, via, unset bool) {
	v := lookup(values, name)
	if v != configEnvVar {
		return v, false, false
	}
	v = os.Getenv(name)
	return v, true, v == ""
}

func viaNote(via bool) string {
	if via {
		return " (from the environment, via " + configEnvVar + ")"
	}
	return ""
}

// formatErr reports a file whose YAML is valid but not shaped like the CLI's
// config. It gives the line, never the value found there.
func (c *ConfigSource) formatErr(n *yaml.Node, what string) error {
	return fmt.Errorf("keysource: clarifai config %s: line %d: %s", c.path, n.Line, what)
}

// unquote replaces every quoted span of a parser message ('…' or "…") with
// an ellipsis, so the message keeps its line number and words but quotes
// nothing from the file.
func unquote(msg string) string {
	var b strings.Builder
	var open byte
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		switch {
		case open != 0 && c == open:
			open = 0
			b.WriteString("…")
			b.WriteByte(c)
		case open != 0:
		case c == '\'' || c == '"':
			open = c
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	if open != 0 {
		b.WriteString("…")
	}
	return b.String()
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// Default returns the Source that finds credentials where Clarifai's SDKs
// find them, in the same order:
//
//  1. the environment, as Env() reads it: CLARIFAI_PAT, then CLARIFAI_API_KEY,
//     then CLARIFAI_SESSION_TOKEN;
//  2. the current context of Clarifai's CLI config,
//     ClarifaiConfig("") (~/.config/clarifai/config).
//
// Like the SDKs, Default refuses to choose when the environment holds both a
// PAT (or an API key) and CLARIFAI_SESSION_TOKEN: Key then returns an error
// wrapping ErrInvalidKey that names the variables, not their values. (A
// context holding both is refused by ClarifaiConfig.) An invalid value in the
// environment, or a config file that cannot be read or parsed, stops the
// search with its error rather than fall back to another credential. When
// neither place has a key, the error wraps ErrNoKey, lists what each place
// lacked and says how to fix it.
//
// Default does no I/O when called; it is meant to be called once, at set-up.
// Its Key costs a few environment lookups and, when the environment has no
// key, the config source's in-memory answer; it does not allocate when it
// finds a key.
func Default() Source {
	return &defaultSource{env: Env(), config: ClarifaiConfig("")}
}

type defaultSource struct {
	env    Source
	config *ConfigSource
}

// errEnvConflict is built once so that the check costs nothing per call.
var errEnvConflict = fmt.Errorf("%w: environment variables %s (or %s) and %s are both set; Clarifai's SDKs refuse this too, unset one of them",
	ErrInvalidKey, EnvPAT, EnvAPIKey, EnvSessionToken)

func (d *defaultSource) Key(ctx context.Context) (Key, error) {
	k, envErr := d.env.Key(ctx)
	if envErr == nil {
		if k.Kind() != KindSessionToken && os.Getenv(EnvSessionToken) != "" {
			return Key{}, errEnvConflict
		}
		return k, nil
	}
	if !errors.Is(envErr, ErrNoKey) {
		return Key{}, envErr
	}
	k, cfgErr := d.config.Key(ctx)
	if cfgErr == nil {
		return k, nil
	}
	if !errors.Is(cfgErr, ErrNoKey) {
		return Key{}, cfgErr
	}
	return Key{}, &defaultMissError{env: envErr, config: cfgErr}
}

// String describes where Default looks.
func (d *defaultSource) String() string {
	return "default(" + describe(d.env) + " → " + d.config.String() + ")"
}

// defaultMissError says that Default found no key, where it looked and what
// to do about it.
type defaultMissError struct{ env, config error }

func (e *defaultMissError) Error() string {
	return "keysource: no Clarifai credential found: " + e.env.Error() + "; " + e.config.Error() +
		`; set CLARIFAI_PAT (a personal access token from your Clarifai security settings), or run "clarifai login"`
}

func (e *defaultMissError) Unwrap() []error { return []error{ErrNoKey, e.env, e.config} }
