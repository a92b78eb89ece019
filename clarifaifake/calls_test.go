package clarifaifake_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
)

func TestCallsRecordWhatWasSent(t *testing.T) {
	s, conn := start(t)
	secret := testutil.Marker(t)
	s.AddPAT(secret, predictScopes, nil)
	ctx := ctxWith(t, "authorization", "Key "+secret, "x-clarifai-request-id-prefix", "my-sdk-1.0")
	if _, err := call(ctx, s, conn, mPostModelOutputs, predictRequest(s, "m1")); err != nil {
		t.Fatal(err)
	}
	if _, err := call(ctx, s, conn, mPostInputs); err != nil {
		t.Fatal(err)
	}
	calls := s.Calls()
	if len(calls) != 2 || calls[0].Method != mPostModelOutputs || calls[1].Method != mPostInputs {
		t.Fatalf("calls = %v", calls)
	}
	c := calls[0]
	if c.Secret() != secret || !slices.Equal(c.Header("authorization"), []string{"Key " + secret}) {
		t.Error("Secret or Header does not give the credential as sent")
	}
	if got := c.Header("x-clarifai-request-id-prefix"); !slices.Equal(got, []string{"my-sdk-1.0"}) {
		t.Errorf("request id prefix %v", got)
	}
	if get(c.Requests()[0], "model_id").String() != "m1" || len(c.Requests()) != 1 {
		t.Errorf("request %v", c.Requests()[0])
	}
	if !slices.Equal(c.Codes, []int32{codeSuccess}) || !slices.Equal(calls[1].Codes, []int32{codeInsufficientScopes}) {
		t.Errorf("codes %v %v", c.Codes, calls[1].Codes)
	}
	if !strings.Contains(c.String(), `x-clarifai-request-id-prefix="my-sdk-1.0"`) {
		t.Errorf("String() = %s, drops other headers", c)
	}

	// Printed in any way, a call shows the key redacted.
	testutil.NoSecretIn(t, "Call", c, secret)
	testutil.NoSecretIn(t, "[]Call", calls, secret)
	testutil.NoSecret(t, "Call %v", fmt.Sprintf("%v", c), secret)
	if !strings.Contains(c.String(), `authorization="Key …`+secret[len(secret)-4:]+`"`) {
		t.Errorf("String() = %s, want the key's last four characters", c)
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 {
		t.Error("ResetCalls kept calls")
	}
}

func TestCallsOfSessionTokens(t *testing.T) {
	s, conn := start(t)
	token := testutil.Marker(t)
	s.AddSessionToken(token, nil, nil)
	if _, err := call(withSession(t, token), s, conn, mListScopes); err != nil {
		t.Fatal(err)
	}
	c := s.Calls()[0]
	if c.Secret() != token || !slices.Equal(c.Codes, []int32{codeSuccess}) {
		t.Errorf("Secret or codes wrong: %v", c)
	}
	testutil.NoSecretIn(t, "Call", c, token)

	// A short secret shows nothing of itself.
	s.AddPAT("short", nil, nil)
	call(withKey(t, "short"), s, conn, mMyScopes)
	if str := s.Calls()[1].String(); strings.Contains(str, "hort") {
		t.Errorf("short secret shown: %s", str)
	}
}
