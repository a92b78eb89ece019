package scopes

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
)

func TestRetriable(t *testing.T) {
	withClarifai := func(c codes.Code, code ct.StatusCode) error {
		d, err := anypb.New(&ct.Status{Code: code})
		if err != nil {
			t.Fatal(err)
		}
		p := status.New(c, "x").Proto()
		p.Details = []*anypb.Any{d}
		return status.FromProto(p).Err()
	}
	tests := []struct {
		desc string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain error", errors.New("x"), false},
		{"context canceled", context.Canceled, false},
		{"deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), false},
		{"gRPC canceled", status.Error(codes.Canceled, "x"), false},
		{"gRPC deadline", status.Error(codes.DeadlineExceeded, "x"), false},
		{"gRPC unavailable", status.Error(codes.Unavailable, "connection refused"), true},
		{"wrapped gRPC unavailable", fmt.Errorf("call: %w", status.Error(codes.Unavailable, "x")), true},
		{"gRPC resource exhausted", status.Error(codes.ResourceExhausted, "message too large"), false},
		{"gRPC internal", status.Error(codes.Internal, "x"), false},
		{"unavailable carrying a monthly limit", withClarifai(codes.Unavailable, ct.StatusCode_CONN_EXCEED_MONTHLY_LIMIT), false},
		{"resource exhausted carrying throttling", withClarifai(codes.ResourceExhausted, ct.StatusCode_CONN_THROTTLED), true},
		{"wrapped *Error", fmt.Errorf("call: %w", &Error{Code: 11005}), true},
		{"local refusal", &Error{Code: 11007, Local: true}, false},
	}
	for _, c := range []Code{11005, 11003, 10030, 21354, 25604, 40031, 40030} {
		tests = append(tests, struct {
			desc string
			err  error
			want bool
		}{c.String(), &Error{Code: c}, true})
	}
	for _, c := range []Code{11004, 11006, 11007, 11008, 11009, 11001, 11002, 11100, 90400, 10020, 0, 10000, 69001, 40033, 39997, 12345} {
		tests = append(tests, struct {
			desc string
			err  error
			want bool
		}{c.String(), &Error{Code: c}, false})
	}
	for _, tc := range tests {
		if got := Retriable(tc.err); got != tc.want {
			t.Errorf("%s: Retriable = %v, want %v", tc.desc, got, tc.want)
		}
	}
}
