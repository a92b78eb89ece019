// Package redact makes errors from a server safe to hand to a caller: the
// call's secret replaced by its redacted form, should the server echo it,
// and gRPC error text on one bounded, printable line.
package redact

import (
	"errors"

	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
)

// Error returns err with every occurrence of k's secret replaced by k's
// redacted form (keysource.Key.String), and a gRPC status message cleaned
// (one line, at most cleantext.MaxLine bytes, no control or format
// characters):
//   - in a *scopes.Error, its exported text fields and Status, in place;
//   - in a gRPC status error, its message and its details, in a rebuilt
//     status that keeps the code (see scrubStatus);
//   - in any other error, by a gRPC status error with err's code
//     (codes.Unknown when it has none) and the scrubbed text, which drops
//     err's chain: the chain would still reach the secret.
//
// An error that needs none of this is returned as it is.
func Error(err error, k keysource.Key) error {
	if err == nil {
		return nil
	}
	secret, redacted := k.Secret(), k.String()
	var se *scopes.Error
	if errors.As(err, &se) && se != nil {
		scrubFields(se, secret, redacted)
		if error(se) == err {
			return err
		}
	}
	st, ok := status.FromError(err)
	if !ok {
		if !cleantext.ContainsSecret(err.Error(), secret) {
			return err
		}
		return status.Error(codes.Unknown, cleantext.ReplaceSecret(err.Error(), secret, redacted))
	}
	if p, changed := scrubStatus(st.Proto(), secret, redacted); changed {
		return status.ErrorProto(p)
	}
	return err
}

// scrubStatus replaces secret by redacted in p's message and details,
// cleans the message, and reports whether anything changed. A Clarifai status in the details has its
// text fields scrubbed (any other field holding the secret is dropped); any
// other detail holding the secret is dropped whole, since its layout is
// unknown.
func scrubStatus(p *spb.Status, secret, redacted string) (*spb.Status, bool) {
	msg := cleantext.String(cleantext.ReplaceSecret(p.Message, secret, redacted), cleantext.MaxLine)
	changed := msg != p.Message
	p.Message = msg
	if secret == "" {
		return p, changed
	}
	kept := p.Details[:0:0]
	for _, d := range p.Details {
		switch {
		case !cleantext.ContainsSecret(string(d.GetValue()), secret):
			kept = append(kept, d)
		case wire.IsStatusURL(d.GetTypeUrl()):
			kept = append(kept, &anypb.Any{TypeUrl: d.GetTypeUrl(), Value: wire.RewriteStatus(d.GetValue(), secret, redacted)})
			changed = true
		default:
			changed = true
		}
	}
	if changed {
		p.Details = kept
	}
	return p, changed
}

// scrubFields replaces secret by redacted in e's exported text fields.
func scrubFields(e *scopes.Error, secret, redacted string) {
	r := func(s *string) {
		*s = cleantext.ReplaceSecret(*s, secret, redacted)
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
	if e.Status != nil {
		if p, changed := scrubStatus(e.Status.Proto(), secret, redacted); changed {
			e.Status = status.FromProto(p)
		}
	}
}
