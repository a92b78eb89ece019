package scopes

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grpc-keyauth/clarifaiauth/internal/cache"
	"github.com/grpc-keyauth/clarifaiauth/internal/scopename"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// scopeEnum is the enum Clarifai's method options name scopes with.
const scopeEnum protoreflect.FullName = "clarifai.auth.scope.S"

// AuthType is the kind of credential a method accepts (Clarifai enum
// clarifai.auth.types.AuthType).
type AuthType int32

// The authentication types a credential meets. The others are 0 (the method
// is not annotated), 1 (NoAuth: no credential needed) and 4 (AdminAuth:
// Clarifai's administrators only).
const (
	KeyAuth          AuthType = 2 // app-specific API keys and personal access tokens
	SessionTokenAuth AuthType = 3 // browser/user session tokens only
	PATAuth          AuthType = 5 // personal access tokens only
)

// String returns the Clarifai name of a, such as "KeyAuth", or
// "AuthType(<n>)" for numbers this package does not know.
func (a AuthType) String() string {
	switch a {
	case 0:
		return "undef"
	case 1:
		return "NoAuth"
	case KeyAuth:
		return "KeyAuth"
	case SessionTokenAuth:
		return "SessionTokenAuth"
	case 4:
		return "AdminAuth"
	case PATAuth:
		return "PATAuth"
	}
	return "AuthType(" + strconv.FormatInt(int64(a), 10) + ")"
}

// Requirement is what a method needs from the caller's credential, as
// Clarifai's method options declare it.
type Requirement struct {
	// Method is the full gRPC method name, "/clarifai.api.V2/PostInputs".
	Method string
	// Scopes are the minimum scopes a key needs, "Inputs:Add" spelling,
	// sorted and free of duplicates. Callers must not modify the slice: it
	// is shared by every Requirement of the method.
	Scopes []string
	// AuthType is the kind of credential the method accepts.
	AuthType AuthType
}

// Catalog answers what each method needs, from the method options of the
// service descriptors in a protoregistry.Files. Answers are computed on
// first use and kept in a cache bounded by bytes, so files registered after
// a method was first asked about are not seen for that method while it is
// kept.
// A Catalog is safe for concurrent use.
type Catalog struct {
	files *protoregistry.Files

	reqs *cache.Cache[string, catalogEntry] // method name as asked → its answer

	indexOnce sync.Once
	byShort   map[string][]string // bare method name → full names, sorted
}

// maxCatalogBytes bounds what a Catalog keeps, as catalogEntry.size counts
// it: a program calls a few hundred methods at most, but names it is asked
// about can come from anywhere (a command line, a generic proxy). Past the
// bound the oldest answers are evicted, and computed again when asked.
const maxCatalogBytes = 1 << 20

type catalogEntry struct {
	req Requirement
	ok  bool
}

// size counts the bytes an entry keeps: the name asked, the method's name
// and scopes, and the overhead of each.
func (e catalogEntry) size(name string) int64 {
	n := int64(len(name)+len(e.req.Method)) + 160
	for _, s := range e.req.Scopes {
		n += int64(len(s)) + 16
	}
	return n
}

// NewCatalog returns a Catalog reading the descriptors in files; nil means
// protoregistry.GlobalFiles.
func NewCatalog(files *protoregistry.Files) *Catalog {
	if files == nil {
		files = protoregistry.GlobalFiles
	}
	return &Catalog{files: files, reqs: cache.New(cache.Options[string, catalogEntry]{
		TTL:      cache.Forever,
		MaxBytes: maxCatalogBytes,
		Size:     func(name string, e catalogEntry) int64 { return e.size(name) },
	})}
}

// Required returns what method needs, from Clarifai's method options
// (cl_depending_scopes, cl_auth_type). method is a full name, with or
// without the leading slash, or a bare one ("PostInputs", clarifai.api.V2's
// first); ok is false when no service in the Catalog has it.
func (c *Catalog) Required(method string) (Requirement, bool) {
	e := c.reqs.Compute(method, func() catalogEntry {
		req, ok := c.compute(method)
		return catalogEntry{req, ok}
	})
	return e.req, e.ok
}

func (c *Catalog) compute(method string) (Requirement, bool) {
	name := strings.TrimPrefix(strings.TrimSpace(method), "/")
	if !strings.Contains(name, "/") {
		c.index()
		fulls := c.byShort[name]
		if len(fulls) == 0 {
			return Requirement{}, false
		}
		full := fulls[0]
		if slices.Contains(fulls, wire.ServiceV2+name) {
			full = wire.ServiceV2 + name
		}
		name = full[1:]
	}
	svc, meth, ok := strings.Cut(name, "/")
	if !ok || svc == "" || meth == "" {
		return Requirement{}, false
	}
	d, err := c.files.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return Requirement{}, false
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return Requirement{}, false
	}
	md := sd.Methods().ByName(protoreflect.Name(meth))
	if md == nil {
		return Requirement{}, false
	}
	return c.requirement(md), true
}

// requirement reads the Clarifai options of md.
func (c *Catalog) requirement(md protoreflect.MethodDescriptor) Requirement {
	req := Requirement{Method: "/" + string(md.Parent().FullName()) + "/" + string(md.Name())}
	opts := md.Options()
	if opts == nil {
		return req
	}
	// Known extension fields and unknown fields alike are read from the
	// options' bytes, so registered and unregistered extensions read the same.
	b, err := wire.OptionBytes(opts)
	if err != nil {
		return req
	}
	nums, _ := wire.EnumList(b, wire.OptDependingScopes) // what was read before any damage
	if auth, _ := wire.EnumList(b, wire.OptAuthType); len(auth) > 0 {
		req.AuthType = AuthType(auth[len(auth)-1]) // the last one wins for a singular field
	}
	var enum protoreflect.EnumDescriptor
	if d, err := c.files.FindDescriptorByName(scopeEnum); err == nil {
		enum, _ = d.(protoreflect.EnumDescriptor)
	}
	for _, n := range nums {
		if n == 0 { // undef
			continue
		}
		req.Scopes = append(req.Scopes, scopeName(enum, protoreflect.EnumNumber(n)))
	}
	req.Scopes = scopename.SortUnique(req.Scopes)
	return req
}

// scopeName turns a clarifai.auth.scope.S number into its API spelling,
// "Inputs_Add" → "Inputs:Add", or "S(<n>)" when the enum is unknown.
func scopeName(enum protoreflect.EnumDescriptor, n protoreflect.EnumNumber) string {
	if enum != nil {
		if v := enum.Values().ByNumber(n); v != nil {
			return scopename.Scope(string(v.Name()))
		}
	}
	return "S(" + strconv.FormatInt(int64(n), 10) + ")"
}

// index lists the Catalog's methods by bare name, once.
func (c *Catalog) index() {
	c.indexOnce.Do(func() {
		c.byShort = make(map[string][]string)
		c.files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
			svcs := fd.Services()
			for i := 0; i < svcs.Len(); i++ {
				sd := svcs.Get(i)
				ms := sd.Methods()
				for j := 0; j < ms.Len(); j++ {
					full := "/" + string(sd.FullName()) + "/" + string(ms.Get(j).Name())
					short := string(ms.Get(j).Name())
					c.byShort[short] = append(c.byShort[short], full)
				}
			}
			return true
		})
		for k, v := range c.byShort {
			c.byShort[k] = scopename.SortUnique(v)
		}
	})
}
