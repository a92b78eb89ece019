package clarifaitest

// Regenerate the Go code of this package from proto/, and the FileDescriptorSet
// that clarifaifake embeds as its fixture. Needs only Go: buf and the protoc
// plugins come from the Go module proxy. Run `go generate ./internal/clarifaitest`
// from the module root (see README.md).

//go:generate go run github.com/bufbuild/buf/cmd/buf@v1.75.0 generate
//go:generate go run github.com/bufbuild/buf/cmd/buf@v1.75.0 build --as-file-descriptor-set --exclude-source-info -o ../../clarifaifake/fixture.protoset#format=binpb
