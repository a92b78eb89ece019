package interceptor

import (
	"context"
	"sync/atomic"

	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// checkedStream runs the checks on each message sent, the reply check on
// each received, and opens the underlying stream lazily when a check must
// see its first message. It is kept small: every checked stream allocates
// one.
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
	c      call                   // the call's key and checks
	cancel context.CancelFunc
	lazy   *lazyOpen             // nil: opened when created
	err    atomic.Pointer[error] // the error that ended the stream early

	limit         *callLimit // WithThrottle; nil: off
	serverStreams bool
	sent          bool // a message was sent; the sending side's
	replied       bool // a reply was received; RecvMsg's own
}

func (s *checkedStream) SendMsg(m any) error {
	if err := s.ended(); err != nil {
		return err
	}
	ats := uint8(1 << atEach)
	if !s.sent {
		ats |= 1 << atFirst
		s.sent = true
	}
	m, err := s.o.runChecks(s.checkContext(), &s.c, m, ats)
	if err != nil {
		s.refuse(err)
		return err
	}
	if s.pending() {
		if err := s.openLazily(); err != nil {
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
		return s.o.fail(err, &s.c)
	}
	return nil
}

func (s *checkedStream) CloseSend() error {
	if s.pending() {
		// A stream closed before its first message: its checks see none.
		if _, err := s.o.runChecks(s.lazy.ctx, &s.c, nil, 1<<atFirst|1<<atEach); err != nil {
			s.refuse(err)
			return err
		}
		if err := s.openLazily(); err != nil {
			return err
		}
	}
	if s.ended() != nil {
		return nil // the stream is over; RecvMsg reports why
	}
	return s.cs.CloseSend()
}

// checkContext is the context the checks of a sent message run in.
func (s *checkedStream) checkContext() context.Context {
	if s.pending() {
		return s.lazy.ctx
	}
	return s.cs.Context()
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
		return s.limit.fail(s.o, &s.c, err)
	}
	first := !s.replied
	s.replied = true
	err := s.checkReply(m, first)
	if first {
		s.limit.report(m, err)
	}
	if err != nil {
		err = s.o.fail(err, &s.c)
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
	err := s.o.checkReply(s.failed, s.c.method, m)
	if err == nil {
		return nil
	}
	if se, ok := err.(*scopes.Error); ok && !endsStream(se.Code, first) {
		s.o.invalidate(err, &s.c) // delivered, but still a rejection
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

// scrubbedStream is a stream whose replies are not checked and that no
// check opens lazily: it runs the checks on each message sent, scrubs the
// key from the errors gRPC returns, and reports rejections.
type scrubbedStream struct {
	grpc.ClientStream
	o     *options
	c     call
	limit *callLimit
	sent  bool // the sending side's
}

func (s *scrubbedStream) SendMsg(m any) error {
	ats := uint8(1 << atEach)
	if !s.sent {
		ats |= 1 << atFirst
		s.sent = true
	}
	m, err := s.o.runChecks(s.ClientStream.Context(), &s.c, m, ats)
	if err != nil {
		return err
	}
	return s.o.fail(s.ClientStream.SendMsg(m), &s.c)
}

func (s *scrubbedStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil {
		s.limit.report(m, nil)
		return nil
	}
	return s.limit.fail(s.o, &s.c, err)
}
