// Package fakev2 is a fake Clarifai gRPC API server (service clarifai.api.V2)
// for tests and demos.
//
// It serves the methods described by an embedded FileDescriptorSet (see
// Files) with dynamicpb messages, and never registers anything in the global
// protobuf registry, so it can be linked into programs that also link
// Clarifai's official client. It must not import internal/clarifaitest.
//
// Every call is recorded (Calls), then answered as follows:
//
//  1. An error set with SetError is returned as the gRPC status of the call.
//  2. A status forced with SetStreamCodes (streaming methods) or SetStatus is
//     sent in-band, whatever the credentials.
//  3. Otherwise the call is authenticated like Clarifai does, with in-band
//     failures (gRPC code OK, Clarifai code in the response's status field):
//     no credential, both `authorization` and `x-clarifai-session-token`, or
//     more than one value: 11102 CONN_INVALID_REQUEST "Invalid request";
//     `authorization` not of the form `Key <secret>`: 11008 CONN_KEY_INVALID;
//     an unknown key: 11009 CONN_KEY_NOT_FOUND "API key not found"; an
//     unknown session token: 11001 CONN_TOKEN_INVALID. Methods whose
//     cl_auth_type is NoAuth skip this step and the next. The auth type is
//     otherwise not enforced: keys and session tokens are accepted alike.
//  4. The method's depending scopes (its cl_depending_scopes option) must all
//     be among the credential's scopes, unless the credential has the scope
//     "All" or lists the method's full name among its endpoints. Otherwise
//     the reply is 11007 CONN_INSUFFICIENT_SCOPES with description
//     "Insufficient scopes" and details of the form
//     "Missing scopes: [Inputs:Add Predict]; or endpoint: /clarifai.api.V2/PostInputs"
//     (the missing scopes in the method's order, separated by spaces).
//  5. Success: code 10000 SUCCESS, description "Ok", and a payload (see
//     Server).
//
// Every reply carries a request id "fake-<n>" in status.req_id.
package fakev2
