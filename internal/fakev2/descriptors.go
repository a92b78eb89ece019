package fakev2

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// protoset is a FileDescriptorSet, imports included, generated from
// internal/clarifaitest/proto by `go generate ./internal/clarifaitest`.
//
//go:embed clarifai.protoset
var protoset []byte

// Wire facts of the Clarifai API that the server relies on.
const (
	serviceName = "clarifai.api.V2"
	scopeEnum   = "clarifai.auth.scope.S"
	statusEnum  = "clarifai.api.status.StatusCode"

	// Extension numbers of google.protobuf.MethodOptions.
	optDependingScopes = 80322 // repeated clarifai.auth.scope.S
	optAuthType        = 80323 // clarifai.auth.types.AuthType
	// Extension number of google.protobuf.EnumValueOptions.
	optScopeDependingScopes = 80319 // repeated clarifai.auth.scope.S

	// clarifai.auth.types.AuthType values.
	authNoAuth = 1
)

// Files returns the private registry of the Clarifai descriptors embedded in
// the package. It is built once, on first use, from the embedded protoset
// alone: it does not depend on, nor add to, the global protobuf registry. The
// registry is safe for concurrent use and must not be modified.
func Files() *protoregistry.Files {
	return loadFiles().files
}

// Protoset returns a copy of the embedded FileDescriptorSet (binary protobuf):
// the Clarifai descriptors the server uses, with all their imports.
func Protoset() []byte {
	return append([]byte(nil), protoset...)
}

// methodInfo is what the server knows about one V2 method.
type methodInfo struct {
	desc     protoreflect.MethodDescriptor
	authType int32
	// scopes are the method's depending scopes, spelled like "Inputs:Add".
	scopes []string
}

// registry is the parsed protoset.
type registry struct {
	files   *protoregistry.Files
	methods map[string]*methodInfo // by full method name, "/clarifai.api.V2/PostInputs"
	scopes  protoreflect.EnumDescriptor
	codes   protoreflect.EnumDescriptor
}

var loadFiles = sync.OnceValue(func() *registry {
	r, err := parseProtoset(protoset)
	if err != nil {
		// The protoset is generated and embedded at build time: a bad one is
		// a bug in this package, not a run-time condition.
		panic("fakev2: embedded clarifai.protoset: " + err.Error())
	}
	return r
})

// parseProtoset builds a registry from a binary FileDescriptorSet without
// consulting the global registry: extensions in options stay unknown fields.
func parseProtoset(b []byte) (*registry, error) {
	var set descriptorpb.FileDescriptorSet
	if err := (proto.UnmarshalOptions{Resolver: new(protoregistry.Types)}).Unmarshal(b, &set); err != nil {
		return nil, err
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, err
	}
	r := &registry{files: files, methods: make(map[string]*methodInfo)}
	if r.scopes, err = findEnum(files, scopeEnum); err != nil {
		return nil, err
	}
	if r.codes, err = findEnum(files, statusEnum); err != nil {
		return nil, err
	}
	if _, err := files.FindDescriptorByName(serviceName); err != nil {
		return nil, err
	}
	// Every service in the set is served: clarifai.api.V2, and the test-only
	// services the fixture adds beside it.
	var rangeErr error
	files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Services().Len(); i++ {
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

// addService reads the method options of every method of svc.
func (r *registry) addService(svc protoreflect.ServiceDescriptor) error {
	for i := 0; i < svc.Methods().Len(); i++ {
		md := svc.Methods().Get(i)
		raw, err := optionBytes(md.Options())
		if err != nil {
			return fmt.Errorf("options of %s: %w", md.FullName(), err)
		}
		scopes, err := enumList(raw, optDependingScopes)
		if err != nil {
			return fmt.Errorf("options of %s: %w", md.FullName(), err)
		}
		at, err := enumList(raw, optAuthType)
		if err != nil {
			return fmt.Errorf("options of %s: %w", md.FullName(), err)
		}
		mi := &methodInfo{desc: md}
		if len(at) > 0 {
			mi.authType = at[len(at)-1] // last one wins for a singular field
		}
		for _, s := range scopes {
			mi.scopes = append(mi.scopes, r.scopeName(s))
		}
		r.methods["/"+string(svc.FullName())+"/"+string(md.Name())] = mi
	}
	return nil
}

func findEnum(files *protoregistry.Files, name protoreflect.FullName) (protoreflect.EnumDescriptor, error) {
	d, err := files.FindDescriptorByName(name)
	if err != nil {
		return nil, err
	}
	e, ok := d.(protoreflect.EnumDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not an enum", name)
	}
	return e, nil
}

// optionBytes returns the wire form of an options message, so that an
// extension reads the same whether it is unknown (the usual case here) or
// known to whoever built the descriptor.
func optionBytes(opts proto.Message) ([]byte, error) {
	if opts == nil {
		return nil, nil
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(opts)
}

// enumList decodes every occurrence of field num in raw as enum values,
// accepting both the packed (one length-delimited record) and the unpacked
// (one varint record per value) encodings of a repeated enum.
func enumList(raw []byte, num protowire.Number) ([]int32, error) {
	var out []int32
	for len(raw) > 0 {
		n, typ, tagLen := protowire.ConsumeTag(raw)
		if tagLen < 0 {
			return nil, protowire.ParseError(tagLen)
		}
		raw = raw[tagLen:]
		if n != num {
			m := protowire.ConsumeFieldValue(n, typ, raw)
			if m < 0 {
				return nil, protowire.ParseError(m)
			}
			raw = raw[m:]
			continue
		}
		switch typ {
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(raw)
			if m < 0 {
				return nil, protowire.ParseError(m)
			}
			out = append(out, int32(v))
			raw = raw[m:]
		case protowire.BytesType:
			packed, m := protowire.ConsumeBytes(raw)
			if m < 0 {
				return nil, protowire.ParseError(m)
			}
			raw = raw[m:]
			for len(packed) > 0 {
				v, k := protowire.ConsumeVarint(packed)
				if k < 0 {
					return nil, protowire.ParseError(k)
				}
				out = append(out, int32(v))
				packed = packed[k:]
			}
		default:
			return nil, fmt.Errorf("field %d has wire type %d, want varint or bytes", num, typ)
		}
	}
	return out, nil
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
