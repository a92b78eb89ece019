package interceptor

import (
	"context"

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
// Precedence is that of the interceptors without CallKey, which gRPC does
// not show to credentials: keysource.WithKey on the context, then a
// credential the caller wrote into the outgoing metadata (then this adds
// nothing, so one credential goes out), then src. Replies are not checked:
// use the interceptors for that.
//
// It refuses to send a key over a connection without transport security
// (RequireTransportSecurity reports true and every call is checked) unless
// AllowInsecureTransport is among opts. Failures carry gRPC code
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
	if !p.o.allowInsecure {
		ri, _ := credentials.RequestInfoFromContext(ctx)
		if err := credentials.CheckSecurityLevel(ri.AuthInfo, credentials.PrivacyAndIntegrity); err != nil {
			return nil, status.Error(codes.Unauthenticated, "clarifaiauth: refusing to send a Clarifai credential over a connection without transport security (see interceptor.AllowInsecureTransport)")
		}
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	k, _, handWritten, err := resolve(ctx, p.src, nil, md)
	if err != nil {
		return nil, keyError(err)
	}
	if handWritten {
		// The caller's own header goes out as it is; add only the tag.
		if p.o.tag != "" {
			return map[string]string{RequestIDPrefixHeader: p.o.tag}, nil
		}
		return nil, nil
	}
	if p.o.tag != "" {
		return map[string]string{k.HeaderName(): k.HeaderValue(), RequestIDPrefixHeader: p.o.tag}, nil
	}
	return map[string]string{k.HeaderName(): k.HeaderValue()}, nil
}

func (p *perRPC) RequireTransportSecurity() bool { return !p.o.allowInsecure }
