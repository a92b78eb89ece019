package interceptor

import (
	"errors"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A server may echo the key it was sent ("API key not found: Key <secret>")
// in a reply's status text or in a gRPC error's message. Every error the
// interceptors return is passed through scrub first, so that such text
// reaches the caller with the key replaced by its redacted form
// (keysource.Key.String). It runs only on errors: a successful call pays
// nothing.

// scrub returns err with every occurrence of k's secret replaced by k's
// redacted form:
//   - in a *scopes.Error, its exported text fields, in place;
//   - in a gRPC status error, its message, in a rebuilt status that keeps
//     the code and details;
//   - in any other error, by a gRPC status error with err's code
//     (codes.Unknown when it has none) and the scrubbed text, which drops
//     err's chain: the chain would still reach the secret.
//
// An error that does not hold the secret is returned as it is.
func scrub(err error, k keysource.Key) error {
	secret := k.Secret()
	if err == nil || secret == "" {
		return err
	}
	var se *scopes.Error
	if errors.As(err, &se) && se != nil {
		scrubFields(se, secret, k.String())
		if error(se) == err {
			return err
		}
	}
	if !strings.Contains(err.Error(), secret) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return status.Error(codes.Unknown, strings.ReplaceAll(err.Error(), secret, k.String()))
	}
	p := st.Proto()
	p.Message = strings.ReplaceAll(p.Message, secret, k.String())
	return status.ErrorProto(p)
}

// scrubFields replaces secret by redacted in e's exported text fields.
func scrubFields(e *scopes.Error, secret, redacted string) {
	r := func(s *string) {
		if strings.Contains(*s, secret) {
			*s = strings.ReplaceAll(*s, secret, redacted)
		}
	}
	r(&e.Method)
	r(&e.Description)
	r(&e.Details)
	r(&e.ReqID)
	for i := range e.Missing {
		r(&e.Missing[i])
	}
	for i := range e.MissingEndpoints {
		r(&e.MissingEndpoints[i])
	}
	if e.Status != nil && strings.Contains(e.Status.Message(), secret) {
		p := e.Status.Proto()
		p.Message = strings.ReplaceAll(p.Message, secret, redacted)
		e.Status = status.FromProto(p)
	}
}
