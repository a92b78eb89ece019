// Package wire is the one decoder (and the few encoders) of the protobuf
// wire format in this module: Clarifai statuses packed in gRPC status
// details, MyScopes requests and replies, and method option extensions
// read from their bytes. It needs no Clarifai Go types, so the module
// works with whatever version of Clarifai's client a program links.
//
// Decoders accept hostile input: they never panic, bound what they copy,
// and stop at the first damage.
package wire
