package interceptor

import (
	"github.com/grpc-keyauth/clarifaiauth/internal/transportsec"
	"google.golang.org/grpc"
)

// AllowInsecureTransport lets keys travel over a connection without
// transport security (a local proxy, a test server on loopback). Without
// it a key goes only over a connection reporting privacy and integrity
// (TLS, ALTS); calls over any other fail with Unauthenticated, unsent.
func AllowInsecureTransport() CredentialsOption {
	return credOption(func(o *options) { o.allowInsecure = true })
}

// guard returns callOpts with transportsec's per-call guard added: the key
// then goes only over a connection the rule allows, even on a connection
// dialled without DialOptions. It adds nothing with AllowInsecureTransport,
// or when the connection applies the rule itself (DialOptions' guard, see
// connGuarded). Without other call options it does not allocate: the
// shared slice has no room to append to.
func (o *options) guard(callOpts []grpc.CallOption) []grpc.CallOption {
	if o.allowInsecure || o.connGuarded {
		return callOpts
	}
	if len(callOpts) == 0 {
		return guardOnly
	}
	return append(callOpts[:len(callOpts):len(callOpts)], transportsec.CallOption)
}

var guardOnly = []grpc.CallOption{transportsec.CallOption}
