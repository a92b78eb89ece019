package clarifaifake_test

import (
	"context"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
)

// TestReadme is the README's "Testing your code" example, with
// countConcepts standing for the user's function (which would take
// Clarifai's generated client).
func TestReadme(t *testing.T) {
	fake, conn := clarifaifake.NewForTest(t)
	fake.AddPAT("test-pat-0000000000000000000000001", []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}, nil)

	n, err := countConcepts(context.Background(), conn, "test-pat-0000000000000000000000001", v2Of(fake))
	if err != nil || n != 1 {
		t.Fatalf("countConcepts = %d, %v", n, err)
	}
	if calls := fake.Calls(); len(calls) != 1 || calls[0].Method != "/clarifai.api.V2/PostModelOutputs" {
		t.Errorf("calls: %v", calls)
	}
	t.Logf("least privilege:\n%s", fake.LeastPrivilege())
}
