package clarifaifake

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// fixtureProtoset is a FileDescriptorSet, imports included, generated from
// internal/clarifaitest/proto by `go generate ./internal/clarifaitest`.
//
//go:embed fixture.protoset
var fixtureProtoset []byte

// Wire facts of the Clarifai API that the server relies on.
const (
	serviceV2  = "clarifai.api.V2"
	scopeEnum  = "clarifai.auth.scope.S"
	statusEnum = "clarifai.api.status.StatusCode"
)

// clarifai.auth.types.AuthType values.
const (
	authUndef        = 0
	authNoAuth       = 1
	authKeyAuth      = 2
	authSessionToken = 3
	authAdmin        = 4
	authPAT          = 5
)

// authTypeNames spells the AuthType values as Clarifai's enum does.
var authTypeNames = map[int32]string{
	authUndef:        "undef",
	authNoAuth:       "NoAuth",
	authKeyAuth:      "KeyAuth",
	authSessionToken: "SessionTokenAuth",
	authAdmin:        "AdminAuth",
	authPAT:          "PATAuth",
}

func authTypeName(a int32) string {
	if n, ok := authTypeNames[a]; ok {
		return n
	}
	return fmt.Sprintf("AuthType(%d)", a)
}

// FixtureFiles returns the fixture's descriptors: a cut-down
// clarifai.api.V2 with Clarifai's names, numbers, method options, status
// codes and scopes (docs/testing.md lists its methods). It is a private
// registry, built once from an embedded descriptor set without touching
// protoregistry.GlobalFiles; pass it to WithFiles, and do not modify it.
func FixtureFiles() *protoregistry.Files {
	return fixture().files
}

func init() {
	fakeapi.FixtureProtoset = func() []byte { return append([]byte(nil), fixtureProtoset...) }
	fakeapi.LeastPrivilege = leastPrivilege
}

var fixture = sync.OnceValue(func() *registry {
	files, err := fakeapi.ParseDescriptorSet(fixtureProtoset)
	if err == nil {
		var r *registry
		if r, err = newRegistry(files); err == nil {
			return r
		}
	}
	// The protoset is generated and embedded at build time: a bad one is a
	// bug in this package, not a run-time condition.
	panic("clarifaifake: embedded fixture.protoset: " + err.Error())
})

// methodInfo is what the server knows about one method.
type methodInfo struct {
	name     string // full method name, "/clarifai.api.V2/PostInputs"
	desc     protoreflect.MethodDescriptor
	authType int32
	scopes   []string // depending scopes, spelled like "Inputs:Add"
}

// registry is what the server reads from its descriptors, once.
type registry struct {
	files   *protoregistry.Files
	methods map[string]*methodInfo // by full method name
	scopes  protoreflect.EnumDescriptor
	codes   protoreflect.EnumDescriptor // nil if the descriptors lack it
}

// errNoV2 says the descriptors do not describe Clarifai's API.
var errNoV2 = errors.New("clarifaifake: the descriptors have no service " + serviceV2 + " (link Clarifai's Go client, or pass descriptors that have it)")

// newRegistry reads the method options of clarifai.api.V2 and of every other
// service whose methods carry Clarifai's options (such as the fixture's
// test-only service). It needs the scope enum to spell scopes.
func newRegistry(files *protoregistry.Files) (*registry, error) {
	r := &registry{files: files, methods: make(map[string]*methodInfo)}
	if _, err := files.FindDescriptorByName(serviceV2); err != nil {
		return nil, errNoV2
	}
	d, err := files.FindDescriptorByName(scopeEnum)
	if err != nil {
		return nil, fmt.Errorf("clarifaifake: the descriptors lack the scope enum %s: %w", scopeEnum, err)
	}
	var ok bool
	if r.scopes, ok = d.(protoreflect.EnumDescriptor); !ok {
		return nil, fmt.Errorf("clarifaifake: %s is not an enum", scopeEnum)
	}
	if d, err := files.FindDescriptorByName(statusEnum); err == nil {
		r.codes, _ = d.(protoreflect.EnumDescriptor)
	}
	var rangeErr error
	files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			if rangeErr = r.addService(fd.Services().Get(i)); rangeErr != nil {
				return false
			}
		}
		return true
	})
	if rangeErr != nil {
		return nil, rangeErr
	}
	return r, nil
}

// addService adds the methods of svc if it is V2 or if any of its methods
// carries Clarifai's method options.
func (r *registry) addService(svc protoreflect.ServiceDescriptor) error {
	var infos []*methodInfo
	clarifai := svc.FullName() == serviceV2
	for i := range svc.Methods().Len() {
		md := svc.Methods().Get(i)
		raw, err := wire.OptionBytes(md.Options())
		if err != nil {
			return fmt.Errorf("clarifaifake: options of %s: %w", md.FullName(), err)
		}
		scopes, err := wire.EnumList(raw, wire.OptDependingScopes)
		if err != nil {
			return fmt.Errorf("clarifaifake: options of %s: %w", md.FullName(), err)
		}
		at, err := wire.EnumList(raw, wire.OptAuthType)
		if err != nil {
			return fmt.Errorf("clarifaifake: options of %s: %w", md.FullName(), err)
		}
		mi := &methodInfo{name: "/" + string(svc.FullName()) + "/" + string(md.Name()), desc: md}
		if len(at) > 0 {
			mi.authType = at[len(at)-1] // the last one wins for a singular field
			clarifai = true
		}
		for _, s := range scopes {
			mi.scopes = append(mi.scopes, r.scopeName(s))
			clarifai = true
		}
		infos = append(infos, mi)
	}
	if clarifai {
		for _, mi := range infos {
			r.methods[mi.name] = mi
		}
	}
	return nil
}

// method finds a method by its full name ("/clarifai.api.V2/PostInputs"),
// its dotted name ("clarifai.api.V2.PostInputs") or, for V2, its bare name
// ("PostInputs").
func (r *registry) method(name string) *methodInfo {
	if mi := r.methods[name]; mi != nil {
		return mi
	}
	if !strings.Contains(name, "/") && !strings.Contains(name, ".") {
		return r.methods["/"+serviceV2+"/"+name]
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 && !strings.Contains(name, "/") {
		return r.methods["/"+name[:i]+"/"+name[i+1:]]
	}
	return nil
}

// scopeName spells scope number n the way the API does: the enum name with
// its first underscore turned into a colon ("Inputs_Add" is "Inputs:Add").
func (r *registry) scopeName(n int32) string {
	v := r.scopes.Values().ByNumber(protoreflect.EnumNumber(n))
	if v == nil {
		return fmt.Sprintf("S(%d)", n)
	}
	return strings.Replace(string(v.Name()), "_", ":", 1)
}

// codeName returns the enum name of a status code, or "".
func (r *registry) codeName(code int32) string {
	if r.codes == nil {
		return ""
	}
	if v := r.codes.Values().ByNumber(protoreflect.EnumNumber(code)); v != nil {
		return string(v.Name())
	}
	return ""
}
