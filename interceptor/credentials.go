package interceptor

import (
	"context"
	"fmt"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// PerRPCCredentials returns the interceptors' credentials as gRPC
// credentials, for grpc.WithPerRPCCredentials where an interceptor does not
// fit. It sees no call options and checks no replies.
//
// It sends a key only over a connection with privacy and integrity (TLS,
// ALTS) unless AllowInsecureTransport is among opts; a connection that
// reports another or no security level is refused with Unauthenticated. An
// override on a context whose metadata already holds a hand-written
// credential fails the call rather than send two.
func PerRPCCredentials(src keysource.Source, opts ...Option) credentials.PerRPCCredentials {
	return &perRPC{src: src, o: newOptions(opts)}
}

type perRPC struct {
	src keysource.Source
	o   *options
}

func (p *perRPC) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	if !p.o.allowInsecure && !secureTransport(ctx) {
		return nil, errInsecureTransport
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
	}
	tag := p.o.tag
	if len(md[requestTagHeader]) > 0 {
		tag = "" // a tag the caller set wins
	}
	if handWritten {
		// The caller's own header goes out as it is; add only the tag.
		if tag != "" {
			return map[string]string{requestTagHeader: tag}, nil
		}
		return nil, nil
	}
	if tag != "" {
		return map[string]string{k.HeaderName(): k.HeaderValue(), requestTagHeader: tag}, nil
	}
	return map[string]string{k.HeaderName(): k.HeaderValue()}, nil
}

func (p *perRPC) RequireTransportSecurity() bool { return !p.o.allowInsecure }

var errInsecureTransport = status.Error(codes.Unauthenticated, "clarifaiauth: refusing to send a Clarifai credential over a connection without transport security (see interceptor.AllowInsecureTransport)")

// secureTransport reports whether the call on ctx goes over a connection
// that says it has privacy and integrity. Unlike
// credentials.CheckSecurityLevel, it refuses a connection that reports no
// security level, or none it knows: a key is sent only where security is
// known.
func secureTransport(ctx context.Context) bool {
	ri, _ := credentials.RequestInfoFromContext(ctx)
	ci, ok := ri.AuthInfo.(interface {
		GetCommonAuthInfo() credentials.CommonAuthInfo
	})
	return ok && ci.GetCommonAuthInfo().SecurityLevel == credentials.PrivacyAndIntegrity
}
