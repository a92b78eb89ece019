package interceptor_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"

	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// statusCode is one row of the project's reference list of Clarifai's
// status codes, kept in scopes/testdata. The test reads the list, not the
// scopes package, so it checks the promise, not the table against itself.
type statusCode struct {
	code     int32
	name     string
	failure  bool
	grpcCode codes.Code
}

func readStatusCodes(t *testing.T) []statusCode {
	t.Helper()
	f, err := os.Open("../scopes/testdata/clarifai-status-codes.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	grpcCodes := make(map[string]codes.Code)
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		grpcCodes[c.String()] = c
	}
	seen := make(map[int32]bool)
	var list []statusCode
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			t.Fatalf("bad line %q", line)
		}
		n, err := strconv.ParseInt(f[0], 10, 32)
		gc, ok := grpcCodes[f[4]]
		if err != nil || !ok {
			t.Fatalf("bad line %q", line)
		}
		if seen[int32(n)] { // a deprecated name sharing a number
			continue
		}
		seen[int32(n)] = true
		list = append(list, statusCode{code: int32(n), name: f[1], failure: f[3] == "failure", grpcCode: gc})
	}
	if len(list) < 400 {
		t.Fatalf("read %d codes, want all of them", len(list))
	}
	return list
}

// TestEveryStatusCode: every Clarifai status code, as the reply of a unary
// call and as the first reply of a stream: a failure is an error with the
// gRPC code the reference gives, anything else (ok, progress, state) passes.
func TestEveryStatusCode(t *testing.T) {
	e := newEnv(t, staticSource(sourceKey), nil)
	ctx := context.Background()
	for _, c := range readStatusCodes(t) {
		e.srv.SetStatus(predictPath, c.code, "forced", "")
		e.srv.SetStreamCodes(generatePath, c.code)
		_, unaryErr := e.client.PostModelOutputs(ctx, predictReq())
		var streamErr error
		stream, err := e.client.GenerateModelOutputs(ctx, predictReq())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, streamErr = stream.Recv()
		for what, err := range map[string]error{"unary": unaryErr, "stream": streamErr} {
			if !c.failure {
				if err != nil {
					t.Errorf("%s %s (%d): %v, want no error", what, c.name, c.code, err)
				}
				continue
			}
			var se *scopes.Error
			if !errors.As(err, &se) || int32(se.Code) != c.code {
				t.Errorf("%s %s (%d): %v, want a *scopes.Error with that code", what, c.name, c.code, err)
				continue
			}
			if got := status.Code(err); got != c.grpcCode {
				t.Errorf("%s %s (%d): gRPC code %v, want %v", what, c.name, c.code, got, c.grpcCode)
			}
		}
	}
}

func TestConnectionLevel(t *testing.T) {
	for c, want := range map[scopes.Code]bool{10000: false, 10999: false, 11000: true, 11005: true, 11200: true, 11999: true, 12000: false, 21313: false} {
		if got := interceptor.ConnectionLevel(c); got != want {
			t.Errorf("connectionLevel(%d) = %v, want %v", c, got, want)
		}
	}
}
