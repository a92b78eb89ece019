package interceptor

import (
	"context"
	"sync"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
)

// StreamClient returns a client interceptor that puts exactly one Clarifai
// credential on every stream's headers when the stream is created, with the
// same precedence and local failures as UnaryClient.
//
// Each received message whose in-band Clarifai status reports a failure ends
// the stream: RecvMsg returns a *scopes.Error (the message itself is left as
// received) and the stream is cancelled, so nothing is left running.
// Header, Trailer, CloseSend and Context reach the underlying stream
// unchanged. With WithPreflight, the first message sent is checked before it
// goes out; a refusal cancels the stream and SendMsg returns the
// *scopes.Error.
func StreamClient(src keysource.Source, opts ...Option) grpc.StreamClientInterceptor {
	o := newOptions(opts)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		cfg, callOpts := o.forCall(callOpts)
		if err := cfg.err(); err != nil {
			return nil, err
		}
		ctx, k, _, err := o.attach(ctx, src, &cfg)
		if err != nil {
			return nil, err
		}
		if cfg.failed == nil && o.preflight == nil {
			return streamer(ctx, desc, cc, method, callOpts...)
		}
		// The stream gets a context of its own so that ending it early (a
		// failed status, a preflight refusal) releases it, and so that it
		// is released from its parent once the stream is over.
		ctx, cancel := context.WithCancel(ctx)
		cs, err := streamer(ctx, desc, cc, method, callOpts...)
		if err != nil {
			cancel()
			return nil, err
		}
		s := &checkedStream{ClientStream: cs, o: o, cfg: cfg, method: method, desc: desc, cancel: cancel}
		if o.preflight != nil {
			s.preflight = func(req any) error {
				return o.preflight.check(ctx, ccOf(cc), o, method, req, k)
			}
		}
		return s, nil
	}
}

// checkedStream checks each received message's Clarifai status.
type checkedStream struct {
	grpc.ClientStream
	o      *options
	cfg    callConfig
	method string
	desc   *grpc.StreamDesc
	cancel context.CancelFunc

	preflight func(req any) error // nil once done, or when off
	sendOnce  sync.Once
	sendErr   error

	mu  sync.Mutex // guards err; RecvMsg may run beside SendMsg
	err error      // the error that ended the stream early
}

func (s *checkedStream) SendMsg(m any) error {
	if s.preflight != nil {
		s.sendOnce.Do(func() {
			if err := s.preflight(m); err != nil {
				s.end(err)
				s.sendErr = err
			}
		})
		if s.sendErr != nil {
			return s.sendErr
		}
	}
	return s.ClientStream.SendMsg(m)
}

func (s *checkedStream) RecvMsg(m any) error {
	if err := s.ended(); err != nil {
		return err
	}
	if err := s.ClientStream.RecvMsg(m); err != nil {
		s.cancel()
		if early := s.ended(); early != nil {
			return early
		}
		return err
	}
	if err := s.o.checkReply(&s.cfg, s.method, m); err != nil {
		s.end(err)
		return err
	}
	if !s.desc.ServerStreams {
		// One reply ends a client-streaming call: release the context now.
		s.cancel()
	}
	return nil
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
