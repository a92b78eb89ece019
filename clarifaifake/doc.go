// Package clarifaifake is a fake Clarifai gRPC API (service clarifai.api.V2)
// for testing code that calls Clarifai, offline. It answers every method of
// the descriptors it serves by checking the call's credential against each
// method's auth type and scopes (Clarifai's method options), as Clarifai
// does, records what each call carried, and reports the least privilege a
// key needs for the calls your tests made.
//
// NewForTest starts a server and returns it with a connection dialled with
// your options (here the authentication of package clarifaiauth):
//
//	func TestCountConcepts(t *testing.T) {
//		pat, err := keysource.NewKey(keysource.KindPAT, "test-pat-0123456789")
//		if err != nil {
//			t.Fatal(err)
//		}
//		fake, conn := clarifaifake.NewForTest(t, clarifaiauth.DialOptions(pat,
//			interceptor.AllowInsecureTransport(), // the fake has no TLS
//		)...)
//		fake.AddPAT("test-pat-0123456789", []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}, nil)
//
//		n, err := CountConcepts(t.Context(), pb.NewV2Client(conn), "general-image-recognition", "https://samples.clarifai.com/metro-north.jpg")
//		if err != nil || n != 1 { // the fake sees one concept
//			t.Fatalf("CountConcepts = %d, %v", n, err)
//		}
//		t.Logf("least privilege:\n%s", fake.LeastPrivilege())
//	}
//
// A failed check is answered in-band, as Clarifai answers it (gRPC code OK,
// Clarifai's code in the reply's status: 11009 for an unknown key, 11007
// CONN_INSUFFICIENT_SCOPES with the missing scopes, 11200 for a credential
// of the wrong kind); otherwise the server's own reply or one a test set
// with SetReply, SetStatus, SetStreamCodes, SetError or SetRateLimit.
// docs/testing.md lists how each call is answered, step by step.
//
// It serves Clarifai's descriptors when the program links Clarifai's Go
// client, else an embedded fixture (FixtureFiles), or those given with
// WithFiles, and registers nothing in the global protobuf registry. A
// recorded Call prints its credential redacted; only Header and Secret
// return it.
package clarifaifake
