package keysource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
)

// Default returns the Source that finds credentials where Clarifai's SDKs
// find them, in the same order:
//
//  1. the environment, as Env() reads it: CLARIFAI_PAT (a KindPAT key), then
//     CLARIFAI_API_KEY (KindAPIKey), then CLARIFAI_SESSION_TOKEN
//     (KindSessionToken);
//  2. the current context of Clarifai's CLI config,
//     ClarifaiConfig("") (~/.config/clarifai/config).
//
// Like the SDKs, Default refuses to choose when the environment holds both a
// PAT (or an API key) and CLARIFAI_SESSION_TOKEN: Key then returns an error
// wrapping ErrInvalidKey that names the variables, not their values. (A
// context holding both is refused by ClarifaiConfig.) An invalid value in the
// environment, or a config file that cannot be read or parsed, stops the
// search with its error rather than fall back to another credential. When
// neither place has a key, the error wraps ErrNoKey and each place's answer,
// lists on its own line what each place lacked, and says how to fix it.
//
// Default does no I/O when called; it is meant to be called once, at set-up.
// Its Key costs a few environment lookups and, when the environment has no
// key, the config source's in-memory answer; it does not allocate when it
// finds a key. It implements Invalidator by passing the call to the config
// source.
//
// opts configure the CLI config source, as for ClarifaiConfig: for example
// ConfigContext(name) keeps to one context, so that a later switch of the
// CLI's current context (clarifai config use-context) does not change the
// key under a program that read that context's other settings.
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
