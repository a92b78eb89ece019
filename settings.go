package clarifaiauth

import (
	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
)

// Settings is what NewClient resolves from its options, the environment
// and the Clarifai CLI: the server, the default user and app, and the key,
// each with where it came from. It holds the key only in redacted form.
type Settings struct {
	r settings.Resolved
}

// Resolve returns the settings NewClient would use with opts, and where
// each came from: the API base from WithAPIBase, CLARIFAI_API_BASE, the
// Clarifai CLI's context or the default; the default app from
// interceptor.WithUserApp, CLARIFAI_USER_ID and CLARIFAI_APP_ID, or the CLI
// context; the key from WithSource or keysource.Default(). It reads the
// key, and fails where NewClient would.
func Resolve(opts ...Option) (Settings, error) {
	o := newClientOptions(opts)
	if o.ic.Err != nil {
		return Settings{}, o.ic.Err
	}
	ctx, cancel, err := o.readContext()
	if err != nil {
		return Settings{}, err
	}
	defer cancel()
	r, _, err := o.resolve(ctx, true)
	if err != nil {
		return Settings{}, err
	}
	if r.Endpoint.Plaintext {
		if _, err := transportCredentials(ctx, r, o.ic); err != nil {
			return Settings{}, err
		}
	}
	return Settings{r}, nil
}

// String describes the settings on one line, e.g.
// `https://api.clarifai.com:443 (the default), user "me" ($CLARIFAI_USER_ID),
// app not set, key pat(…a1b2) ($CLARIFAI_PAT)`.
func (s Settings) String() string { return s.r.String() }

// GoString is String, so that %#v shows no more than %v does.
func (s Settings) GoString() string { return s.String() }
