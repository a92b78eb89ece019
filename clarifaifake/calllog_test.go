package clarifaifake_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
)

// TestWithCallLog: the log function sees each call once it is answered,
// before the client has its answer, with its codes or error.
func TestWithCallLog(t *testing.T) {
	var mu sync.Mutex
	var logged []clarifaifake.Call
	s, conn := start(t, clarifaifake.WithCallLog(func(c clarifaifake.Call) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, c)
	}))
	const secret = "calllog-pat-0123456789abcdef"
	s.AddPAT(secret, predictScopes, nil)
	s.SetError(mListStatusCodes, status.Error(codes.Unavailable, "down"))

	for _, m := range []string{mPostModelOutputs, mPostInputs, mListStatusCodes} {
		_, _ = call(withKey(t, secret), s, conn, m)
	}
	mu.Lock()
	defer mu.Unlock()
	var methods []string
	for _, c := range logged {
		methods = append(methods, c.Method)
	}
	if !slices.Equal(methods, []string{mPostModelOutputs, mPostInputs, mListStatusCodes}) {
		t.Fatalf("logged %v", methods)
	}
	if !slices.Equal(logged[0].Codes, []int32{codeSuccess}) || !slices.Equal(logged[1].Codes, []int32{codeInsufficientScopes}) {
		t.Errorf("codes %v, %v", logged[0].Codes, logged[1].Codes)
	}
	if status.Code(logged[2].Err) != codes.Unavailable {
		t.Errorf("err %v", logged[2].Err)
	}
	if line := logged[0].String(); strings.Contains(line, secret) || !strings.Contains(line, "…cdef") {
		t.Errorf("line %q", line)
	}
}
