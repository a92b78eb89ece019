package clarifaifake

import (
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
)

// What the package's own tests check of the requirements it reads and of
// the least-privilege report, kept out of the public API (clients read
// requirements with scopes.NewCatalog).

type Requirement = fakeapi.Requirement

func (s *Server) Methods() []Requirement { return s.methods() }

func (s *Server) Report() fakeapi.Report { return s.leastPrivilege() }

func (s *Server) Files() *protoregistry.Files { return s.reg.files }
