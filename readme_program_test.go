package clarifaiauth_test

// This file is, line for line after its package clause, the program
// snippet of README.md's "With Clarifai's generated client", with the
// test fixture's import path in place of Clarifai's
// (TestReadmeSnippetsCompile checks it).

import (
	"context"
	"errors"
	"log"

	"github.com/grpc-keyauth/clarifaiauth"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// predict calls Clarifai with the key, server and app that Clarifai's SDKs
// would use: CLARIFAI_PAT (or the CLI's login), CLARIFAI_API_BASE,
// CLARIFAI_USER_ID and CLARIFAI_APP_ID.
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
