package interceptor

import (
	"context"
	"fmt"

	"github.com/grpc-keyauth/clarifaiauth/internal/callsecret"
	"github.com/grpc-keyauth/clarifaiauth/internal/localerr"
	"github.com/grpc-keyauth/clarifaiauth/internal/transportsec"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
)

// PerRPCCredentials returns the interceptors' credentials as gRPC
// credentials, for grpc.WithPerRPCCredentials where an interceptor does not
// fit. It sees no request or reply: it takes only CredentialsOptions,
// refuses personal access tokens, and returns gRPC's errors unscrubbed. It
// sends a key only where the interceptors would (docs/client.md).
func PerRPCCredentials(src keysource.Source, opts ...CredentialsOption) credentials.PerRPCCredentials {
	all := make([]Option, len(opts))
	for i, opt := range opts {
		all[i] = opt
	}
	return &perRPC{src: src, o: newOptions(all)}
}

type perRPC struct {
	src keysource.Source
	o   *options
}

func (p *perRPC) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	if !p.o.allowInsecure {
		if err := transportsec.Check(ctx); err != nil {
			return nil, err
		}
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	k, _, handWritten, err := resolve(ctx, p.src, &p.o.call, md)
	if err != nil {
		return nil, keyError(ctx, err)
	}
	if !handWritten {
		// gRPC adds what this returns to the outgoing metadata and cannot
		// remove anything from it: an override over a hand-written header
		// would send two credentials, so refuse it.
		if _, written, _ := fromMetadata(md); written {
			return nil, keyError(ctx, fmt.Errorf("%w: the context carries a keysource override and the outgoing metadata a credential written by hand; PerRPCCredentials cannot replace metadata, so send one of them (or use the interceptors, which can)", keysource.ErrInvalidKey))
		}
		if k.Kind() == keysource.KindPAT {
			return nil, errPATWithoutRequest
		}
		// A stats handler (clarifaiotel) sees no per-RPC credential in the
		// call's headers: tell it what to cut out of the server's text.
		callsecret.Record(ctx, k)
	}
	tag := p.o.tag
	if len(md[wire.HeaderRequestTag]) > 0 {
		tag = "" // a tag the caller set wins
	}
	if handWritten {
		// The caller's own header goes out as it is; add only the tag.
		if tag != "" {
			return map[string]string{wire.HeaderRequestTag: tag}, nil
		}
		return nil, nil
	}
	if tag != "" {
		return map[string]string{headerName(k): headerValue(k), wire.HeaderRequestTag: tag}, nil
	}
	return map[string]string{headerName(k): headerValue(k)}, nil
}

func (p *perRPC) RequireTransportSecurity() bool { return !p.o.allowInsecure }

// errPATWithoutRequest refuses a personal access token on PerRPCCredentials.
var errPATWithoutRequest error = localerr.New(codes.Unauthenticated, "clarifaiauth: PerRPCCredentials cannot send a personal access token: it sees no request, so it cannot check that each one names its user and app; "+
	"use interceptor.UnaryClient and StreamClient (or clarifaiauth.DialOptions), or an API key; call not sent")
