package interceptor

import (
	"fmt"

	"github.com/grpc-keyauth/clarifaiauth/internal/version"
)

// defaultRequestTag is the tag calls carry unless WithRequestTag says
// otherwise, in the "<sdk-name>-<version>" form Clarifai's own SDKs use.
const defaultRequestTag = "clarifaiauth-go-" + version.Version

// WithRequestTag sets the "x-clarifai-request-id-prefix" every call
// carries (default "clarifaiauth-go-<version>"); "" sends none, and a tag
// already in the outgoing metadata wins. A tag is printable ASCII of at
// most 128 bytes; any other makes building panic.
func WithRequestTag(prefix string) CredentialsOption {
	err := checkTag(prefix)
	return credOption(func(o *options) {
		o.tag = prefix
		if err != nil && o.err == nil {
			o.err = err
		}
	})
}

// maxRequestTag bounds a request tag, in bytes: it is sent on every call.
const maxRequestTag = 128

// checkTag refuses a tag gRPC would refuse on every call (a control
// character, non-ASCII) or that would weigh on every call. The message
// names the problem, not the tag.
func checkTag(tag string) error {
	if len(tag) > maxRequestTag {
		return fmt.Errorf("clarifaiauth: interceptor.WithRequestTag: the tag is %d bytes long; at most %d are allowed", len(tag), maxRequestTag)
	}
	for i := 0; i < len(tag); i++ {
		if c := tag[i]; c < 0x20 || c > 0x7e {
			return fmt.Errorf("clarifaiauth: interceptor.WithRequestTag: byte %d of the tag is %#02x; a tag is printable ASCII (0x20 to 0x7e)", i, c)
		}
	}
	return nil
}
