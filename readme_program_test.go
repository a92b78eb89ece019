package clarifaiauth_test

// This file is, line for line after its package clause, the program of
// README.md's "A first program", with the test fixture's import path in
// place of Clarifai's (TestReadmeSnippetsCompile checks it;
// TestReadmeProgram in readme_run_test.go runs it).

import (
	"context"
	"errors"
	"log"

	"github.com/grpc-keyauth/clarifaiauth"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

func main() {
	names, err := describe(context.Background(), "https://samples.clarifai.com/metro-north.jpg")
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("general-image-recognition sees %v", names)
}

// describe asks Clarifai's public model general-image-recognition what it
// sees in an image.
func describe(ctx context.Context, imageURL string) ([]string, error) {
	resp, err := predict(ctx, &pb.PostModelOutputsRequest{
		// Public models live in the app clarifai/main, not in yours.
		UserAppId: &pb.UserAppIDSet{UserId: "clarifai", AppId: "main"},
		ModelId:   "general-image-recognition",
		Inputs:    []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Url: imageURL}}}},
	})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range resp.GetOutputs()[0].GetData().GetConcepts() {
		names = append(names, c.GetName())
	}
	return names, nil
}

// predict calls Clarifai with the key and server that Clarifai's SDKs
// would use: CLARIFAI_PAT (or the CLI's login) and CLARIFAI_API_BASE.
func predict(ctx context.Context, req *pb.PostModelOutputsRequest) (*pb.MultiOutputResponse, error) {
	s, err := clarifaiauth.Resolve()
	if err != nil {
		return nil, err // no key anywhere: the error lists where it looked
	}
	log.Printf("connecting to %s", s)
	conn, err := clarifaiauth.NewClient()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	resp, err := pb.NewV2Client(conn).PostModelOutputs(ctx, req)
	var se *scopes.Error
	if errors.As(err, &se) && errors.Is(err, scopes.ErrInsufficientScopes) {
		log.Printf("key lacks %v (or endpoint %v)", se.Missing, se.MissingEndpoints)
	}
	return resp, err
}
