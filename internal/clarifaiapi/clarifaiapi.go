// Package clarifaiapi holds the descriptors of Clarifai's whole API
// (service clarifai.api.V2 and every file it imports) at the version of
// Clarifai's Go client named by ClientVersion, so that the commands know
// every real method offline. Only commands import it: the library packages
// link none of it. docs/keycheck.md says how clarifai-api.binpb was made.
package clarifaiapi

import (
	_ "embed"
	"sync"

	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
)

// ClientVersion is the release of github.com/Clarifai/clarifai-go-grpc the
// descriptors were generated from.
const ClientVersion = "12.4.0"

// protoset is a binary FileDescriptorSet, imports first.
//
//go:embed clarifai-api.binpb
var protoset []byte

// Protoset returns a copy of the binary FileDescriptorSet.
func Protoset() []byte { return append([]byte(nil), protoset...) }

// Files returns a private registry of the descriptors, parsed once on first
// use; nothing is registered globally. The registry must not be modified.
func Files() (*protoregistry.Files, error) { return files() }

var files = sync.OnceValues(func() (*protoregistry.Files, error) {
	return fakeapi.ParseDescriptorSet(protoset)
})
