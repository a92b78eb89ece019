// Command clarifaifake serves a fake Clarifai API on a local port, for
// running programs against: every method of Clarifai's API 12.4.0, with the
// credentials, scopes and rate limit given on the command line, answered as
// package clarifaifake answers them.
//
//	go run github.com/grpc-keyauth/clarifaiauth/cmd/clarifaifake -pat my-test-pat
//
// Its first line on stdout is the API base to give a program
// (CLARIFAI_API_BASE=http://127.0.0.1:PORT); then one line for each call it
// answers, with the key redacted. It listens on loopback unless -addr says
// otherwise, and stops on SIGINT or SIGTERM. docs/testing.md shows how to
// use it.
//
// # Flags
//
//	-pat SECRET[=Scope1,Scope2]  a personal access token; repeatable
//	-key SECRET[=Scope1,Scope2]  an app-specific API key; repeatable
//	-addr HOST:PORT              where to listen (default 127.0.0.1:0, a free port)
//	-rate N                      answer CONN_THROTTLED past N calls a second per key
//
// A credential without scopes has them all. At least one is needed.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
