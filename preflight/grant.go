package preflight

import (
	"slices"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/internal/scopename"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// scopeAll grants every scope.
const scopeAll = "All"

// Grant is what a key may do in one app, as [MyScopes] reports it: its
// operation scopes and its endpoint scopes, looked up by set. A Grant never
// changes and is safe for concurrent use. The zero Grant allows only
// methods that need no scopes.
type Grant struct {
	scopes, endpoints []string            // normalised, sorted, unique
	scopeSet          map[string]struct{} // scopes
	endpointSet       map[string]struct{} // endpoints
	all               bool                // scopes holds "All"
}

// newGrant returns the Grant of the given operation scopes ("Inputs:Add" or
// "Inputs_Add") and endpoint scopes (full method names, with or without the
// leading slash, or bare method names of clarifai.api.V2), normalised. It
// copies its arguments.
func newGrant(scopeList, endpoints []string) Grant {
	g := Grant{
		scopes:    make([]string, 0, len(scopeList)),
		endpoints: make([]string, 0, len(endpoints)),
	}
	for _, s := range scopeList {
		if s = scopename.Scope(strings.TrimSpace(s)); s != "" {
			g.scopes = append(g.scopes, s)
		}
	}
	for _, s := range endpoints {
		if s = scopename.Endpoint(s); s != "" {
			g.endpoints = append(g.endpoints, s)
		}
	}
	g.scopes, g.endpoints = scopename.SortUnique(g.scopes), scopename.SortUnique(g.endpoints)
	g.scopeSet = make(map[string]struct{}, len(g.scopes))
	for _, s := range g.scopes {
		g.scopeSet[s] = struct{}{}
	}
	g.endpointSet = make(map[string]struct{}, len(g.endpoints))
	for _, s := range g.endpoints {
		g.endpointSet[s] = struct{}{}
	}
	_, g.all = g.scopeSet[scopeAll]
	return g
}

// Scopes returns the grant's operation scopes, "Inputs:Add" spelling,
// sorted; "All" grants every scope. The slice is the caller's.
func (g Grant) Scopes() []string { return slices.Clone(g.scopes) }

// Endpoints returns the grant's endpoint scopes: full method names, such as
// "/clarifai.api.V2/PostInputs", that are allowed whatever the operation
// scopes say, sorted. The slice is the caller's.
func (g Grant) Endpoints() []string { return slices.Clone(g.endpoints) }

// Allows reports whether the grant covers req: when it holds "All", when
// req.Method is one of its endpoints, or when it holds every scope in
// req.Scopes (":" and "_" spellings compare equal). A requirement without
// scopes is always allowed.
func (g Grant) Allows(req scopes.Requirement) bool {
	if len(req.Scopes) == 0 || g.all {
		return true
	}
	if req.Method != "" && g.hasEndpoint(req.Method) {
		return true
	}
	for _, s := range req.Scopes {
		if !g.hasScope(s) {
			return false
		}
	}
	return true
}

// hasScope reports whether the grant holds s, in either spelling.
func (g Grant) hasScope(s string) bool {
	if _, ok := g.scopeSet[s]; ok {
		return true
	}
	if n := scopename.Scope(s); n != s {
		_, ok := g.scopeSet[n]
		return ok
	}
	return false
}

// hasEndpoint reports whether the grant holds the endpoint m, however m is
// spelled.
func (g Grant) hasEndpoint(m string) bool {
	if _, ok := g.endpointSet[m]; ok {
		return true
	}
	if n := scopename.Endpoint(m); n != m {
		_, ok := g.endpointSet[n]
		return ok
	}
	return false
}

// Missing returns what the grant lacks for req: the required scopes it does
// not hold and, as the alternative, req.Method as an endpoint scope. It
// returns nil, nil when [Grant.Allows] is true.
func (g Grant) Missing(req scopes.Requirement) (missing, endpoints []string) {
	if g.Allows(req) {
		return nil, nil
	}
	for _, s := range req.Scopes {
		if !g.hasScope(s) {
			missing = append(missing, scopename.Scope(s))
		}
	}
	if req.Method != "" {
		endpoints = []string{scopename.Endpoint(req.Method)}
	}
	return scopename.SortUnique(missing), endpoints
}

// size estimates the bytes g holds: each name's bytes, with the string
// headers and map entries that index it.
func (g Grant) size() int64 {
	const perName = 16 + 16 + 48 // slice entry, map key, map slot overhead
	n := int64(256)
	for _, list := range [][]string{g.scopes, g.endpoints} {
		for _, s := range list {
			n += int64(len(s)) + perName
		}
	}
	return n
}
