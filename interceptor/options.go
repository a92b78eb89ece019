package interceptor

import (
	"sync/atomic"

	"github.com/grpc-keyauth/clarifaiauth/internal/keyfp"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
)

// Option configures UnaryClient and StreamClient when they are built.
type Option interface{ apply(*options) }

// CallOption is an Option that also works per call, as a grpc.CallOption
// that overrides the built-in default for that call:
//
//	resp, err := client.PostInputs(ctx, req, interceptor.WithStatusCheck(nil))
type CallOption interface {
	Option
	grpc.CallOption
}

// CredentialsOption is an Option that PerRPCCredentials takes too; the
// others need the request, reply or call options, which it never sees.
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
}

type optionKind uint8

const (
	optKey    optionKind = iota // CallKey
	optFailed                   // WithStatusCheck
)

func (opt *callOption) apply(o *options) { opt.applyCall(&o.call) }

// callConfig is what a CallOption may set for one call. The interceptor's
// own callConfig holds the defaults built from its Options; a call with
// CallOptions of its own works on a copy.
type callConfig struct {
	key    keysource.Key          // CallKey; zero when unset
	hasKey bool                   // CallKey was given (possibly with the zero Key)
	failed func(scopes.Code) bool // which in-band codes are errors; nil: no check
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
	connGuarded   bool              // the connection applies the transport rule (DialOptions)
	err           error             // the first invalid option
	userApp       *userAppDefault   // WithUserApp; nil: off
	userAppGiven  bool              // WithUserApp was given, even to turn it off
	inv           sourceInvalidator // the Source's, or nil
	limiter       Limiter           // WithThrottle; nil: off
	explain       func(error) error // NewClient's; see explained

	lastMD       atomic.Pointer[keyMD]   // outgoing metadata of the Source's last key; see cachedMD
	lastOverride atomic.Pointer[keyMD]   // the same for the last override
	fps          keyfp.Cache             // fingerprints of the keys used, for the limiter
	lastKeyOpts  atomic.Pointer[keyOpts] // see keyOpts
}

// newOptions applies opts, and panics with the first invalid one's
// message: a programming error fails when the client is built.
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
	}
}
