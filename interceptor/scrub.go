package interceptor

import (
	"bytes"
	"errors"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/anypb"
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
//   - in a gRPC status error, its message and its details, in a rebuilt
//     status that keeps the code (see scrubStatus);
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
	st, ok := status.FromError(err)
	if !ok {
		if !strings.Contains(err.Error(), secret) {
			return err
		}
		return status.Error(codes.Unknown, strings.ReplaceAll(err.Error(), secret, k.String()))
	}
	if p, changed := scrubStatus(st.Proto(), secret, k.String()); changed {
		return status.ErrorProto(p)
	}
	return err
}

// clarifaiStatus is the type URL suffix of the Clarifai status Clarifai's
// servers pack into a gRPC status's details.
const clarifaiStatus = "/clarifai.api.status.Status"

// clarifaiStatusText are the string fields of clarifai.api.status.Status:
// description, details, stack_trace (repeated), req_id, internal_details,
// developer_notes.
var clarifaiStatusText = map[protowire.Number]bool{2: true, 3: true, 4: true, 7: true, 8: true, 10: true}

// scrubStatus replaces secret by redacted in p's message and details, and
// reports whether anything changed. A Clarifai status in the details has its
// text fields scrubbed (any other field holding the secret is dropped); any
// other detail holding the secret is dropped whole, since its layout is
// unknown.
func scrubStatus(p *spb.Status, secret, redacted string) (*spb.Status, bool) {
	changed := false
	if strings.Contains(p.Message, secret) {
		p.Message = strings.ReplaceAll(p.Message, secret, redacted)
		changed = true
	}
	kept := p.Details[:0:0]
	for _, d := range p.Details {
		switch {
		case !bytes.Contains(d.GetValue(), []byte(secret)):
			kept = append(kept, d)
		case strings.HasSuffix(d.GetTypeUrl(), clarifaiStatus):
			kept = append(kept, &anypb.Any{TypeUrl: d.GetTypeUrl(), Value: scrubClarifaiStatus(d.GetValue(), secret, redacted)})
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

// scrubClarifaiStatus re-encodes a clarifai.api.status.Status with secret
// replaced in its text fields and any other field that holds it dropped.
// Malformed bytes end the copy where they start.
func scrubClarifaiStatus(b []byte, secret, redacted string) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			break
		}
		field := b[:n+m]
		b = b[n+m:]
		if !bytes.Contains(field, []byte(secret)) {
			out = append(out, field...)
			continue
		}
		if typ != protowire.BytesType || !clarifaiStatusText[num] {
			continue
		}
		v, _ := protowire.ConsumeBytes(field[n:])
		out = protowire.AppendTag(out, num, protowire.BytesType)
		out = protowire.AppendString(out, strings.ReplaceAll(string(v), secret, redacted))
	}
	return out
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
	if e.Status != nil {
		if p, changed := scrubStatus(e.Status.Proto(), secret, redacted); changed {
			e.Status = status.FromProto(p)
		}
	}
}
