// Package clarifaifake is a fake Clarifai gRPC API (service clarifai.api.V2)
// for testing code that calls Clarifai, offline: it knows keys and what each
// may do, enforces every method's auth type and scopes as Clarifai does,
// lets a test choose replies, records what each call carried, and reports
// the least privilege a key needs for the calls your tests made.
//
// In a test, NewForTest starts a server and returns it with a connection,
// dialled with the options you give (here the authentication of package
// clarifaiauth, over plaintext), to hand to your code (CountConcepts, which
// calls PostModelOutputs):
//
//	func TestCountConcepts(t *testing.T) {
//		pat, err := keysource.NewKey(keysource.KindPAT, "test-pat-0123456789")
//		if err != nil {
//			t.Fatal(err)
//		}
//		fake, conn := clarifaifake.NewForTest(t, clarifaiauth.DialOptions(pat,
//			interceptor.AllowInsecureTransport(), // the fake has no TLS
//			interceptor.WithUserApp("me", "my-app"),
//		)...)
//		fake.AddPAT("test-pat-0123456789", []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}, nil)
//
//		n, err := CountConcepts(t.Context(), pb.NewV2Client(conn), "general-image-recognition", "https://samples.clarifai.com/metro-north.jpg")
//		if err != nil || n != 1 { // the fake sees one concept, "fake-concept"
//			t.Fatalf("CountConcepts = %d, %v", n, err)
//		}
//		t.Logf("least privilege:\n%s", fake.LeastPrivilege())
//	}
//
// It serves whatever V2 descriptors it is given: by default those of
// Clarifai's Go client when the program links it (protoregistry.GlobalFiles),
// else an embedded fixture with a few real methods (FixtureFiles), or any
// descriptor set (ParseDescriptorSet). It registers nothing in the global
// protobuf registry, so it links beside Clarifai's client.
//
// # How a call is answered
//
// Every call is recorded (Calls), then answered as follows:
//
//  1. An error set with SetError is returned as the call's gRPC status. A
//     method the descriptors lack gets Unimplemented.
//  2. Codes set with SetStreamCodes (streaming methods) or a status set with
//     SetStatus are sent in-band, with the usual payload, whatever the
//     credentials.
//  3. Unless the method's cl_auth_type is NoAuth, the credential is checked,
//     with in-band failures (gRPC code OK, Clarifai's code in the reply's
//     status field, no payload): no credential, both `authorization` and
//     `x-clarifai-session-token`, or several values: 11102
//     CONN_INVALID_REQUEST; `authorization` not of the form `Key <secret>`:
//     11008 CONN_KEY_INVALID; an unknown key: 11009 CONN_KEY_NOT_FOUND "API
//     key not found"; an unknown session token: 11001 CONN_TOKEN_INVALID.
//  4. The credential's kind must suit the auth type: an app-specific API key
//     (AddAPIKey) may not call PATAuth methods, only a session token may
//     call SessionTokenAuth methods, and nothing calls AdminAuth methods:
//     11200 CONN_AUTH_METHOD_DISABLED otherwise (see AddAPIKey for why this
//     code). A session token may call every other method.
//  5. The method's cl_depending_scopes must all be among the credential's
//     scopes, unless it has the scope "All" or lists the method among its
//     endpoints; otherwise 11007 CONN_INSUFFICIENT_SCOPES "Insufficient
//     scopes" with the details of InsufficientScopesDetails.
//  6. A ReplyFunc set with SetReply answers, if any.
//  7. Otherwise the server's own reply: SUCCESS "Ok" with a payload.
//     PostModelOutputs, GenerateModelOutputs, StreamModelOutputs return one
//     output per input naming the request's model_id and echoing the input;
//     PostInputs and PostKeys echo what was sent, with ids filled in;
//     MyScopes returns the credential's scopes and endpoints (its grant) and
//     the app named by user_app_id; GetUser the user of user_app_id (for
//     "me", the credential's user: see SetUser); ListConcepts one concept;
//     ListScopes the scope enum with each scope's dependencies;
//     ListStatusCodes the status codes. Other methods reply with the status
//     alone.
//
// Streams: a server-streaming method sends three replies (or one per code
// of SetStreamCodes); a bidirectional one answers each message received
// until the client closes its side; an upload stream (a bidirectional
// method whose name ends in "Upload", such as PostModelVersionsUpload)
// answers each message with UPLOAD_IN_PROGRESS and, once the client closes
// its side, ends with MODEL_BUILDING, as Clarifai does; a client-streaming
// method answers once, covering every message. A refused stream gets one
// reply, then ends.
//
// Every reply carries a request id "fake-<n>" in status.req_id.
//
// # Secrets
//
// A recorded Call prints its credential redacted with every fmt verb, and
// its Metadata is redacted; only Header and Secret return the raw value.
//
// # Least privilege
//
// After your tests ran against the server, LeastPrivilege reports the
// scopes (or, alternatively, the endpoints) and the kind of credential that
// cover every call it served, from each method's options. The package
// function LeastPrivilege computes the same for a list of methods.
package clarifaifake
