package clarifaiotel

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// Option configures Wrap. Options are applied once, when the handler is
// built.
type Option func(*options)

type options struct {
	failed func(scopes.Code) bool
	meters metric.MeterProvider
}

func newOptions(opts []Option) *options {
	o := &options{failed: scopes.Code.Failed}
	for _, opt := range opts {
		opt(o)
	}
	if o.meters == nil {
		o.meters = otel.GetMeterProvider()
	}
	return o
}

// WithStatusCheck sets which in-band Clarifai status codes count as
// failures: a reply whose code makes failed return true marks the span (or
// adds an event, see the package documentation). Give it the predicate given
// to the interceptor's WithStatusCheck so that traces and errors agree. The
// default, and what a nil failed restores, is scopes.Code.Failed.
func WithStatusCheck(failed func(scopes.Code) bool) Option {
	return func(o *options) {
		if failed == nil {
			failed = scopes.Code.Failed
		}
		o.failed = failed
	}
}

// WithMeterProvider sets where the counter [FailureMetric] is recorded. The
// default is otel's global meter provider at the time Wrap is called (which
// forwards to a provider set later with otel.SetMeterProvider). A nil
// provider keeps the default.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.meters = mp }
}
