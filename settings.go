package clarifaiauth

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
)

// Settings is what NewClient resolves from its options, the environment
// and the Clarifai CLI: the server, the default user and app, and the key,
// each with where it came from. It holds the key only in redacted form.
type Settings struct {
	r settings.Resolved
}

// Resolve returns the settings NewClient would use with opts, reading the
// key as NewClient does (and a WithSource key too). It fails where
// NewClient would. An interceptor.WithUserApp given through
// WithInterceptorOptions is not shown: it wins over the user and app shown.
func Resolve(opts ...Option) (Settings, error) {
	o := newClientOptions(opts)
	r, _, err := o.resolve(context.Background(), true)
	if err != nil {
		return Settings{}, err
	}
	if r.Endpoint.Plaintext {
		if _, err := transportCredentials(context.Background(), r.Endpoint, o.icOpts); err != nil {
			return Settings{}, err
		}
	}
	return Settings{r}, nil
}

// String describes the settings on one line, e.g.
// `https://api.clarifai.com:443 (the default), user "me" ($CLARIFAI_USER_ID),
// app not set, key pat(…a1b2) ($CLARIFAI_PAT)`.
func (s Settings) String() string { return s.r.String() }
