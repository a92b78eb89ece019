package main

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// methodGetUser answers whose credential a call carries when asked for the
// user "me".
const methodGetUser = "/" + v2Service + "/GetUser"

// patOwner asks the server whose PAT key is (GetUser of the user "me"), as
// Clarifai's Python SDK does, so that a PAT given with another user's ID is
// named before MyScopes fails on it. It returns "" when the server does not
// say: the check goes on without it, and MyScopes reports a key the server
// rejects or a server it cannot reach.
func patOwner(ctx context.Context, conn *grpc.ClientConn, key keysource.Key) string {
	md, err := clarifaifake.FixtureFiles().FindDescriptorByName(v2Service + ".GetUser")
	if err != nil {
		return ""
	}
	m := md.(protoreflect.MethodDescriptor)
	req, resp := dynamicpb.NewMessage(m.Input()), dynamicpb.NewMessage(m.Output())
	setPath(req, "user_app_id", "user_id", "me")
	if err := conn.Invoke(ctx, methodGetUser, req, resp, interceptor.CallKey(key)); err != nil {
		return ""
	}
	owner := getPath(resp, "user", "id")
	if owner == "me" {
		return ""
	}
	return owner
}

// setPath sets the string field leaf of the message field parent of m.
func setPath(m *dynamicpb.Message, parent, leaf, v string) {
	pf := m.Descriptor().Fields().ByName(protoreflect.Name(parent))
	if pf == nil || pf.Message() == nil {
		return
	}
	sub := m.Mutable(pf).Message()
	if lf := pf.Message().Fields().ByName(protoreflect.Name(leaf)); lf != nil && lf.Kind() == protoreflect.StringKind {
		sub.Set(lf, protoreflect.ValueOfString(v))
	}
}

// getPath reads the string field leaf of the message field parent of m.
func getPath(m *dynamicpb.Message, parent, leaf string) string {
	pf := m.Descriptor().Fields().ByName(protoreflect.Name(parent))
	if pf == nil || pf.Message() == nil || !m.Has(pf) {
		return ""
	}
	lf := pf.Message().Fields().ByName(protoreflect.Name(leaf))
	if lf == nil || lf.Kind() != protoreflect.StringKind {
		return ""
	}
	return m.Get(pf).Message().Get(lf).String()
}

// fromSetting puts the flag or variable name keycheck knows in place of
// the option name NewClient's errors give for the API base, keeping the
// error's gRPC status.
func fromSetting(err error, from string) error {
	st, ok := status.FromError(err)
	if !ok || from == "" || from == "WithAPIBase" || !strings.Contains(st.Message(), "WithAPIBase") {
		return err
	}
	return status.Error(st.Code(), strings.ReplaceAll(st.Message(), "WithAPIBase", from))
}
