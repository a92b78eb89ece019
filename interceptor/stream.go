package interceptor

import (
	"context"
	"sync/atomic"

	"github.com/grpc-keyauth/clarifaiauth/internal/callinfo"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// StreamClient returns a client interceptor that puts exactly one Clarifai
// credential on every stream, as UnaryClient does, and checks the in-band
// status of each message received.
//
// A failure in the first reply, or a connection-level one (11xxx) in any
// reply, ends the stream: RecvMsg returns a *scopes.Error and so do later
// calls. A failure of one item in a later reply, and progress statuses
// (UPLOAD_IN_PROGRESS, MODEL_BUILDING), are delivered as they are (see
// WithStreamEnd). A stream whose first message must be checked first (by
// WithPreflight, or for naming its app) opens when that message is sent; a
// refused stream sends nothing and its SendMsg returns the refusal.
func StreamClient(src keysource.Source, opts ...Option) grpc.StreamClientInterceptor {
	o := newOptions(opts)
	o.inv = invalidator(src)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		var cfg callConfig
		callOpts = o.guard(o.forCall(&cfg, callOpts))
		if cfg.checkSet {
			ctx = callinfo.WithStatusCheck(ctx, cfg.failed)
		}
		ctx, k, fromSource, err := o.attach(ctx, src, &cfg)
		if err != nil {
			return nil, err
		}
		// A stream opens at its first message when that message must be
		// checked first: against the key's grant, or, with a PAT and no
		// default app, for naming its app (see needsUserApp).
		grant := false
		if o.preflight != nil {
			need, known := preflightRequired(o.preflight, method)
			if err := refuseAuthType(method, need, known, k); err != nil {
				return nil, err
			}
			grant = needsGrant(method, need, known) && cc != nil
		}
		patCheck := k.Kind() == keysource.KindPAT && o.userApp == nil
		lazy := grant || patCheck
		var limit *callLimit
		if o.limiter != nil {
			limit = newCallLimit(ctx, o.limiter, o.fps.Of(k).Bucket, method)
		}
		if cfg.failed == nil && !lazy {
			if ctx, err = limit.wait(ctx); err != nil {
				return nil, err
			}
			cs, err := streamer(ctx, desc, cc, method, callOpts...)
			if err != nil {
				limit.report(nil, err)
				err = o.fail(err, k, fromSource)
				limit.failed(err)
				return nil, err
			}
			return &scrubbedStream{ClientStream: cs, o: o, k: k, fromSource: fromSource, limit: limit}, nil
		}
		// The stream gets a context of its own so that ending it early (a
		// failed status, a preflight refusal) releases it, and so that it
		// is released from its parent once the stream is over.
		ctx, cancel := context.WithCancel(ctx)
		s := &checkedStream{o: o, failed: cfg.failed, ends: cfg.end, k: k, method: method, cancel: cancel,
			serverStreams: desc.ServerStreams, fromSource: fromSource, limit: limit, patCheck: patCheck}
		if lazy {
			s.lazy = &lazyOpen{ctx: ctx, opened: make(chan struct{}), open: func(first any) (grpc.ClientStream, bool, error) {
				if grant {
					if err := o.check(ctx, cc, method, first, k); err != nil {
						return nil, true, err
					}
				}
				wctx, err := limit.wait(ctx)
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
		if ctx, err = limit.wait(ctx); err != nil {
			cancel()
			return nil, err
		}
		cs, err := streamer(ctx, desc, cc, method, callOpts...)
		if err != nil {
			cancel()
			limit.report(nil, err)
			err = o.fail(err, k, fromSource)
			limit.failed(err)
			return nil, err
		}
		s.cs = cs
		return s, nil
	}
}

// checkedStream checks each received message's Clarifai status, and opens
// the underlying stream lazily when the preflight needs its first message.
// It is kept small: every checked stream allocates one.
//
// gRPC lets one goroutine send (SendMsg, CloseSend) while another receives
// (RecvMsg); Header, Trailer and Context may be called from either. Only the
// sending side opens a lazy stream; the others wait for it (lazyOpen).
type checkedStream struct {
	// cs is the underlying stream. For a lazy stream it is set by the
	// sending side before lazy.opened is closed, and read by the others
	// after.
	cs     grpc.ClientStream
	o      *options
	failed func(scopes.Code) bool // the call's status check
	ends   streamEnd              // the call's WithStreamEnd
	k      keysource.Key          // the call's key: scrubbed from errors
	method string
	cancel context.CancelFunc
	lazy   *lazyOpen             // nil: opened when created
	err    atomic.Pointer[error] // the error that ended the stream early

	limit         *callLimit // WithThrottle; nil: off
	serverStreams bool
	fromSource    bool // k came from the Source: tell it of rejections
	patCheck      bool // each message must name its app; the sending side's
	replied       bool // a reply was received; RecvMsg's own
}

// lazyOpen is a stream's opening deferred to its first message.
type lazyOpen struct {
	ctx    context.Context // the stream's context, until it is opened
	opened chan struct{}   // closed once opened, or refused
	// open checks first and opens the stream; refused reports an error
	// made before anything was sent (the preflight's, the Limiter's). It
	// is nil once tried, and the sending side's.
	open func(first any) (cs grpc.ClientStream, refused bool, err error)
}

// openWith opens a lazy stream, checking first; it runs on the sending
// side. A refusal is returned, to fail the SendMsg (or CloseSend) that
// triggered it. A failure to open is not: as gRPC does with a stream that
// breaks, it ends the stream and RecvMsg reports it, which is where
// go-grpc-middleware's retry looks for a stream to open again.
func (s *checkedStream) openWith(first any) error {
	open := s.lazy.open
	s.lazy.open = nil
	cs, refused, err := open(first)
	if err != nil {
		err = s.o.fail(err, s.k, s.fromSource)
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

func (s *checkedStream) SendMsg(m any) error {
	if err := s.ended(); err != nil {
		return err
	}
	m = s.o.userApp.fill(m)
	if s.patCheck {
		// Every message, not only the first: a later message of a client
		// or bidi stream may name its own app, or none.
		if err := needsUserApp(s.k, m); err != nil {
			if s.lazy != nil && s.lazy.open != nil {
				s.lazy.open = nil
				close(s.lazy.opened)
			}
			s.end(err)
			return err
		}
	}
	if s.lazy != nil && s.lazy.open != nil {
		if err := s.openWith(m); err != nil {
			return err
		}
		if s.cs == nil {
			return nil // not opened: RecvMsg reports why
		}
	}
	if err := s.cs.SendMsg(m); err != nil {
		if early := s.ended(); early != nil {
			return early
		}
		return s.o.fail(err, s.k, s.fromSource)
	}
	return nil
}

func (s *checkedStream) CloseSend() error {
	if s.lazy != nil && s.lazy.open != nil {
		if err := s.openWith(nil); err != nil {
			return err
		}
	}
	if s.ended() != nil {
		return nil // the stream is over; RecvMsg reports why
	}
	return s.cs.CloseSend()
}

func (s *checkedStream) RecvMsg(m any) error {
	if err := s.ended(); err != nil {
		return err
	}
	if !s.wait() {
		if err := s.ended(); err != nil {
			return err
		}
		return ctxStatus(s.lazy.ctx)
	}
	if err := s.cs.RecvMsg(m); err != nil {
		s.cancel()
		if early := s.ended(); early != nil {
			return early
		}
		s.limit.report(nil, err)
		err = s.o.fail(err, s.k, s.fromSource)
		s.limit.failed(err)
		return err
	}
	first := !s.replied
	s.replied = true
	err := s.checkReply(m, first)
	if first {
		s.limit.report(m, err)
	}
	if err != nil {
		err = s.o.fail(err, s.k, s.fromSource)
		s.limit.failed(err)
		s.end(err)
		s.drain(m)
		return err
	}
	if !s.serverStreams {
		// One reply ends a client-streaming call: release the context now.
		s.cancel()
	}
	return nil
}

// checkReply returns the error that ends the stream at reply m, or nil to
// deliver m.
func (s *checkedStream) checkReply(m any, first bool) error {
	err := s.o.checkReply(s.failed, s.method, m)
	if err == nil {
		return nil
	}
	if se, ok := err.(*scopes.Error); ok && !endsStream(s.ends, se.Code, first) {
		s.o.invalidate(err, s.k, s.fromSource) // delivered, but still a rejection
		return nil
	}
	return err
}

// drain reads the cancelled underlying stream to its end, so that gRPC has
// finished with it before the caller may call Trailer. It reads into a
// fresh message of m's type: m is the reply the caller gets back.
func (s *checkedStream) drain(m any) {
	pm, ok := m.(proto.Message)
	if !ok {
		return
	}
	scratch := pm.ProtoReflect().New().Interface()
	for s.cs.RecvMsg(scratch) == nil {
	}
}

func (s *checkedStream) Header() (metadata.MD, error) {
	if !s.wait() {
		return nil, nil // ended without headers: RecvMsg tells why
	}
	return s.cs.Header()
}

func (s *checkedStream) Trailer() metadata.MD {
	if !s.isOpen() {
		return nil
	}
	return s.cs.Trailer()
}

func (s *checkedStream) Context() context.Context {
	if !s.isOpen() {
		return s.lazy.ctx
	}
	return s.cs.Context()
}

// end records why the stream ended early and cancels it.
func (s *checkedStream) end(err error) {
	s.err.CompareAndSwap(nil, &err)
	s.cancel()
}

func (s *checkedStream) ended() error {
	if p := s.err.Load(); p != nil {
		return *p
	}
	return nil
}

// scrubbedStream is a stream whose replies are not checked: it only scrubs
// the key from the errors gRPC returns, and reports rejections.
type scrubbedStream struct {
	grpc.ClientStream
	o          *options
	k          keysource.Key
	fromSource bool
	limit      *callLimit
}

func (s *scrubbedStream) SendMsg(m any) error {
	return s.o.fail(s.ClientStream.SendMsg(s.o.userApp.fill(m)), s.k, s.fromSource)
}

func (s *scrubbedStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil {
		s.limit.report(m, nil)
		return nil
	}
	s.limit.report(nil, err)
	err = s.o.fail(err, s.k, s.fromSource)
	s.limit.failed(err)
	return err
}
