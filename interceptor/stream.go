package interceptor

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/internal/callinfo"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
)

// StreamClient returns a client interceptor that puts exactly one Clarifai
// credential on every stream, as UnaryClient does, and checks the in-band
// status of each reply: a failure in the first reply, or a connection-level
// one (11xxx) in any, ends the stream with a *scopes.Error; a later item's
// failure is delivered as it is. A stream whose first message must be
// checked first opens when it is sent.
func StreamClient(src keysource.Source, opts ...Option) grpc.StreamClientInterceptor {
	o := newOptions(opts)
	o.inv = invalidator(src)
	ic := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		var cfg callConfig
		callOpts = o.guard(o.forCall(&cfg, callOpts)) // the guard of 4. send
		if cfg.checkSet {
			ctx = callinfo.WithStatusCheck(ctx, cfg.failed) // for clarifaiotel's handler
		}
		c := call{method: method, cc: ccOf(cc)}
		ctx, err := o.attach(ctx, src, &cfg, &c) // 1. key
		if err != nil {
			return nil, err
		}
		// 2. checks: those that need no message now; the others on each
		// message sent, and a lazy one before the stream opens.
		lazy := o.activeChecks(&c)
		if _, err := o.runChecks(ctx, &c, nil, 1<<atOpen); err != nil {
			return nil, err
		}
		var limit *callLimit
		if o.limiter != nil {
			limit = newCallLimit(ctx, o.limiter, o.fps.Of(c.k).Bucket, method)
		}
		if cfg.failed == nil && !lazy {
			if ctx, err = limit.wait(ctx); err != nil { // 3. throttle
				return nil, err
			}
			cs, err := streamer(ctx, desc, cc, method, callOpts...) // 4. send
			if err != nil {
				return nil, limit.fail(o, &c, err) // 6. redact
			}
			return &scrubbedStream{ClientStream: cs, o: o, c: c, limit: limit}, nil
		}
		// The stream gets a context of its own so that ending it early (a
		// failed status, a refusal) releases it, and so that it is released
		// from its parent once the stream is over.
		// sctx is not assigned again: the lazy opening captures it, and a
		// captured variable that changes would cost an allocation per call.
		sctx, cancel := context.WithCancel(ctx)
		s := &checkedStream{o: o, failed: cfg.failed, c: c, cancel: cancel,
			serverStreams: desc.ServerStreams, limit: limit}
		if lazy {
			s.lazy = &lazyOpen{ctx: sctx, opened: make(chan struct{}), open: func() (grpc.ClientStream, bool, error) {
				wctx, err := limit.wait(sctx)
				if err != nil {
					return nil, true, err
				}
				cs, err := streamer(wctx, desc, cc, method, callOpts...)
				if err != nil {
					limit.report(nil, err)
				}
				return cs, false, err
			}}
			return s, nil
		}
		if ctx, err = limit.wait(sctx); err != nil {
			cancel()
			return nil, err
		}
		cs, err := streamer(ctx, desc, cc, method, callOpts...)
		if err != nil {
			cancel()
			return nil, limit.fail(o, &c, err)
		}
		s.cs = cs
		return s, nil
	}
	if o.explain == nil {
		return ic
	}
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		s, err := ic(ctx, desc, cc, method, streamer, callOpts...)
		if err != nil {
			return nil, o.explain(err)
		}
		return s, nil
	}
}

// lazyOpen is a stream's opening deferred to its first message.
type lazyOpen struct {
	ctx    context.Context // the stream's context, until it is opened
	opened chan struct{}   // closed once opened, or refused
	// open waits for the limiter and opens the stream; refused reports an
	// error made before anything was sent (the Limiter's). It is nil once
	// tried, and the sending side's.
	open func() (cs grpc.ClientStream, refused bool, err error)
}

// pending reports whether the stream waits for its first message to open.
// Only the sending side asks.
func (s *checkedStream) pending() bool { return s.lazy != nil && s.lazy.open != nil }

// refuse ends a stream whose message a check refused with err; a stream
// still to open never will.
func (s *checkedStream) refuse(err error) {
	s.end(err)
	if s.pending() {
		s.lazy.open = nil
		close(s.lazy.opened)
	}
}

// openLazily opens a lazy stream on the sending side, its first message
// checked. A refusal by the limiter is returned, to fail the SendMsg (or
// CloseSend) that triggered it. A failure to open is not: as gRPC does
// with a stream that breaks, it ends the stream and RecvMsg reports it,
// which is where go-grpc-middleware's retry looks for a stream to open
// again.
func (s *checkedStream) openLazily() error {
	open := s.lazy.open
	s.lazy.open = nil
	cs, refused, err := open()
	if err != nil {
		err = s.o.fail(err, &s.c)
		if !refused {
			s.limit.failed(err)
		}
		s.end(err)
	} else {
		s.cs = cs
	}
	close(s.lazy.opened)
	if refused {
		return err
	}
	return nil
}

// wait waits until the stream is opened, or ended without being opened.
// It returns false when there is no underlying stream to use.
func (s *checkedStream) wait() bool {
	if s.lazy == nil {
		return true
	}
	select {
	case <-s.lazy.opened:
		return s.cs != nil
	case <-s.lazy.ctx.Done():
		select {
		case <-s.lazy.opened: // opened or refused as ctx ended
			return s.cs != nil
		default:
			return false
		}
	}
}

// isOpen reports, without waiting, whether the underlying stream is open.
func (s *checkedStream) isOpen() bool {
	if s.lazy == nil {
		return true
	}
	select {
	case <-s.lazy.opened:
		return s.cs != nil
	default:
		return false
	}
}
