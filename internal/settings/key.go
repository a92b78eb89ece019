package settings

import (
	"context"
	"fmt"

	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// KeyOrigin tells which place keysource.Default took key from: one of the
// environment variables it reads, or the CLI's config.
func KeyOrigin(ctx context.Context, key keysource.Key) string {
	for _, name := range []string{cliconfig.EnvPAT, cliconfig.EnvAPIKey, cliconfig.EnvSessionToken} {
		if k, err := keysource.Env(name).Key(ctx); err == nil && k.Equal(key) {
			return "$" + name
		}
	}
	return fmt.Sprint(keysource.ClarifaiConfig(""))
}
