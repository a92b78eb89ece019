package clarifaifake

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
)

// methods returns what each method the server serves needs, sorted by name:
// the methods of clarifai.api.V2 and of any other service in its
// descriptors whose methods carry Clarifai's options.
func (s *Server) methods() []fakeapi.Requirement {
	infos := make([]*methodInfo, 0, len(s.reg.methods))
	for _, mi := range s.reg.methods {
		infos = append(infos, mi)
	}
	return newReport(infos).Methods
}

// LeastPrivilege returns, in three lines, the least privilege that covers
// every call received since the server started or since ResetCalls,
// whatever its outcome: the kind of credential, the union of the scopes,
// and the endpoints that would do instead. Mint your key from it.
func (s *Server) LeastPrivilege() string {
	return s.leastPrivilege().String()
}

func (s *Server) leastPrivilege() fakeapi.Report {
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

// leastPrivilege is fakeapi.LeastPrivilege: the report for methods, read
// from the options in files.
func leastPrivilege(files *protoregistry.Files, methods ...string) (fakeapi.Report, error) {
	var reg *registry
	if files == FixtureFiles() {
		reg = fixture()
	} else {
		r, err := newRegistry(files)
		if err != nil {
			return fakeapi.Report{}, err
		}
		reg = r
	}
	infos := make([]*methodInfo, 0, len(methods))
	for _, m := range methods {
		mi := reg.method(m)
		if mi == nil {
			return fakeapi.Report{}, fmt.Errorf("clarifaifake: no method %q in the descriptors", m)
		}
		infos = append(infos, mi)
	}
	return newReport(infos), nil
}

// newReport merges the requirements of methods.
func newReport(methods []*methodInfo) fakeapi.Report {
	r := fakeapi.Report{Methods: []fakeapi.Requirement{}, Scopes: []string{}, Endpoints: []string{}}
	var session, pat, key, admin bool
	seen := make(map[string]bool)
	for _, mi := range methods {
		if seen[mi.name] {
			continue
		}
		seen[mi.name] = true
		r.Methods = append(r.Methods, fakeapi.Requirement{Method: mi.name, AuthType: authTypeName(mi.authType), Scopes: slices.Clone(mi.scopes)})
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
	slices.SortFunc(r.Methods, func(a, b fakeapi.Requirement) int { return strings.Compare(a.Method, b.Method) })
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
