// Package cliconfig reads the configuration file of Clarifai's command-line
// tool (clarifai login, clarifai config): one pure parser (Parse), a bounded
// reader that never blocks on a FIFO or device (ReadFile), and Load, which
// joins the two for code that needs a context's settings.
//
// The file is YAML: current_context names the active context, and contexts
// maps each context name to its settings (CLARIFAI_PAT, CLARIFAI_USER_ID,
// CLARIFAI_API_BASE, …), written directly under the name (current CLI
// versions) or under an env: mapping (older versions); as in the Python SDK,
// when a context has an env: mapping only that mapping counts. A value of
// exactly ENVVAR means "read the environment variable of the same name".
//
// Nothing taken from the file appears in an error unless it cannot be a
// secret (see PrintableName): a PAT pasted in the wrong spot must not end up
// in a log.
package cliconfig

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Names of the settings a context holds, as Clarifai's SDKs name the
// environment variables.
const (
	EnvPAT          = "CLARIFAI_PAT"
	EnvAPIKey       = "CLARIFAI_API_KEY" // read from the environment only
	EnvSessionToken = "CLARIFAI_SESSION_TOKEN"
	EnvUserID       = "CLARIFAI_USER_ID"
	EnvAppID        = "CLARIFAI_APP_ID"
	EnvAPIBase      = "CLARIFAI_API_BASE"
	EnvUI           = "CLARIFAI_UI"
)

// Defaults Clarifai's SDKs use when neither the environment nor the context
// sets CLARIFAI_API_BASE or CLARIFAI_UI.
const (
	DefaultAPIBase = "https://api.clarifai.com"
	DefaultUI      = "https://clarifai.com"
)

// EnvVar is the value that tells the CLI "read this setting from the
// environment variable of the same name".
const EnvVar = "ENVVAR"

var (
	// ErrEmpty means the file holds no YAML document: also what a reader
	// sees between the CLI's truncation of the file and its write.
	ErrEmpty = errors.New("the file is empty")
	// ErrNoContext means the file sets no current_context (and none was
	// asked for), or has no context of the name wanted.
	ErrNoContext = errors.New("no context to read")
)

// contextError says which context is missing; it wraps ErrNoContext.
type contextError struct{ msg string }

func (e *contextError) Error() string        { return e.msg }
func (e *contextError) Is(target error) bool { return target == ErrNoContext }

// Settings are the settings of a context that address Clarifai, beside the
// credential. They hold no secret. A field is "" when the context does not
// set it; Parse leaves EnvVar as it is, Resolve replaces it.
type Settings struct {
	UserID, AppID string // CLARIFAI_USER_ID, CLARIFAI_APP_ID
	APIBase       string // CLARIFAI_API_BASE
	UI            string // CLARIFAI_UI
}

// Resolve returns s with every EnvVar value replaced by getenv of the
// setting's variable name ("" when it is unset).
func (s Settings) Resolve(getenv func(string) string) Settings {
	r := func(name, v string) string {
		if v == EnvVar {
			return getenv(name)
		}
		return v
	}
	return Settings{
		UserID:  r(EnvUserID, s.UserID),
		AppID:   r(EnvAppID, s.AppID),
		APIBase: r(EnvAPIBase, s.APIBase),
		UI:      r(EnvUI, s.UI),
	}
}

// Credentials are a context's secrets as the file states them (EnvVar
// included). Every fmt verb prints them redacted.
type Credentials struct {
	PAT          string // CLARIFAI_PAT
	SessionToken string // CLARIFAI_SESSION_TOKEN
}

// Format prints no secret, whatever the verb.
func (Credentials) Format(f fmt.State, _ rune) { fmt.Fprint(f, "cliconfig.Credentials{…}") }

// Context is one context of the file.
type Context struct {
	// Name is the context's name. It comes from the file (or the caller):
	// print it only through DescribeName.
	Name        string
	Settings    Settings
	Credentials Credentials
}

// Parse returns the context called name, or the file's current_context when
// name is "". It does no I/O and reads no environment variable.
//
// Errors never quote the file: they give a line number and what was wrong.
// A file with no document gives an error wrapping ErrEmpty; no
// current_context (with name ""), or no context of that name, an error
// wrapping ErrNoContext; anything else (malformed YAML, a file not shaped
// like the CLI's) an error wrapping neither.
func Parse(data []byte, name string) (Context, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Context{}, fmt.Errorf("malformed YAML: %s", scrub(err.Error()))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return Context{}, ErrEmpty
	}
	root := deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return Context{}, shapeErr(root, "the file must be a mapping with current_context and contexts")
	}
	var f file
	if err := root.Decode(&f); err != nil {
		var se *shapeError
		if errors.As(err, &se) {
			return Context{}, se
		}
		return Context{}, fmt.Errorf("malformed YAML: %s", scrub(err.Error()))
	}
	which := "asked for"
	if name == "" {
		name, which = string(f.Current), "its current_context"
	}
	if name == "" {
		return Context{}, &contextError{"it sets no current_context"}
	}
	n := f.Contexts.find(name)
	if n == nil {
		return Context{}, &contextError{"it has no context " + DescribeName(name) + " (" + which + "); " + f.Contexts.describe()}
	}
	values, err := contextValues(name, n)
	if err != nil {
		return Context{}, err
	}
	return Context{
		Name: name,
		Settings: Settings{
			UserID:  lookup(values, EnvUserID),
			AppID:   lookup(values, EnvAppID),
			APIBase: lookup(values, EnvAPIBase),
			UI:      lookup(values, EnvUI),
		},
		Credentials: Credentials{
			PAT:          lookup(values, EnvPAT),
			SessionToken: lookup(values, EnvSessionToken),
		},
	}, nil
}

// file is the top level of the CLI's config; yaml does the walking.
type file struct {
	Current  contextName `yaml:"current_context"`
	Contexts contextMap  `yaml:"contexts"`
}

// contextName is current_context: a scalar, or null.
type contextName string

func (c *contextName) UnmarshalYAML(n *yaml.Node) error {
	n = deref(n)
	switch {
	case isNull(n):
		return nil
	case n.Kind != yaml.ScalarNode:
		return shapeErr(n, "current_context must be a context name")
	}
	*c = contextName(n.Value)
	return nil
}

// contextMap keeps the contexts in file order, each as its node: only the
// one asked for is walked further.
type contextMap struct {
	names []string
	nodes []*yaml.Node
}

func (m *contextMap) UnmarshalYAML(n *yaml.Node) error {
	n = deref(n)
	switch {
	case isNull(n):
		return nil
	case n.Kind != yaml.MappingNode:
		return shapeErr(n, "contexts must be a mapping from context names to settings")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return shapeErr(k, "a context name must be a scalar")
		}
		m.names = append(m.names, k.Value)
		m.nodes = append(m.nodes, deref(n.Content[i+1]))
	}
	return nil
}

// find returns the node of the last context called name, as a YAML decoder
// into a map would.
func (m *contextMap) find(name string) *yaml.Node {
	for i := len(m.names) - 1; i >= 0; i-- {
		if m.names[i] == name {
			return m.nodes[i]
		}
	}
	return nil
}

// describe lists the contexts that may be printed, for an error.
func (m *contextMap) describe() string {
	if len(m.names) == 0 {
		return "it has no contexts"
	}
	return "it has " + DescribeNames(m.names)
}

// contextValues collects a context's scalar settings, from its env: mapping
// when it has one, else from the context itself. Nested mappings and nulls
// are not settings; the Python SDK skips them too.
func contextValues(name string, n *yaml.Node) (map[string]string, error) {
	values := map[string]string{}
	if isNull(n) {
		return values, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, shapeErr(n, "context "+DescribeName(name)+" must be a mapping of settings")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k.Kind != yaml.ScalarNode || k.Value != "env" {
			continue
		}
		env := deref(n.Content[i+1])
		if isNull(env) {
			return values, nil
		}
		if env.Kind != yaml.MappingNode {
			return nil, shapeErr(env, "env of context "+DescribeName(name)+" must be a mapping of settings")
		}
		n = env
		break
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode || isNull(v) {
			continue
		}
		values[k.Value] = v.Value
	}
	return values, nil
}

// lookup returns the context's value for a CLARIFAI_* name. Like the Python
// SDK, it falls back to the short lower-case form ("user_id" for
// CLARIFAI_USER_ID). Names are compared byte for byte: no Unicode case
// folding can make another key match.
func lookup(values map[string]string, name string) string {
	if v, ok := values[name]; ok {
		return v
	}
	return values[asciiLower(strings.TrimPrefix(name, "CLARIFAI_"))]
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// shapeError reports a file whose YAML is valid but not shaped like the
// CLI's config. It gives the line, never the value found there.
type shapeError struct {
	line int
	what string
}

func (e *shapeError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.what) }

func shapeErr(n *yaml.Node, what string) error { return &shapeError{line: n.Line, what: what} }

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}
