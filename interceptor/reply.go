package interceptor

import (
	"slices"

	"github.com/grpc-keyauth/clarifaiauth/internal/replystatus"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// WithStatusCheck chooses which in-band Clarifai status codes become
// errors: a reply whose code makes failed return true becomes a
// *scopes.Error. The default is scopes.Code.Failed; nil turns the check
// off, leaving resp.Status.Code to the caller.
func WithStatusCheck(failed func(scopes.Code) bool) CallOption {
	return &callOption{kind: optFailed, failed: failed}
}

// checkReply turns reply into a *scopes.Error if its Clarifai status is a
// failure that failed reports; a nil failed checks nothing.
func (o *options) checkReply(failed func(scopes.Code) bool, method string, reply any) error {
	if failed == nil {
		return nil
	}
	err := replystatus.Check(method, reply, failed)
	if se, ok := err.(*scopes.Error); ok && o.preflight != nil {
		if req, ok := preflightRequired(o.preflight, method); ok {
			// A copy: the catalog's cached slice must not be reachable
			// through an error the caller may modify.
			req.Scopes = slices.Clone(req.Scopes)
			se.Required = req
		}
	}
	return err
}

// endsStream reports whether a failed status code in a stream's reply ends
// the stream: in its first reply (the request itself was refused), or a
// connection-level one (11xxx: key, scopes, limits, throttling) in any.
// A failure in a later reply is delivered, as Clarifai's prediction
// streams report a failed item and go on with the next.
func endsStream(code scopes.Code, first bool) bool {
	return first || connectionLevel(code)
}

// connectionLevel reports whether code is one of Clarifai's connection-level
// codes (CONN_*: key, scopes, limits, throttling).
func connectionLevel(code scopes.Code) bool { return wire.IsConnCode(int32(code)) }
