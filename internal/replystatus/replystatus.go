// Package replystatus gives this module's packages the in-band status check
// of package scopes without making it part of scopes' API. It follows
// grpc-go's idiom for internal hooks: scopes fills the function variables in
// its init, so a package that uses them must import scopes, as every caller
// does to handle the *scopes.Error they return.
package replystatus

// Hooks, set by package scopes' init.
var (
	// ReadCode returns the code of the Clarifai status in reply and true
	// when reply is a proto.Message with a field "status" of type
	// clarifai.api.status.Status (an unset status reads as 0); it does not
	// allocate.
	ReadCode func(reply any) (code int32, ok bool)
	// NewError returns the *scopes.Error for the status in reply, a
	// response or stream message of method.
	NewError func(method string, reply any) error
	// OK reports whether code says the request succeeded and is done
	// (SUCCESS, MIXED_STATUS, ACCEPTED, *_SUCCESS): not a failure, progress
	// or state.
	OK func(code int32) bool
)

// Check returns a *scopes.Error when reply carries a Clarifai status whose
// code failed reports, and nil otherwise (also for a reply without one).
// failed must not be nil; scopes.Code.Failed is the usual one.
func Check[C ~int32](method string, reply any, failed func(C) bool) error {
	code, ok := ReadCode(reply)
	if !ok || !failed(C(code)) {
		return nil
	}
	return NewError(method, reply)
}
