package interceptor

import (
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/grpc-keyauth/clarifaiauth/internal/keyfp"
	"github.com/grpc-keyauth/clarifaiauth/internal/replystatus"
	"github.com/grpc-keyauth/clarifaiauth/internal/transportsec"
	"github.com/grpc-keyauth/clarifaiauth/internal/version"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
)

// requestTagHeader is the metadata key Clarifai reads request tags from.
const requestTagHeader = "x-clarifai-request-id-prefix"

// defaultRequestTag is the tag calls carry unless WithRequestTag says
// otherwise, in the "<sdk-name>-<version>" form Clarifai's own SDKs use.
const defaultRequestTag = "clarifaiauth-go-" + version.Version

// Option configures UnaryClient and StreamClient when they are built;
// PerRPCCredentials takes CredentialsOptions only.
type Option interface{ apply(*options) }

// CallOption is an Option that also works per call, as a grpc.CallOption:
// given when building it is the default for every call, given to one call
// it overrides that default for the call.
//
//	ic := interceptor.UnaryClient(src) // checks every reply…
//	resp, err := client.PostInputs(ctx, req, interceptor.WithStatusCheck(nil)) // …but this one
//
// The interceptors take their CallOptions out of a call's options, so gRPC
// never sees them. PerRPCCredentials sees no call options and takes none.
type CallOption interface {
	Option
	grpc.CallOption
}

// CredentialsOption is an Option that PerRPCCredentials honours as well as
// the interceptors: AllowInsecureTransport and WithRequestTag. The other
// options need the request, the reply or the call's options, which
// PerRPCCredentials never sees, so they do not compile with it.
type CredentialsOption interface {
	Option
	credentialsOption()
}

// credOption is the one implementation of CredentialsOption.
type credOption func(*options)

func (f credOption) apply(o *options) { f(o) }
func (credOption) credentialsOption() {}

// buildOption is an Option that works only when building.
type buildOption func(*options)

func (f buildOption) apply(o *options) { f(o) }

// callOption is the one implementation of CallOption. It is a pointer, so
// passing it as a grpc.CallOption does not allocate.
type callOption struct {
	grpc.EmptyCallOption // gRPC ignores it

	kind   optionKind
	key    keysource.Key          // optKey
	failed func(scopes.Code) bool // optFailed; nil turns the check off
	end    streamEnd              // optEnd; nil restores the default
}

type optionKind uint8

const (
	optKey    optionKind = iota // CallKey
	optFailed                   // WithStatusCheck
	optEnd                      // WithStreamEnd
)

func (opt *callOption) apply(o *options) { opt.applyCall(&o.call) }

// callConfig is what a CallOption may set for one call. The interceptor's
// own callConfig holds the defaults built from its Options; a call with
// CallOptions of its own works on a copy.
type callConfig struct {
	key    keysource.Key          // CallKey; zero when unset
	hasKey bool                   // CallKey was given (possibly with the zero Key)
	failed func(scopes.Code) bool // which in-band codes are errors; nil: no check
	end    streamEnd              // which failures end a stream; nil: endStreamDefault
	// checkSet says WithStatusCheck gave a check of its own: the call then
	// tells clarifaiotel's handler (callinfo.WithStatusCheck), which
	// otherwise, as with the check off, keeps scopes.Code.Failed.
	checkSet bool
}

// options is what an interceptor holds: the per-call defaults and the rest.
type options struct {
	call          callConfig
	preflight     *preflight.Checker
	tag           string
	allowInsecure bool
	err           error             // the first invalid option; see Validate
	userApp       *userAppDefault   // WithUserApp; nil: off
	inv           sourceInvalidator // the Source's, or nil
	limiter       Limiter           // WithThrottle; nil: off

	lastMD       atomic.Pointer[keyMD]   // outgoing metadata of the Source's last key; see cachedMD
	lastOverride atomic.Pointer[keyMD]   // the same for the last override
	fps          keyfp.Cache             // fingerprints of the keys used, for the limiter
	lastKeyOpts  atomic.Pointer[keyOpts] // see keyOpts
}

// newOptions applies opts, and panics with Validate's message on an
// invalid one: a programming error fails when the client is built.
func newOptions(opts []Option) *options {
	o := applyOptions(opts)
	if o.err != nil {
		panic(o.err.Error())
	}
	return o
}

func applyOptions(opts []Option) *options {
	o := &options{call: callConfig{failed: scopes.Code.Failed}, tag: defaultRequestTag}
	for _, opt := range opts {
		opt.apply(o)
	}
	return o
}

// Validate returns the first problem with opts, the message UnaryClient,
// StreamClient and PerRPCCredentials panic with, or nil. The root package's
// NewClient returns it as an error.
func Validate(opts ...Option) error { return applyOptions(opts).err }

// AllowsInsecureTransport reports whether opts include
// AllowInsecureTransport: whether interceptors built with them may send
// keys over a connection without transport security.
func AllowsInsecureTransport(opts ...Option) bool { return applyOptions(opts).allowInsecure }

// forCall sets *cfg to the settings of one call, the interceptor's
// defaults with the call's CallOptions applied, and returns the call
// options without them, to pass on. Without CallOptions among callOpts it
// returns callOpts unchanged and costs a type check per call option.
// CallOptions at the end of callOpts (where a generated client's caller
// puts them) are cut off without copying; others are filtered into a new
// slice.
func (o *options) forCall(cfg *callConfig, callOpts []grpc.CallOption) []grpc.CallOption {
	*cfg = o.call
	first := -1
	for i, co := range callOpts {
		if opt, ok := co.(*callOption); ok {
			if first < 0 {
				first = i
			}
			opt.applyCall(cfg)
		}
	}
	if first < 0 {
		return callOpts
	}
	rest := callOpts[:first:first] // appending to it copies
	for _, co := range callOpts[first+1:] {
		if _, ok := co.(*callOption); !ok {
			rest = append(rest, co)
		}
	}
	return rest
}

// applyCall applies opt to one call's settings.
func (opt *callOption) applyCall(cfg *callConfig) {
	switch opt.kind {
	case optKey:
		cfg.key, cfg.hasKey = opt.key, true
	case optFailed:
		cfg.failed, cfg.checkSet = opt.failed, opt.failed != nil
	case optEnd:
		cfg.end = opt.end
	}
}

// checkReply turns reply into a *scopes.Error if its Clarifai status is a
// failure that failed reports; a nil failed checks nothing.
func (o *options) checkReply(failed func(scopes.Code) bool, method string, reply any) error {
	if failed == nil {
		return nil
	}
	err := replystatus.Check(method, reply, failed)
	if se, ok := err.(*scopes.Error); ok && o.preflight != nil {
		if req, ok := preflightRequired(o.preflight, method); ok {
			// A copy: the catalog's cached slice must not be reachable
			// through an error the caller may modify.
			req.Scopes = slices.Clone(req.Scopes)
			se.Required = req
		}
	}
	return err
}

// CallKey makes calls use k over every other credential: given to one call,
// that call; given when building, every call without a CallKey of its own.
//
//	resp, err := client.PostInputs(ctx, req, interceptor.CallKey(pat))
//
// A zero k fails the call locally with Unauthenticated. Without this
// package's interceptors in the chain it does nothing.
func CallKey(k keysource.Key) CallOption {
	return &callOption{kind: optKey, key: k}
}

// WithStatusCheck chooses which in-band Clarifai status codes become
// errors: a reply whose code makes failed return true becomes a
// *scopes.Error. The default is scopes.Code.Failed; a nil failed turns the
// check off, and the caller reads resp.Status.Code itself, as with the bare
// Clarifai client:
//
//	resp, err := client.PostInputs(ctx, req, interceptor.WithStatusCheck(nil))
func WithStatusCheck(failed func(scopes.Code) bool) CallOption {
	return &callOption{kind: optFailed, failed: failed}
}

// streamEnd decides whether a failed reply status ends a stream.
type streamEnd func(code scopes.Code, first bool) bool

// WithStreamEnd decides which failed reply statuses end a stream. end is
// asked about each received message whose status the status check calls a
// failure, with whether it is the stream's first reply: true ends the
// stream with a *scopes.Error; false delivers the message as it is. A nil
// end restores the default.
//
// The default ends a stream on a failure in its first reply (the request
// itself was refused) and on a connection-level failure (11xxx: key,
// scopes, limits, throttling) in any reply; a failure in a later reply is
// delivered, as Clarifai's prediction streams report a failed item and go
// on with the next.
func WithStreamEnd(end func(code scopes.Code, first bool) bool) CallOption {
	return &callOption{kind: optEnd, end: end}
}

// endsStream applies end, a WithStreamEnd, or the default rule when nil.
func endsStream(end streamEnd, code scopes.Code, first bool) bool {
	if end != nil {
		return end(code, first)
	}
	return first || connectionLevel(code)
}

// WithRequestTag sets the "x-clarifai-request-id-prefix" every call
// carries, so that Clarifai's request ids show which client sent them; the
// default is "clarifaiauth-go-<version>". An empty prefix sends none. A tag
// the caller already put in the outgoing metadata wins. A prefix is
// printable ASCII of at most 128 bytes; any other makes building panic (see
// Validate).
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

// AllowInsecureTransport lets keys travel over a connection without
// transport security: a local proxy, a test server on loopback. Without it,
// a key goes only over a connection that reports privacy and integrity
// (TLS, ALTS): the interceptors, PerRPCCredentials, DialOptions and
// NewClient refuse any other with Unauthenticated before sending.
func AllowInsecureTransport() CredentialsOption {
	return credOption(func(o *options) { o.allowInsecure = true })
}

// connectionLevel reports whether code is one of Clarifai's connection-level
// codes (11xxx: key, scopes, limits, throttling).
func connectionLevel(code scopes.Code) bool { return code >= 11000 && code < 12000 }

// guard returns callOpts with transportsec's per-call guard added, unless
// AllowInsecureTransport: the key then goes only over a connection the rule
// allows, even on a connection dialled without DialOptions. Without other
// call options it costs nothing: the shared slice has no room to append to.
func (o *options) guard(callOpts []grpc.CallOption) []grpc.CallOption {
	if o.allowInsecure {
		return callOpts
	}
	if len(callOpts) == 0 {
		return guardOnly
	}
	return append(callOpts[:len(callOpts):len(callOpts)], transportsec.CallOption)
}

var guardOnly = []grpc.CallOption{transportsec.CallOption}
