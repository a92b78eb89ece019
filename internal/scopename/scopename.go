// Package scopename spells Clarifai scope and endpoint names one way.
package scopename

import (
	"slices"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// IsUpper reports whether c is an ASCII upper-case letter.
func IsUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// IsIdent reports whether w is a protobuf identifier.
func IsIdent(w string) bool {
	if w == "" || (w[0] >= '0' && w[0] <= '9') {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= 'a' && c <= 'z') && !IsUpper(c) && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

// IsEndpoint reports whether w is a full gRPC method name,
// "/pkg.Service/Method" with or without the leading slash; the package is
// required so that ordinary "a/b" words are not taken.
func IsEndpoint(w string) bool {
	w = strings.TrimPrefix(w, "/")
	svc, meth, ok := strings.Cut(w, "/")
	if !ok || !IsIdent(meth) || !IsUpper(meth[0]) || !strings.Contains(svc, ".") {
		return false
	}
	for part, rest, more := "", svc, true; more; {
		part, rest, more = strings.Cut(rest, ".")
		if !IsIdent(part) {
			return false
		}
	}
	return true
}

// Endpoint returns an endpoint scope as a full method name with
// its leading slash: "clarifai.api.V2/PostInputs" and " /clarifai.api.V2/PostInputs"
// become "/clarifai.api.V2/PostInputs", and a bare method name ("PostInputs")
// is taken to be one of clarifai.api.V2. Other text is returned trimmed.
func Endpoint(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return s
	case IsEndpoint(s):
		if s[0] != '/' {
			return "/" + s
		}
		return s
	case IsIdent(s) && IsUpper(s[0]):
		return wire.ServiceV2 + s
	}
	return s
}

// Scope returns s with its first '_' turned into ':' when s has no
// ':' already ("Inputs_Add" → "Inputs:Add").
func Scope(s string) string {
	if strings.IndexByte(s, ':') >= 0 {
		return s
	}
	if i := strings.IndexByte(s, '_'); i >= 0 {
		return s[:i] + ":" + s[i+1:]
	}
	return s
}

// SortUnique sorts list and removes duplicates in place; nil stays nil.
func SortUnique(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	slices.Sort(list)
	return slices.Compact(list)
}
