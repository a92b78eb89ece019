package keysource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
)

// Default returns the Source that finds a credential where Clarifai's SDKs
// do: the environment (Env()), then the CLI's login (ClarifaiConfig("",
// opts...)). Like the SDKs it refuses a PAT or API key together with
// CLARIFAI_SESSION_TOKEN. Without a key, the error says where it looked.
func Default(opts ...Option) Source {
	return &defaultSource{env: Env(), config: ClarifaiConfig("", opts...).(*configSource)}
}

type defaultSource struct {
	env    Source
	config *configSource
}

// errEnvConflict is built once so that the check costs nothing per call.
var errEnvConflict = fmt.Errorf("%w: environment variables %s (or %s) and %s are both set; Clarifai's SDKs refuse this too, unset one of them",
	ErrInvalidKey, cliconfig.EnvPAT, cliconfig.EnvAPIKey, cliconfig.EnvSessionToken)

func (d *defaultSource) Key(ctx context.Context) (Key, error) {
	k, envErr := d.env.Key(ctx)
	if envErr == nil {
		if k.Kind() != KindSessionToken && os.Getenv(cliconfig.EnvSessionToken) != "" {
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
	return Key{}, &defaultMissError{env: envErr, config: cfgErr, names: []string{describe(d.env), d.config.String()}}
}

// Invalidate passes the call to the config source: the environment has
// nothing to refresh.
func (d *defaultSource) Invalidate(k Key) { d.config.Invalidate(k) }

// String describes where Default looks.
func (d *defaultSource) String() string {
	return "default(" + describe(d.env) + " → " + d.config.String() + ")"
}

// defaultMissError says that Default found no key, where it looked and what
// to do about it.
type defaultMissError struct {
	env, config error
	names       []string
}

func (e *defaultMissError) Error() string {
	var b strings.Builder
	b.WriteString("keysource: no Clarifai credential found; looked in:")
	listMisses(&b, e.names, []error{e.env, e.config}, "  - ")
	b.WriteString("\nset CLARIFAI_PAT (a personal access token from your Clarifai security settings), or run \"clarifai login\"")
	return b.String()
}

func (e *defaultMissError) Unwrap() []error { return []error{ErrNoKey, e.env, e.config} }
