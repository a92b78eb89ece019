// Package scopes says what Clarifai's statuses and method options mean: it
// turns a failed status into a typed [*Error] and reads the scopes and
// credential each method needs. It makes no calls; package preflight asks
// the server what a key may do.
//
// Most Clarifai failures are not gRPC errors: the call succeeds and the
// reply's field "status" carries a Clarifai [Code]. The interceptors turn a
// failed one into an *Error that works with errors.Is (sentinels such as
// [ErrInsufficientScopes]), errors.As and status.Code. [FromError] builds the
// same from a server's gRPC Unauthenticated or PermissionDenied error, and
// [Retriable] tells which errors clear by retrying.
//
// Code knows the 429 names of Clarifai's status enum (version 12.4.0 of its
// clients) from a table generated from testdata/clarifai-status-codes.tsv:
// whether each is a failure, and the gRPC code a failure's *Error carries.
// A [Catalog] reads the scopes and auth type Clarifai annotates each method
// with (its [Requirement]) from protobuf descriptors.
//
// The package never imports Clarifai's Go client: it reads Clarifai messages
// by full name and field number, so it works with whatever version a program
// links, or none. Server text is hostile: what an *Error prints of it is
// bounded and cleaned. docs/scopes.md has the code table and the rules.
package scopes
