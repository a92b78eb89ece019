// Package clarifaiauth connects Go programs to the Clarifai gRPC API with
// every call authenticated: NewClient reads the key, the server and the
// default app where Clarifai's SDKs read them, and returns a connection
// whose interceptors put one credential on each call and turn a failed
// Clarifai status inside a reply into a *scopes.Error.
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
// Resolve shows what NewClient found and where, DialOptions gives the same
// authentication to a connection a program dials itself, and RetryOptions
// the retry policy that suits Clarifai's throttling.
//
// The packages, wired together here:
//
//   - keysource: where a key comes from (environment, CLI login, mounted
//     files, secret managers) and the per-request override.
//   - interceptor: the unary and stream interceptors that attach the key,
//     check each reply's status and fill a default app.
//   - scopes: what Clarifai's status codes and method options mean.
//   - preflight: what a key may do (MyScopes) and the grant cache that
//     refuses a call the key may not make before it is sent.
//   - throttle: Clarifai's rate limit per credential, in one process or
//     shared by a fleet through Redis.
//   - clarifaifake: a fake Clarifai server for tests, offline.
//   - clarifaiotel: a stats handler that makes OpenTelemetry show in-band
//     failures.
//   - cmd/keycheck: what a key may do, on the command line.
//   - cmd/clarifaifake: the fake server on a loopback port.
//
// None of them imports Clarifai's Go client: they read Clarifai messages by
// protobuf reflection, so they work with whichever version a program links.
package clarifaiauth
