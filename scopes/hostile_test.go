package scopes

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/scopename"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// The scopes part of the adversarial suite (issue 13): text a hostile server
// can put in a status, and what Error() must make of it: a bounded line
// without control, format or separator characters, for bounded allocation.
// No key passes through this package but MyScopes' own: its errors are
// searched for it (testutil.NoSecret).
//
// Attacks covered here:
//   - 7  a status listing 276k scopes: TestAttackScopeListBomb
//   - 9  a MyScopes reply with a huge grant: preflight.TestAttackHugeGrant
//   - 10 control, format and separator characters: TestAttackControlCharacters
//     (with the interceptor's test of the same name)
//   - held: 10 MB descriptions (TestAttackHugeDescriptions), garbage status
//     bytes (TestAttackGarbageStatusBytes), both with the interceptor's tests
//     of the same names.

// manyScopes is a status text listing n distinct scopes. It appends with
// strconv, not fmt: under -race, 276k Fprintf calls took seconds.
func manyScopes(n int) string {
	b := make([]byte, 0, 16*n+32)
	b = append(b, "Missing scopes: ["...)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, "Scope"...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ":Get"...)
	}
	return string(append(b, ']'))
}

// nasty is every kind of character Error() must not print as it is.
const nasty = "a\x00b\x1b[31mc\r\nd\u0085e\u200bf\u202ag\u202bh\u202ci\u202dj\u202ek\u2066l\u2067m\u2068n\u2069o\u2028p\u2029q\ufeffr\xffs\u061ct"

// checkLine fails t unless msg is one bounded, printable line.
func checkLine(t *testing.T, what, msg string) {
	t.Helper()
	if len(msg) > maxErrorText {
		t.Errorf("%s: Error() is %d bytes, want at most %d", what, len(msg), maxErrorText)
	}
	if !utf8.ValidString(msg) {
		t.Errorf("%s: Error() is not valid UTF-8", what)
	}
	for _, r := range msg {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp) {
			t.Errorf("%s: Error() holds %U", what, r)
			return
		}
	}
}

// allocatedBytes returns the bytes f allocates, on average over runs.
func allocatedBytes(runs int, f func()) uint64 {
	f() // warm caches
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// hostileStatus checks that checkReply on each status gives a bounded
// one-line Error(), for a bounded allocation per call.
func hostileStatus(t *testing.T, tests []struct{ desc, description, details, reqID string }) {
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			reply := &ct.MultiInputResponse{Status: &ct.Status{
				Code: ct.StatusCode_CONN_INSUFFICIENT_SCOPES, Description: tc.description, Details: tc.details, ReqId: tc.reqID,
			}}
			var msg string
			call := func() {
				err := checkReply(postInputs, reply, nil)
				msg = err.Error()
			}
			if n := allocatedBytes(5, call); n > 1<<20 {
				t.Errorf("checkReply and Error() allocate %d bytes per call, want under 1 MiB", n)
			}
			checkLine(t, tc.desc, msg)
			if n := testing.AllocsPerRun(5, call); n > 2*scopename.MaxParsed {
				t.Errorf("%v allocations per call", n)
			}
		})
	}
}

// TestAttackScopeListBomb (attack 7): a status listing 276k scopes gives a
// bounded Error() for a bounded allocation, and Error() stays bounded
// whatever a caller put in the fields.
func TestAttackScopeListBomb(t *testing.T) {
	hostileStatus(t, []struct{ desc, description, details, reqID string }{
		{"276k scopes", "Insufficient scopes", manyScopes(276_000), "r"},
		{"276k scopes in the description", manyScopes(276_000), manyScopes(276_000), "r"},
	})
	t.Run("every field at its worst", errorBoundedWhatever)
}

// TestAttackHugeDescriptions (held): 10 MB status texts give a bounded
// Error() for a bounded allocation.
func TestAttackHugeDescriptions(t *testing.T) {
	huge := strings.Repeat("x", 10<<20)
	hostileStatus(t, []struct{ desc, description, details, reqID string }{
		{"10 MB description", huge, "", "r"},
		{"10 MB everywhere", huge, huge + "y", huge},
	})
}

// TestAttackControlCharacters (attack 10): terminal escapes, bidi
// overrides, line and paragraph separators and invalid UTF-8 in any status
// field are not printed by Error().
func TestAttackControlCharacters(t *testing.T) {
	hostileStatus(t, []struct{ desc, description, details, reqID string }{
		{"control, format and separators", nasty, nasty + " Missing scopes: Inputs:Add", nasty},
		{"invalid UTF-8 everywhere", strings.Repeat("\xff", 10000), strings.Repeat("\xfe", 10000), strings.Repeat("\xc0", 1000)},
	})
}

// errorBoundedWhatever: Error() stays bounded whatever the fields hold,
// also when a caller filled them (no parse bound applies then).
func errorBoundedWhatever(t *testing.T) {
	var list []string
	for i := range 276_000 {
		list = append(list, "Scope"+strconv.Itoa(i)+":Get\u202e\xff")
	}
	long := strings.Repeat("\xff\u202e", 1<<20)
	e := &Error{
		Method: long, Code: 77777, Description: long, Details: long + "x", ReqID: long,
		Missing: list, MissingEndpoints: list,
	}
	msg := e.Error()
	checkLine(t, "every field at its worst", msg)
	if !strings.Contains(msg, "more]") {
		t.Errorf("lists are not cut with \"… and N more\": %q", msg[len(msg)-200:])
	}
	if n := testing.AllocsPerRun(3, func() { _ = e.Error() }); n > 40 {
		t.Errorf("Error() allocates %v times", n)
	}
	if got := fmt.Sprint(*e); got != msg {
		t.Error("printing an Error value differs from Error()")
	}
	// The count of what is left out is exact.
	e = &Error{Code: 11007, Missing: list[:2000]}
	msg = e.Error()
	shown := strings.Count(msg, "Scope")
	if want := fmt.Sprintf("… and %d more]", 2000-shown); !strings.Contains(msg, want) {
		t.Errorf("Error() = …%q, want it to end with %q", msg[len(msg)-40:], want)
	}
}

// TestAttackGarbageStatusBytes (held): random bytes where a Clarifai status
// or a MyScopes reply should be never panic, and give bounded results.
func TestAttackGarbageStatusBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		b := make([]byte, rng.IntN(512))
		for j := range b {
			b[j] = byte(rng.UintN(256))
		}
		if i%3 == 0 && len(b) > 2 {
			b[0], b[1] = 0x12, 0x7f // a length-delimited field 2 that overruns
		}
		_ = wire.DecodeStatus(b)
		if r, err := wire.DecodeMyScopesReply(b, 4096, 1024); err == nil && (len(r.Scopes) > 4096 || len(r.Endpoints) > 4096) {
			t.Fatalf("decode returned %d scopes", len(r.Scopes))
		}
		p := status.New(codes.PermissionDenied, string(b)).Proto()
		p.Details = []*anypb.Any{{TypeUrl: "type.googleapis.com/clarifai.api.status.Status", Value: b}}
		err := status.FromProto(p).Err()
		if e, ok := FromError(err); ok {
			checkLine(t, "garbage details", e.Error())
		}
		_ = Retriable(err)
	}
}
