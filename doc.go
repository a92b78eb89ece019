// Package clarifaiauth authenticates gRPC calls to the Clarifai API and
// turns Clarifai's in-band failures into Go errors.
//
// Clarifai reads a credential from every call's metadata
// ("authorization: Key <key-or-PAT>", or "x-clarifai-session-token") and
// reports most failures inside a successful reply. With this library a
// client is dialled once and every call carries the right credential; a
// reply whose status is a failure comes back as a *scopes.Error that names
// the scopes the key is missing:
//
//	conn, err := grpc.NewClient("api.clarifai.com:443",
//		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(nil, "")),
//		clarifaiauth.DialOptions(keysource.Default())...)
//	if err != nil { ... }
//	client := pb.NewV2Client(conn) // Clarifai's generated client
//
//	resp, err := client.PostInputs(ctx, req)
//	var se *scopes.Error
//	switch {
//	case errors.As(err, &se) && errors.Is(err, scopes.ErrInsufficientScopes):
//		log.Printf("key lacks %v (or endpoint %v)", se.Missing, se.MissingEndpoints)
//	case err != nil:
//		return err // status.Code(err) is meaningful: Unauthenticated, ResourceExhausted…
//	}
//
//	// One request with another key:
//	resp, err = client.PostInputs(keysource.WithKey(ctx, otherPAT), req)
//
// keysource.Default finds the key where Clarifai's SDKs do: CLARIFAI_PAT,
// CLARIFAI_API_KEY or CLARIFAI_SESSION_TOKEN in the environment, then the
// login stored by Clarifai's CLI.
//
// The library is three packages, wired together here:
//
//   - keysource: where a key comes from (static, environment, mounted
//     files that rotate, the CLI's config, cached secret managers, chains)
//     and the per-request override. Keys never print their secret.
//   - interceptor: unary and stream client interceptors, and a
//     PerRPCCredentials adapter, that put exactly one credential on every
//     call and check each reply's Clarifai status.
//   - scopes: Clarifai status codes as typed errors with gRPC codes, what
//     each method requires (from Clarifai's method options), and what a key
//     may do (MyScopes), so a client can refuse a doomed call before
//     sending it.
//
// None of them imports Clarifai's official Go client or registers a
// protobuf name under clarifai.*: they read Clarifai messages by protobuf
// reflection, so they work with whichever version of the client a program
// links.
package clarifaiauth
