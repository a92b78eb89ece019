package clarifaiotel

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// Option configures Wrap. Options are applied once, when the handler is
// built.
type Option func(*options)

type options struct {
	meters metric.MeterProvider
}

func newOptions(opts []Option) *options {
	o := &options{}
	for _, opt := range opts {
		opt(o)
	}
	if o.meters == nil {
		o.meters = otel.GetMeterProvider()
	}
	return o
}

// WithMeterProvider sets where the counter [FailureMetric] is recorded. The
// default is otel's global meter provider at the time Wrap is called (which
// forwards to a provider set later with otel.SetMeterProvider). A nil
// provider keeps the default.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.meters = mp }
}
