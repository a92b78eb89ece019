package interceptor

import (
	"slices"
	"sync/atomic"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// version is this library's version, sent in the default request tag.
const version = "0.1.0"

// RequestIDPrefixHeader is the metadata key Clarifai reads request tags from.
const RequestIDPrefixHeader = "x-clarifai-request-id-prefix"

// defaultRequestIDPrefix is the tag WithRequestTag("") sends, in the
// "<sdk-name>-<version>" form that Clarifai's own SDKs use.
const defaultRequestIDPrefix = "clarifaiauth-go-" + version

// Option configures UnaryClient, StreamClient and PerRPCCredentials when
// they are built, and is also a grpc.CallOption, as go-grpc-middleware's
// retry options are: an Option given when building is the default for every
// call, and the same Option given to one call overrides it for that call:
//
//	ic := interceptor.UnaryClient(src) // checks every reply…
//	resp, err := client.PostInputs(ctx, req, interceptor.WithoutStatusCheck()) // …but this one
//
// The interceptors take their Options out of a call's options before they
// call the next interceptor, so gRPC never sees them. CallKey,
// WithStatusCheck, WithoutStatusCheck and WithStreamEnd work both ways;
// WithPreflight, WithCatalog, WithRequestTag, WithUserApp and
// AllowInsecureTransport configure what an interceptor holds and work only when building: given to
// a call, they fail it locally with InvalidArgument rather than be ignored. PerRPCCredentials
// sees no call options (gRPC does not show them to credentials), only those
// it was built with.
//
// A call without Options pays one type check per call option it carries,
// and an Option costs nothing to pass once made; build one once (CallKey
// allocates) and reuse it. Options are immutable and safe for concurrent
// use. Only this package makes Options; like any grpc.CallOption, a nil
// Option must not be passed.
type Option interface {
	grpc.CallOption
	interceptorOption() *option
}

// option is the one implementation of Option. It is a pointer, so passing
// it as a grpc.CallOption does not allocate.
type option struct {
	grpc.EmptyCallOption // gRPC ignores it

	name   string // the constructor's name, for the error when a build-only option is given to a call
	kind   optionKind
	key    keysource.Key          // optKey
	failed func(scopes.Code) bool // optFailed; nil turns the check off
	end    streamEnd              // optEnd; nil restores the default
	build  func(*options)         // optBuild
}

func (o *option) interceptorOption() *option { return o }

type optionKind uint8

const (
	optBuild  optionKind = iota // works only when building
	optKey                      // CallKey
	optFailed                   // WithStatusCheck, WithoutStatusCheck
	optEnd                      // WithStreamEnd
)

// callConfig is what an Option may set for one call. The interceptor's own
// callConfig holds the defaults built from its Options; a call with Options
// of its own works on a copy.
type callConfig struct {
	key    keysource.Key          // CallKey; zero when unset
	hasKey bool                   // CallKey was given (possibly with the zero Key)
	failed func(scopes.Code) bool // which in-band codes are errors; nil: no check
	end    streamEnd              // which failures end a stream; nil: endStreamDefault
	bad    string                 // name of a build-only Option given to the call
}

// options is what an interceptor holds: the per-call defaults and the rest.
type options struct {
	call          callConfig
	preflight     *preflight
	catalog       *scopes.Catalog // nil: scopes.Required
	tag           string
	allowInsecure bool
	userApp       *userAppDefault       // WithUserApp; nil: off
	inv           keysource.Invalidator // the Source's, or nil

	lastMD       atomic.Pointer[keyMD] // outgoing metadata of the Source's last key; see cachedMD
	lastOverride atomic.Pointer[keyMD] // the same for the last override
	fps          fingerprints          // of the keys used, for the grant cache and the limiter
	limiter      Limiter               // WithThrottle; nil: off
}

func newOptions(opts []Option) *options {
	o := &options{call: callConfig{failed: scopes.Code.Failed}}
	for _, opt := range opts {
		opt := opt.interceptorOption()
		if opt.kind == optBuild {
			opt.build(o)
		} else {
			opt.apply(&o.call)
		}
	}
	return o
}

// forCall sets *cfg to the settings of one call, the interceptor's
// defaults with the call's Options applied, and returns the call options
// without them, to pass on. Without Options among callOpts it returns
// callOpts unchanged and costs a type check per call option. Options at the
// end of callOpts (where a generated client's caller puts them) are cut off
// without copying; others are filtered into a new slice.
func (o *options) forCall(cfg *callConfig, callOpts []grpc.CallOption) []grpc.CallOption {
	*cfg = o.call
	first := -1
	for i, co := range callOpts {
		if opt, ok := co.(*option); ok {
			if first < 0 {
				first = i
			}
			opt.apply(cfg)
		}
	}
	if first < 0 {
		return callOpts
	}
	rest := callOpts[:first:first] // appending to it copies
	for _, co := range callOpts[first+1:] {
		if _, ok := co.(*option); !ok {
			rest = append(rest, co)
		}
	}
	return rest
}

// apply applies opt to one call's settings.
func (opt *option) apply(cfg *callConfig) {
	switch opt.kind {
	case optKey:
		cfg.key, cfg.hasKey = opt.key, true
	case optFailed:
		cfg.failed = opt.failed
	case optEnd:
		cfg.end = opt.end
	default:
		if cfg.bad == "" {
			cfg.bad = opt.name
		}
	}
}

// err reports a build-only Option given to a call.
func (cfg *callConfig) err() error {
	if cfg.bad == "" {
		return nil
	}
	return status.Error(codes.InvalidArgument, "clarifaiauth: interceptor."+cfg.bad+" works only when building the interceptor, not as a call option; call not sent")
}

// checkReply turns reply into a *scopes.Error if its Clarifai status is a
// failure that failed reports; a nil failed checks nothing.
func (o *options) checkReply(failed func(scopes.Code) bool, method string, reply any) error {
	if failed == nil {
		return nil
	}
	err := scopes.CheckReply(method, reply, failed)
	if se, ok := err.(*scopes.Error); ok && o.catalog != nil {
		if req, ok := o.catalog.Required(method); ok {
			// A copy: the catalog's cached slice must not be reachable
			// through an error the caller may modify.
			req.Scopes = slices.Clone(req.Scopes)
			se.Required = req
		}
	}
	return err
}

// CallKey makes calls use k over every other credential: given to one call,
// that call; given when building, every call that carries no CallKey of its
// own.
//
//	resp, err := client.PostInputs(ctx, req, interceptor.CallKey(pat))
//
// Precedence, highest first: CallKey on the call, CallKey given when
// building, keysource.WithKey on the context, a credential header the
// caller wrote into the outgoing metadata, the Source. A zero k fails the
// call locally with Unauthenticated (errors.Is(err, keysource.ErrNoKey)).
// Given to a call without this package's interceptors in the chain, it does
// nothing.
func CallKey(k keysource.Key) Option {
	return &option{name: "CallKey", kind: optKey, key: k}
}

// WithStatusCheck narrows which in-band Clarifai status codes become
// errors: a reply whose code makes failed return true becomes a
// *scopes.Error. The default is scopes.Code.Failed. A nil failed restores
// the default. It works when building and per call.
func WithStatusCheck(failed func(scopes.Code) bool) Option {
	if failed == nil {
		failed = scopes.Code.Failed
	}
	return &option{name: "WithStatusCheck", kind: optFailed, failed: failed}
}

// WithoutStatusCheck leaves replies alone: the caller checks
// resp.Status.Code itself, as with the bare Clarifai client. It works when
// building and per call:
//
//	resp, err := client.PostInputs(ctx, req, interceptor.WithoutStatusCheck())
func WithoutStatusCheck() Option { return withoutStatusCheck }

var withoutStatusCheck = &option{name: "WithoutStatusCheck", kind: optFailed}

// streamEnd decides whether a failed reply status ends a stream.
type streamEnd func(code scopes.Code, first bool) bool

// WithStreamEnd decides which failed reply statuses end a stream. end is
// asked about each received message whose status the status check (see
// WithStatusCheck) calls a failure, with whether it is the stream's first
// reply: true ends the stream with a *scopes.Error; false delivers the
// message as it is, and the caller reads its status (scopes.CheckReply
// turns it into an error on demand). A nil end restores the default.
//
// The default ends a stream on a failure in its first reply (the request
// itself was refused: nothing useful follows) and on a connection-level
// failure (11xxx: key, scopes, limits, throttling) in any reply; a failure
// in a later reply is delivered. That is how Clarifai's streams behave: a
// prediction stream reports a failed item in one reply and goes on with the
// next, so ending the stream there would lose the replies after it. It
// works when building and per call.
func WithStreamEnd(end func(code scopes.Code, first bool) bool) Option {
	return &option{name: "WithStreamEnd", kind: optEnd, end: end}
}

// endsStream applies end, a WithStreamEnd, or the default rule when nil.
func endsStream(end streamEnd, code scopes.Code, first bool) bool {
	if end != nil {
		return end(code, first)
	}
	return first || code.ConnectionLevel()
}

// WithCatalog names the catalog that says what each method needs: it fills
// the Required field of the *scopes.Error the interceptors return and is
// what WithPreflight checks against. The default is the descriptors linked
// into the program (scopes.Required); give a catalog built with
// scopes.NewCatalog for programs that load Clarifai's descriptors from a
// descriptor set. Only when building.
func WithCatalog(c *scopes.Catalog) Option {
	return &option{name: "WithCatalog", build: func(o *options) { o.catalog = c }}
}

// WithRequestTag adds "x-clarifai-request-id-prefix: <prefix>" to every
// call, as Clarifai's SDKs do, so Clarifai's request ids show which client
// sent them. An empty prefix means "clarifaiauth-go-" and this library's version. A tag the
// caller already put in the outgoing metadata wins. Off by default: the tag
// changes the req_id values the server hands back, which callers may already
// parse or log, and it is one more header on every call. Only when building.
func WithRequestTag(prefix string) Option {
	if prefix == "" {
		prefix = defaultRequestIDPrefix
	}
	return &option{name: "WithRequestTag", build: func(o *options) { o.tag = prefix }}
}

// AllowInsecureTransport lets keys travel over a connection without
// transport security: a local proxy, a test server on loopback. Without it,
// PerRPCCredentials refuses such a connection, and so does one dialled with
// the root package's DialOptions. Only when building.
func AllowInsecureTransport() Option {
	return &option{name: "AllowInsecureTransport", build: func(o *options) { o.allowInsecure = true }}
}
