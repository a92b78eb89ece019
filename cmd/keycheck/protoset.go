package main

import (
	"context"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/internal/clarifaiapi"
	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
	"github.com/grpc-keyauth/clarifaiauth/internal/safefile"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// maxProtoset bounds a -protoset file: Clarifai's whole API with its
// imports is a few MiB.
const maxProtoset = 64 << 20

// apiVersion is the release of Clarifai's API whose descriptors keycheck
// embeds.
const apiVersion = clarifaiapi.ClientVersion

// embeddedDescriptors names the descriptors keycheck carries, in its output.
var embeddedDescriptors = "Clarifai's API " + apiVersion + ", embedded"

// descriptors returns the descriptors -method and -least read the methods'
// requirements from, and where they came from: the -protoset file (for an
// API newer than the one embedded), else the embedded descriptors of
// Clarifai's API. The file is read only if it is a regular file of bounded
// size, so a FIFO cannot block the run; nothing is registered globally.
func descriptors(ctx context.Context, o *options) (*protoregistry.Files, string, error) {
	var z sanitizer
	if o.protoset == "" {
		files, err := clarifaiapi.Files()
		if err != nil { // a bad embedded file is a build defect
			return nil, "", failf(exitError, "embedded descriptors: %v", err)
		}
		return files, embeddedDescriptors, nil
	}
	b, err := safefile.Read(ctx, o.protoset, maxProtoset)
	if err != nil {
		return nil, "", failf(exitError, "-protoset %s: %s", z.text(o.protoset), z.text(err.Error()))
	}
	files, err := fakeapi.ParseDescriptorSet(b)
	if err != nil {
		return nil, "", failf(exitError, "-protoset %s: not a complete binary FileDescriptorSet (was it built with its imports: protoc --include_imports, or buf build?): %s",
			z.text(o.protoset), z.text(strings.TrimPrefix(err.Error(), "clarifaifake: ")))
	}
	return files, o.protoset, nil
}

// lookupMethods resolves the -method names in catalog, dropping duplicates.
// A name the descriptors lack is a usage error.
func lookupMethods(catalog *scopes.Catalog, names []string) ([]scopes.Requirement, error) {
	var z sanitizer
	var reqs []scopes.Requirement
	seen := make(map[string]bool)
	var unknown []string
	for _, name := range names {
		req, ok := catalog.Required(name)
		if !ok {
			unknown = append(unknown, z.text(name))
			continue
		}
		if !seen[req.Method] {
			seen[req.Method] = true
			reqs = append(reqs, req)
		}
	}
	if len(unknown) > 0 {
		return nil, usagef("-method: %s not found in the descriptors' services", strings.Join(z.list(unknown), ", "))
	}
	return reqs, nil
}
