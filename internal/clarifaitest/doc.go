// Package clarifaitest holds test-only protos that are wire- and
// name-compatible with a small part of the Clarifai gRPC API (service
// clarifai.api.V2), and the Go code generated from them.
//
// Importing this package registers files, messages, enums and extensions under
// clarifai.* names in the global protobuf registry. That is allowed only
// because the package is internal and imported by tests alone: a program that
// also links Clarifai's official Go client would panic at start-up on the
// duplicate registrations. Non-test code of this module must never import it;
// clarifaifake serves the same API from a private registry instead.
//
// The .proto files are in proto/; gen.go holds the commands that regenerate
// the code and clarifaifake/fixture.protoset.
package clarifaitest
