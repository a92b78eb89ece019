// Package clarifaiauth connects Go programs to the Clarifai gRPC API with
// every call authenticated, and turns Clarifai's in-band failures into Go
// errors that say what is missing.
//
// Clarifai reads a credential from every call's metadata
// ("authorization: Key <key-or-PAT>", or "x-clarifai-session-token") and
// reports most failures inside a successful reply. NewClient reads the key,
// the server and the default app where Clarifai's own SDKs read them, and
// returns a connection on which every call carries the key and a reply whose
// status is a failure comes back as a *scopes.Error:
//
//	// Reads the key, the server and the default app as Clarifai's SDKs do:
//	// CLARIFAI_PAT (or the Clarifai CLI's login), CLARIFAI_API_BASE,
//	// CLARIFAI_USER_ID and CLARIFAI_APP_ID.
//	conn, err := clarifaiauth.NewClient()
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer conn.Close()
//	client := pb.NewV2Client(conn) // Clarifai's generated client, any version
//
//	resp, err := client.PostModelOutputs(ctx, req)
//	var se *scopes.Error
//	if errors.As(err, &se) && errors.Is(err, scopes.ErrInsufficientScopes) {
//		log.Printf("key lacks %v (or endpoint %v)", se.Missing, se.MissingEndpoints)
//	}
//
// Resolve shows what NewClient found and where (for a program's first log
// line), DialOptions gives the same authentication to a connection a
// program dials itself, and RetryOptions the retry policy that suits
// Clarifai's throttling.
//
// The library is a few packages, wired together here:
//
//   - keysource: where a key comes from (static, environment, mounted
//     files that rotate, the CLI's login, cached secret managers, chains)
//     and the per-request override. Keys never print their secret.
//   - interceptor: unary and stream client interceptors, and a
//     PerRPCCredentials adapter, that put exactly one credential on every
//     call, check each reply's Clarifai status, fill a default app, and can
//     refuse a call the key may not make before sending it.
//   - scopes: Clarifai's status codes as typed errors with gRPC codes, what
//     each method requires (from Clarifai's method options), and what a key
//     may do (MyScopes).
//   - clarifaifake: a fake Clarifai server for testing code that calls
//     Clarifai, offline, with a least-privilege report.
//   - clarifaiotel: a stats handler that makes OpenTelemetry traces show
//     Clarifai's in-band failures.
//
// None of them imports Clarifai's official Go client or registers a
// protobuf name under clarifai.*: they read Clarifai messages by protobuf
// reflection, so they work with whichever version of the client a program
// links.
package clarifaiauth
