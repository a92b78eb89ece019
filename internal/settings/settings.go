// Package settings resolves what a connection to the Clarifai API uses: the
// API base, the default user and app, and where the key comes from, from an
// option or flag, then the environment, then the Clarifai CLI's current
// context, then Clarifai's defaults, and says where each came from.
// clarifaiauth.NewClient, clarifaiauth.Resolve and keycheck share it.
package settings

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/cache"
	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// Where a setting came from, when not from an option or flag.
const (
	FromDefault = "the default"
	FromUnset   = "not set"
)

// ReadTimeout bounds each read of a file NewClient or keycheck makes when
// the caller set no deadline: the CLI's config, the CA bundle, a key.
const ReadTimeout = 5 * time.Second

// Value is one setting and where it came from: the option or flag that set
// it ("WithAPIBase", "-addr"), "$NAME" for an environment variable,
// `the Clarifai CLI context "name"`, or FromDefault.
type Value struct {
	Value string
	From  string
}

// Input is what the caller's options or flags set.
type Input struct {
	// APIBase is the API base an option or flag gave (Value "" when none),
	// and the option or flag's name.
	APIBase Value
	// UserID and AppID are the default user and app a flag gave, each
	// winning over the environment and the CLI.
	UserID, AppID Value
	// UserAppGiven is true when the caller set the default user and app
	// itself, even to none: UserID and AppID are then taken as they are,
	// and neither the environment nor the CLI is asked for them.
	UserAppGiven bool
	// KeyGiven is true when the caller gave the key's source. A key in the
	// environment counts as given too: keysource.Default takes it first.
	// The CLI's config is then read only for settings nothing else gives.
	KeyGiven bool
	// Strict makes a CLI config that cannot be read an error whenever any
	// setting would come from it, not only the API base.
	Strict bool
}

// Resolved is the outcome of Resolve.
type Resolved struct {
	APIBase, UserID, AppID Value
	Endpoint               Endpoint
	// Context is the name of the CLI context the settings were read from,
	// "" when the CLI's config was not read or has no current context. The
	// key of a NewClient without a source of its own comes from this
	// context, so that a later switch of the CLI's current context does not
	// send another context's key to this server.
	Context string
	// Key is the key's redacted form and where it came from, when the
	// caller read it.
	Key Value
}

// Resolve resolves in against the environment and, where needed, the
// Clarifai CLI's config. A config that exists but cannot be read is an
// error when the API base would come from it (with Strict, any setting). For an API base it cannot
// use it fails too, returning the other settings with the error.
func Resolve(ctx context.Context, in Input) (Resolved, error) {
	envBase := os.Getenv(cliconfig.EnvAPIBase)
	envUser, envApp := os.Getenv(cliconfig.EnvUserID), os.Getenv(cliconfig.EnvAppID)
	// The CLI's config is read only for what nothing else gives. One that
	// cannot be read is an error when the server would come from it:
	// ignoring it could send the key to the wrong server. A default user
	// and app missing for it fail visibly at the first call instead.
	if in.UserAppGiven {
		envUser, envApp = "", ""
	}
	needBase := in.APIBase.Value == "" && envBase == ""
	needUserApp := !in.UserAppGiven && (in.UserID.Value == "" && envUser == "" || in.AppID.Value == "" && envApp == "")
	needKey := !in.KeyGiven && !keyInEnv(ctx)
	var (
		name string
		cli  cliconfig.Settings
	)
	if needBase || needUserApp || needKey {
		var err error
		name, cli, err = currentContext(ctx)
		if err != nil && (needBase || in.Strict && needUserApp) {
			return Resolved{}, err
		}
	}
	fromCLI := fmt.Sprintf("the Clarifai CLI context %s", cliconfig.DescribeName(name))
	r := Resolved{Context: name}
	r.APIBase = first(in.APIBase,
		Value{envBase, "$" + cliconfig.EnvAPIBase},
		Value{cli.APIBase, fromCLI},
		Value{cliconfig.DefaultAPIBase, FromDefault})
	r.UserID = first(in.UserID, Value{envUser, "$" + cliconfig.EnvUserID}, Value{cli.UserID, fromCLI})
	r.AppID = first(in.AppID, Value{envApp, "$" + cliconfig.EnvAppID}, Value{cli.AppID, fromCLI})
	if in.UserAppGiven {
		r.UserID, r.AppID = given(in.UserID), given(in.AppID)
	}
	ep, err := ParseAPIBase(r.APIBase.Value)
	if err != nil {
		return r, fmt.Errorf("%w (the API base from %s)", err, r.APIBase.From)
	}
	r.Endpoint = ep
	return r, nil
}

// given is v as the caller gave it, "not set" when empty.
func given(v Value) Value {
	if v.Value == "" {
		return Value{From: FromUnset}
	}
	return v
}

// keyInEnv reports whether keysource.Default would take its key from the
// environment (or fail there) without reading the CLI's config.
func keyInEnv(ctx context.Context) bool {
	_, err := keysource.Env().Key(ctx)
	return !errors.Is(err, keysource.ErrNoKey)
}

// currentContext reads the CLI's current context within ctx's deadline
// (ReadTimeout if it has none), however the file behaves.
func currentContext(ctx context.Context) (string, cliconfig.Settings, error) {
	type result struct {
		name string
		s    cliconfig.Settings
		err  error
	}
	res, err := Bounded(ctx, func(ctx context.Context) (result, error) {
		name, s, err := cliconfig.Current(ctx)
		return result{name, s, err}, err
	})
	if err != nil {
		return "", cliconfig.Settings{}, fmt.Errorf("clarifaiauth: the Clarifai CLI's config: %w", err)
	}
	return res.name, res.s, nil
}

// Bounded runs f with ctx, bounded by ReadTimeout when ctx has no
// deadline, and returns when ctx ends even if f does not (cache.Run): a
// read of a file that stats as regular but blocks (a hung network mount,
// /proc/kmsg) holds no caller past it.
func Bounded[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	start := time.Now()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ReadTimeout)
		defer cancel()
	}
	v, err := cache.Run(ctx, 0, f)
	if err != nil && ctx.Err() != nil {
		var zero T
		return zero, fmt.Errorf("gave up reading after %v: %w", time.Since(start).Round(time.Millisecond), ctx.Err())
	}
	return v, err
}

func first(vals ...Value) Value {
	for _, v := range vals {
		if v.Value != "" {
			return v
		}
	}
	return Value{From: FromUnset}
}

// String describes r on one line, e.g.
// `https://api.clarifai.com:443 (the default), user "u" ($CLARIFAI_USER_ID),
// app not set, key pat(…a1b2) ($CLARIFAI_PAT)`.
func (r Resolved) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)", r.Endpoint, r.APIBase.From)
	for _, s := range []struct {
		what string
		v    Value
	}{{"user", r.UserID}, {"app", r.AppID}} {
		if s.v.Value == "" {
			fmt.Fprintf(&b, ", %s not set", s.what)
			continue
		}
		fmt.Fprintf(&b, ", %s %s (%s)", s.what, cliconfig.DescribeName(s.v.Value), s.v.From)
	}
	if r.Key.Value != "" {
		fmt.Fprintf(&b, ", key %s (%s)", r.Key.Value, r.Key.From)
	}
	return b.String()
}
