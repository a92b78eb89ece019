package clarifaifake

// What the package's own tests check of the requirements it reads, kept
// out of the public API (clients read them with scopes.NewCatalog).

type Requirement = requirement

func (s *Server) Methods() []Requirement { return s.methods() }

func ReportMethods(r Report) []Requirement { return r.methods }
