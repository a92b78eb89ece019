package clarifaifake

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoregistry"
)

// requirement is what one method needs, read from its options (as
// scopes.Requirement says it for a client).
type requirement struct {
	// Method is the full method name, e.g. "/clarifai.api.V2/PostInputs".
	Method string
	// AuthType is the method's cl_auth_type as Clarifai's enum spells it:
	// "KeyAuth" (API key or PAT), "PATAuth", "SessionTokenAuth", "NoAuth",
	// "AdminAuth", or "undef" when the option is absent.
	AuthType string
	// Scopes are the method's cl_depending_scopes, spelled like "Inputs:Add",
	// in the method's order.
	Scopes []string
}

// Report is the least privilege that covers a set of methods: the smallest
// grant a key needs to make every one of them.
type Report struct {
	// methods are the requirements of each method, sorted by name.
	methods []requirement
	// Scopes is the union of the methods' scopes, sorted: a key with
	// exactly these scopes may call every method. Empty when no method
	// needs a scope.
	Scopes []string
	// Endpoints are the methods that need at least one scope, sorted: a key
	// with these endpoints and no scopes may call every method too, and
	// nothing else, so it is the narrower grant whenever Clarifai lets you
	// mint an endpoint-scoped key (and the shorter list when fewer methods
	// were called than they need scopes).
	Endpoints []string
	// Credential is the kind of credential every method accepts: "none"
	// (all NoAuth), "API key or PAT", "PAT" (a PATAuth method was called),
	// "session token" (a SessionTokenAuth method was called), or
	// "unavailable" (an AdminAuth method: no user credential can call it).
	Credential string
}

// String renders the report in a few lines, e.g.
//
//	credential: PAT
//	scopes: Apps:Get Keys:Add Keys:Get
//	or endpoints: /clarifai.api.V2/PostKeys
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "credential: %s\n", r.Credential)
	fmt.Fprintf(&b, "scopes: %s\n", orNone(r.Scopes))
	fmt.Fprintf(&b, "or endpoints: %s\n", orNone(r.Endpoints))
	return b.String()
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "(none)"
	}
	return strings.Join(list, " ")
}

// methods returns what each method the server serves needs, sorted by name:
// the methods of clarifai.api.V2 and of any other service in its
// descriptors whose methods carry Clarifai's options.
func (s *Server) methods() []requirement {
	infos := make([]*methodInfo, 0, len(s.reg.methods))
	for _, mi := range s.reg.methods {
		infos = append(infos, mi)
	}
	return newReport(infos).methods
}

// LeastPrivilege reports the least privilege that covers every call the
// server received since it started or since ResetCalls, to a method it
// serves, whatever the call's outcome: a call refused for its scopes still
// shows that the code under test needs them. Run your test suite against
// the server, then mint a key from the report. It costs O(calls).
func (s *Server) LeastPrivilege() Report {
	s.mu.Lock()
	var infos []*methodInfo
	seen := make(map[string]bool)
	for _, c := range s.calls {
		if mi := s.reg.methods[c.method]; mi != nil && !seen[mi.name] {
			seen[mi.name] = true
			infos = append(infos, mi)
		}
	}
	s.mu.Unlock()
	return newReport(infos)
}

// LeastPrivilege reports the least privilege that covers methods, as read
// from the method options in files (protoregistry.GlobalFiles with Clarifai's
// client linked, FixtureFiles, or ParseDescriptorSet's result). A method is
// named in full ("/clarifai.api.V2/PostInputs"), dotted
// ("clarifai.api.V2.PostInputs") or, for V2, bare ("PostInputs"). It returns
// an error naming the first method files lacks, or when files does not
// describe Clarifai's API. It reads every method's options in files.
func LeastPrivilege(files *protoregistry.Files, methods ...string) (Report, error) {
	var reg *registry
	if files == FixtureFiles() {
		reg = fixture()
	} else {
		r, err := newRegistry(files)
		if err != nil {
			return Report{}, err
		}
		reg = r
	}
	infos := make([]*methodInfo, 0, len(methods))
	for _, m := range methods {
		mi := reg.method(m)
		if mi == nil {
			return Report{}, fmt.Errorf("clarifaifake: no method %q in the descriptors", m)
		}
		infos = append(infos, mi)
	}
	return newReport(infos), nil
}

// newReport merges the requirements of methods.
func newReport(methods []*methodInfo) Report {
	r := Report{methods: []requirement{}, Scopes: []string{}, Endpoints: []string{}}
	var session, pat, key, admin bool
	seen := make(map[string]bool)
	for _, mi := range methods {
		if seen[mi.name] {
			continue
		}
		seen[mi.name] = true
		r.methods = append(r.methods, requirement{Method: mi.name, AuthType: authTypeName(mi.authType), Scopes: slices.Clone(mi.scopes)})
		for _, sc := range mi.scopes {
			if !slices.Contains(r.Scopes, sc) {
				r.Scopes = append(r.Scopes, sc)
			}
		}
		if len(mi.scopes) > 0 {
			r.Endpoints = append(r.Endpoints, mi.name)
		}
		switch mi.authType {
		case authSessionToken:
			session = true
		case authPAT:
			pat = true
		case authAdmin:
			admin = true
		case authNoAuth:
		default:
			key = true
		}
	}
	slices.SortFunc(r.methods, func(a, b requirement) int { return strings.Compare(a.Method, b.Method) })
	slices.Sort(r.Scopes)
	slices.Sort(r.Endpoints)
	switch {
	case admin:
		r.Credential = "unavailable"
	case session:
		r.Credential = "session token"
	case pat:
		r.Credential = "PAT"
	case key:
		r.Credential = "API key or PAT"
	default:
		r.Credential = "none"
	}
	return r
}
