// Package fakeapi holds what the fake Clarifai server (package clarifaifake)
// shares with the module's commands and tests but keeps out of its own API:
// parsing a descriptor set, the fixture's descriptor set, the least
// privilege that covers a list of methods, and the wording of the fake's
// CONN_INSUFFICIENT_SCOPES details.
//
// FixtureProtoset and LeastPrivilege need the fake's embedded fixture and
// its reading of method options: clarifaifake sets them when it is linked
// (every user of this package imports it).
package fakeapi

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Set by package clarifaifake when it is linked.
var (
	// FixtureProtoset returns a copy of the fixture's binary
	// FileDescriptorSet, imports included.
	FixtureProtoset func() []byte
	// LeastPrivilege reports the least privilege that covers methods, read
	// from the method options in files. A method is named in full
	// ("/clarifai.api.V2/PostInputs"), dotted or, for V2, bare. It returns
	// an error naming the first method files lacks, or when files does not
	// describe Clarifai's API.
	LeastPrivilege func(files *protoregistry.Files, methods ...string) (Report, error)
)

// Requirement is what one method needs, read from its options.
type Requirement struct {
	Method   string   // full method name
	AuthType string   // as Clarifai's enum spells it, "undef" when absent
	Scopes   []string // spelled like "Inputs:Add", in the method's order
}

// Report is the least privilege that covers a set of methods.
type Report struct {
	// Methods are the requirements of each method, sorted by name.
	Methods []Requirement
	// Scopes is the union of the methods' scopes, sorted.
	Scopes []string
	// Endpoints are the methods that need at least one scope, sorted: a key
	// with these endpoints and no scopes may call every method too.
	Endpoints []string
	// Credential is the kind of credential every method accepts: "none",
	// "API key or PAT", "PAT", "session token", or "unavailable" (an
	// AdminAuth method).
	Credential string
}

// String renders the report in three lines:
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

// ParseDescriptorSet builds a private registry from a binary
// FileDescriptorSet that includes every import (as `protoc
// --include_imports` or `buf build` write it). It registers nothing
// globally, and extensions in options stay unknown fields. It returns an
// error for malformed bytes or an incomplete set.
func ParseDescriptorSet(b []byte) (*protoregistry.Files, error) {
	var set descriptorpb.FileDescriptorSet
	if err := (proto.UnmarshalOptions{Resolver: new(protoregistry.Types)}).Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("clarifaifake: descriptor set: %w", err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, fmt.Errorf("clarifaifake: descriptor set: %w", err)
	}
	return files, nil
}

// InsufficientScopesDetails returns the details the fake puts in a
// CONN_INSUFFICIENT_SCOPES status for method, a full method name:
// "Missing scopes: [Inputs:Add Predict]; or endpoint: /clarifai.api.V2/PostInputs".
// Clarifai does not publish its exact wording; this is the shape clients
// must parse.
func InsufficientScopesDetails(missing []string, method string) string {
	return fmt.Sprintf("Missing scopes: [%s]; or endpoint: %s", strings.Join(missing, " "), method)
}
