package clarifaiauth_test

// This file is, line for line after its package clause, the test of
// README.md's "Testing your code", with the test fixture's import path in
// place of Clarifai's (TestReadmeSnippetsCompile checks it).

import (
	"context"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// CountConcepts is the code under test: how many concepts one of Clarifai's
// public models sees in an image.
func CountConcepts(ctx context.Context, client pb.V2Client, modelID, imageURL string) (int, error) {
	resp, err := client.PostModelOutputs(ctx, &pb.PostModelOutputsRequest{
		UserAppId: &pb.UserAppIDSet{UserId: "clarifai", AppId: "main"}, // a public model's app
		ModelId:   modelID,
		Inputs:    []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Url: imageURL}}}},
	})
	if err != nil {
		return 0, err
	}
	return len(resp.GetOutputs()[0].GetData().GetConcepts()), nil
}

func TestCountConcepts(t *testing.T) {
	pat, err := keysource.NewKey(keysource.KindPAT, "test-pat-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	fake, conn := clarifaifake.NewForTest(t, clarifaiauth.DialOptions(pat,
		interceptor.AllowInsecureTransport(), // the fake has no TLS
	)...)
	fake.AddPAT("test-pat-0123456789", []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}, nil)

	n, err := CountConcepts(t.Context(), pb.NewV2Client(conn), "general-image-recognition", "https://samples.clarifai.com/metro-north.jpg")
	if err != nil || n != 1 { // the fake sees one concept
		t.Fatalf("CountConcepts = %d, %v", n, err)
	}
	t.Logf("least privilege:\n%s", fake.LeastPrivilege())
}
