package interceptor

import (
	"sync/atomic"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
)

// Version is this library's version, sent in the request tag.
const Version = "0.1.0"

// DefaultRequestIDPrefix is the tag WithRequestTag("") sends as
// x-clarifai-request-id-prefix, in the "<sdk-name>-<version>" form that
// Clarifai's own SDKs use.
const DefaultRequestIDPrefix = "clarifaiauth-go-" + Version

// RequestIDPrefixHeader is the metadata key Clarifai reads request tags from.
const RequestIDPrefixHeader = "x-clarifai-request-id-prefix"

// Option configures UnaryClient, StreamClient and PerRPCCredentials. Options
// are applied once, when the interceptor is built.
type Option func(*options)

type options struct {
	// failed decides which in-band Clarifai codes become errors; nil turns
	// the reply check off.
	failed        func(scopes.Code) bool
	preflight     *scopes.Preflight
	catalog       *scopes.Catalog
	tag           string
	allowInsecure bool

	lastMD atomic.Pointer[keyMD] // see sourceMD
	lastFP atomic.Pointer[keyFP] // see fingerprint
}

// checkReply turns reply into a *scopes.Error if its Clarifai status is a
// failure the options care about.
func (o *options) checkReply(method string, reply any) error {
	if o.failed == nil {
		return nil
	}
	err := scopes.CheckReply(method, reply, o.failed)
	if se, ok := err.(*scopes.Error); ok && o.catalog != nil {
		if req, ok := o.catalog.Required(method); ok {
			se.Required = req
		}
	}
	return err
}

func newOptions(opts []Option) *options {
	o := &options{failed: scopes.Code.Failed}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithStatusCheck narrows which in-band Clarifai status codes the
// interceptors turn into a *scopes.Error: a reply whose code makes failed
// return true becomes an error. The default is scopes.Code.Failed: every
// code but SUCCESS, the SUCCESS_WARNING codes and MIXED_STATUS. A nil failed
// restores the default.
func WithStatusCheck(failed func(scopes.Code) bool) Option {
	return func(o *options) {
		if failed == nil {
			failed = scopes.Code.Failed
		}
		o.failed = failed
	}
}

// WithoutStatusCheck leaves replies alone: the caller checks
// resp.Status.Code itself, as with the bare Clarifai client.
func WithoutStatusCheck() Option {
	return func(o *options) { o.failed = nil }
}

// WithPreflight makes the interceptors ask p whether the call's key may call
// the method before sending it, and fail the call locally with a
// *scopes.Error (PermissionDenied) when it may not. p fetches and caches the
// key's grant (one MyScopes call per key and app); see scopes.Preflight.
// Off by default: it costs one extra call per key and app, and the server
// stays the authority either way.
func WithPreflight(p *scopes.Preflight) Option {
	return func(o *options) { o.preflight = p }
}

// WithCatalog names the catalog that fills the Required field of the
// *scopes.Error the interceptors return, for programs that load Clarifai's
// descriptors from a descriptor set instead of linking Clarifai's client.
// By default the descriptors linked into the program are used
// (scopes.Required). For preflight, give the same catalog to
// scopes.NewPreflight with scopes.WithCatalog.
func WithCatalog(c *scopes.Catalog) Option {
	return func(o *options) { o.catalog = c }
}

// WithRequestTag adds "x-clarifai-request-id-prefix: <prefix>" to every
// call, as Clarifai's SDKs do, so Clarifai's request ids show which client
// sent them. An empty prefix means DefaultRequestIDPrefix. Off by default:
// the tag changes the req_id values the server hands back, which callers may
// already parse or log, and it is one more header on every call.
func WithRequestTag(prefix string) Option {
	if prefix == "" {
		prefix = DefaultRequestIDPrefix
	}
	return func(o *options) { o.tag = prefix }
}

// AllowInsecureTransport lets PerRPCCredentials send keys over a connection
// without transport security: a local proxy, a test server on loopback.
// Without it, a client dialled with insecure credentials is refused. The
// interceptors ignore it: they leave transport security to the dial options.
func AllowInsecureTransport() Option {
	return func(o *options) { o.allowInsecure = true }
}

// CallKey returns a per-call option that makes one call use k over every
// other credential:
//
//	resp, err := client.PostInputs(ctx, req, interceptor.CallKey(pat))
//
// A zero k fails the call locally with Unauthenticated. The option does
// nothing without this package's interceptors in the chain.
func CallKey(k keysource.Key) grpc.CallOption {
	return callKey{key: k}
}

// callKey carries a per-call credential through the CallOption list. It
// embeds EmptyCallOption so gRPC itself ignores it.
type callKey struct {
	grpc.EmptyCallOption
	key keysource.Key
	err error
}
