package clarifaifake_test

import (
	"context"
	"fmt"
	"log"
	"slices"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
)

// TestRateLimit: past its burst a credential is answered CONN_THROTTLED
// in-band, another credential is not, NoAuth methods are not counted, and
// a limit of zero removes it. The rate is one call in a thousand seconds,
// so no token comes back during the test, however slow the machine.
func TestRateLimit(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("pat-a", []string{"All"}, nil)
	s.AddPAT("pat-b", []string{"All"}, nil)
	s.SetRateLimit(0.001, 3)

	codesFor := func(secret string, n int) []int32 {
		var got []int32
		for range n {
			replies, err := call(withKey(t, secret), s, conn, mPostModelOutputs, predictRequest(s, "m"))
			if err != nil {
				t.Fatalf("%s: %v", secret, err)
			}
			got = append(got, codesOf(replies)...)
		}
		return got
	}
	if _, err := call(ctxWith(t), s, conn, mListStatusCodes); err != nil {
		t.Fatal(err)
	}
	if got, want := codesFor("pat-a", 5), []int32{codeSuccess, codeSuccess, codeSuccess, codeThrottled, codeThrottled}; !slices.Equal(got, want) {
		t.Errorf("pat-a: codes %v, want %v", got, want)
	}
	if got, want := codesFor("pat-b", 1), []int32{codeSuccess}; !slices.Equal(got, want) {
		t.Errorf("pat-b, another credential: codes %v, want %v", got, want)
	}
	replies, err := call(withKey(t, "pat-a"), s, conn, mPostModelOutputs, predictRequest(s, "m"))
	if err != nil || len(replies) != 1 {
		t.Fatalf("throttled call: %d replies, %v", len(replies), err)
	}
	if n := listLen(replies[0], "outputs"); n != 0 {
		t.Errorf("a throttled reply has %d outputs, want none", n)
	}
	s.SetRateLimit(0, 0)
	if got, want := codesFor("pat-a", 2), []int32{codeSuccess, codeSuccess}; !slices.Equal(got, want) {
		t.Errorf("after the limit is removed: codes %v, want %v", got, want)
	}
}

// TestRateLimitUnknownKey: a call with an unknown key is refused as such,
// not throttled, and does not use a token.
func TestRateLimitUnknownKey(t *testing.T) {
	s, conn := start(t)
	s.SetRateLimit(0.001, 1)
	for range 2 {
		replies, err := call(withKey(t, "nobody"), s, conn, mPostModelOutputs, predictRequest(s, "m"))
		if err != nil {
			t.Fatal(err)
		}
		if got := codesOf(replies); !slices.Equal(got, []int32{codeKeyNotFound}) {
			t.Errorf("unknown key: codes %v, want [%d]", got, codeKeyNotFound)
		}
	}
}

// Limit each credential's rate, as Clarifai limits an account's, to see
// how your code copes with CONN_THROTTLED: here one call a second and two
// at once, so the third of three quick calls is throttled.
func ExampleServer_SetRateLimit() {
	fake, err := clarifaifake.New()
	if err != nil {
		log.Fatal(err)
	}
	fake.AddPAT("test-pat-000000000000000000000001", []string{"All"}, nil)
	fake.SetRateLimit(1, 2)
	defer fake.Stop()
	conn, err := fake.Dial()
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	for range 3 {
		_, err := countConcepts(context.Background(), conn, "test-pat-000000000000000000000001", v2Of(fake))
		fmt.Println(err)
	}
	// Output:
	// <nil>
	// <nil>
	// status 11005: The rate limit of this account was exceeded: wait before retrying
}
