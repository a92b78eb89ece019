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

// PerRPCCredentials returns the same credentials through gRPC's own hook,
// for grpc.WithPerRPCCredentials or grpc.PerRPCCredentials, where an
// interceptor does not fit.
//
// Precedence is that of the interceptors, without per-call Options, which
// gRPC does not show to credentials: CallKey given here, keysource.WithKey
// on the context, then a credential the caller wrote into the outgoing
// metadata (then this adds nothing, so one credential goes out), then src.
// Because gRPC only adds what credentials return, an override on a context
// whose metadata already holds a hand-written credential fails the call
// (Unauthenticated, wrapping keysource.ErrInvalidKey) rather than send two. Replies are not checked:
// use the interceptors for that.
//
// It refuses to send a key over a connection without transport security
// unless AllowInsecureTransport is among opts: RequireTransportSecurity
// reports true, so grpc.NewClient refuses insecure transport credentials,
// and every call checks that the connection reports the security level
// PrivacyAndIntegrity (TLS, ALTS); a connection that reports no level, or
// an unknown one, is refused too. Failures carry gRPC code
// Unauthenticated; no error holds a secret. Each call allocates the one-entry
// map that the PerRPCCredentials interface returns.
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
