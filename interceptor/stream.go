package interceptor

import (
	"context"
	"io"
	"sync"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// StreamClient returns a client interceptor that puts exactly one Clarifai
// credential on every stream's headers when the stream is created, with the
// same precedence, per-call Options and local failures as UnaryClient.
//
// Each received message's in-band Clarifai status is checked as Clarifai's
// streams need it (see WithStreamEnd): a failure in the first reply, or a
// connection-level failure (11xxx: key, scopes, limits, throttling) in any
// reply, ends the stream: RecvMsg returns a *scopes.Error (the message is
// left as received), and the underlying stream is cancelled and read to its
// end, so that Header and Trailer are safe to call and nothing is left
// running; later RecvMsg and SendMsg calls return the same error. A failure
// of one item in a later reply is delivered as the message it is, as are
// progress statuses (UPLOAD_IN_PROGRESS, MODEL_BUILDING, …).
//
// With WithPreflight, a stream whose method the preflight may refuse is
// opened only when the first message is sent (or CloseSend is called), after
// the preflight has checked that message: a refused stream never reaches
// the server, and SendMsg (or CloseSend) returns the *scopes.Error. Until
// then Header and RecvMsg wait for the opening, and Context returns the
// stream's own context.
func StreamClient(src keysource.Source, opts ...Option) grpc.StreamClientInterceptor {
	o := newOptions(opts)
	inv := invalidator(src)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		cfg, callOpts := o.forCall(callOpts)
		if err := cfg.err(); err != nil {
			return nil, err
		}
		ctx, k, fromSource, err := o.attach(ctx, src, &cfg)
		if err != nil {
			return nil, err
		}
		rk := rejectable{k: k, inv: inv, fromSource: fromSource}
		lazy := false
		if o.preflight != nil {
			need, known := o.required(method)
			if err := refuseAuthType(method, need, known, k); err != nil {
				return nil, err
			}
			lazy = known && len(need.Scopes) > 0 && method != scopes.MyScopesMethod && cc != nil
		}
		if cfg.failed == nil && !lazy {
			cs, err := streamer(ctx, desc, cc, method, callOpts...)
			if err != nil {
				return nil, rk.fail(err)
			}
			return &scrubbedStream{ClientStream: cs, rk: rk}, nil
		}
		// The stream gets a context of its own so that ending it early (a
		// failed status, a preflight refusal) releases it, and so that it
		// is released from its parent once the stream is over.
		ctx, cancel := context.WithCancel(ctx)
		s := &checkedStream{o: o, cfg: cfg, rk: rk, method: method, desc: desc, ctx: ctx, cancel: cancel}
		if lazy {
			s.opened = make(chan struct{})
			s.open = func(first any) (grpc.ClientStream, error) {
				if err := o.preflight.check(ctx, cc, o, method, first, k); err != nil {
					return nil, err
				}
				return streamer(ctx, desc, cc, method, callOpts...)
			}
			return s, nil
		}
		cs, err := streamer(ctx, desc, cc, method, callOpts...)
		if err != nil {
			cancel()
			return nil, rk.fail(err)
		}
		s.cs = cs
		return s, nil
	}
}

// checkedStream checks each received message's Clarifai status, and opens
// the underlying stream lazily when the preflight needs its first message.
//
// gRPC lets one goroutine send (SendMsg, CloseSend) while another receives
// (RecvMsg); Header, Trailer and Context may be called from either. Only the
// sending side opens a lazy stream; the others wait for opened.
type checkedStream struct {
	o      *options
	cfg    callConfig
	rk     rejectable
	method string
	desc   *grpc.StreamDesc
	ctx    context.Context
	cancel context.CancelFunc

	// cs is the underlying stream. For a lazy stream it is set by the
	// sending side before opened is closed, and read by the others after.
	cs     grpc.ClientStream
	opened chan struct{}                              // nil: opened when created
	open   func(first any) (grpc.ClientStream, error) // nil once tried

	replies int // messages received; RecvMsg's own

	mu  sync.Mutex // guards err: RecvMsg may run beside SendMsg
	err error      // the error that ended the stream early
}

// openWith opens a lazy stream, checking first; it runs on the sending side.
func (s *checkedStream) openWith(first any) error {
	open := s.open
	s.open = nil
	cs, err := open(first)
	if err != nil {
		err = s.rk.fail(err)
		s.end(err)
	} else {
		s.cs = cs
	}
	close(s.opened)
	return err
}

// wait waits until the stream is opened, or ended without being opened.
// It returns false when there is no underlying stream to use.
func (s *checkedStream) wait() bool {
	if s.opened == nil {
		return true
	}
	select {
	case <-s.opened:
		return s.cs != nil
	case <-s.ctx.Done():
		select {
		case <-s.opened: // opened or refused as ctx ended
			return s.cs != nil
		default:
			return false
		}
	}
}

// isOpen reports, without waiting, whether the underlying stream is open.
func (s *checkedStream) isOpen() bool {
	if s.opened == nil {
		return true
	}
	select {
	case <-s.opened:
		return s.cs != nil
	default:
		return false
	}
}

func (s *checkedStream) SendMsg(m any) error {
	if err := s.ended(); err != nil {
		return err
	}
	if s.open != nil {
		if err := s.openWith(m); err != nil {
			return err
		}
	}
	if err := s.cs.SendMsg(m); err != nil {
		if early := s.ended(); early != nil {
			return early
		}
		return s.rk.fail(err)
	}
	return nil
}

func (s *checkedStream) CloseSend() error {
	if s.open != nil {
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
		return ctxStatus(s.ctx)
	}
	if err := s.cs.RecvMsg(m); err != nil {
		s.cancel()
		if early := s.ended(); early != nil {
			return early
		}
		return s.rk.fail(err)
	}
	s.replies++
	if err := s.checkReply(m); err != nil {
		err = s.rk.fail(err)
		s.end(err)
		s.drain(m)
		return err
	}
	if !s.desc.ServerStreams {
		// One reply ends a client-streaming call: release the context now.
		s.cancel()
	}
	return nil
}

// checkReply returns the error that ends the stream at reply m, or nil to
// deliver m.
func (s *checkedStream) checkReply(m any) error {
	err := s.o.checkReply(&s.cfg, s.method, m)
	if err == nil {
		return nil
	}
	if se, ok := err.(*scopes.Error); ok && !s.cfg.endsStream(se.Code, s.replies == 1) {
		invalidate(s.rk.inv, s.rk.fromSource, s.rk.k, err) // delivered, but still a rejection
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
		return s.ctx
	}
	return s.cs.Context()
}

// end records why the stream ended early and cancels it.
func (s *checkedStream) end(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.cancel()
}

func (s *checkedStream) ended() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// rejectable is what a stream needs to turn an error into what the caller
// gets: the call's key, to scrub it from the error, and the Source's
// Invalidator, told when the server rejects a key the Source gave.
type rejectable struct {
	k          keysource.Key
	inv        keysource.Invalidator
	fromSource bool
}

// fail reports err to the Source when it rejects the key, and returns it
// scrubbed. io.EOF and nil pass unchanged.
func (rk *rejectable) fail(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	invalidate(rk.inv, rk.fromSource, rk.k, err)
	return scrub(err, rk.k)
}

// scrubbedStream is a stream whose replies are not checked: it only scrubs
// the key from the errors gRPC returns, and reports rejections.
type scrubbedStream struct {
	grpc.ClientStream
	rk rejectable
}

func (s *scrubbedStream) SendMsg(m any) error { return s.rk.fail(s.ClientStream.SendMsg(m)) }
func (s *scrubbedStream) RecvMsg(m any) error { return s.rk.fail(s.ClientStream.RecvMsg(m)) }
