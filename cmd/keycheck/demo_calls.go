package main

// The demo's calls to the fake server, made with dynamic messages built
// from its descriptors.

import (
	"context"
	"fmt"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// predict calls PostModelOutputs and shows the reply.
func (d *demo) predict(ctx context.Context, cc grpc.ClientConnInterface) error {
	resp, err := d.callPredict(ctx, cc)
	if err != nil {
		return fmt.Errorf("PostModelOutputs with the environment key: %w", err)
	}
	d.printf("  PostModelOutputs(model %q, image %s) → no error\n", demoModelID, demoImage)
	code := scopes.Code(getEnum(resp, "status.code"))
	d.printf("    status        %s (%d), req_id %s\n", code, int32(code), getString(resp, "status.req_id"))
	if outs := getValue(resp, "outputs"); outs.IsValid() && outs.List().Len() > 0 {
		out := outs.List().Get(0).Message()
		d.printf("    outputs[0]    id %s, model %s", getString(out, "id"), getString(out, "model.id"))
		if cs := getValue(out, "data.concepts"); cs.IsValid() && cs.List().Len() > 0 {
			c := cs.List().Get(0).Message()
			d.printf(", concept %q", getString(c, "name"))
			if v := getValue(c, "value"); v.IsValid() {
				d.printf(" %.2f", v.Float())
			}
		}
		d.printf("\n")
	}
	return d.expectLastKey(demoPAT)
}

// predictQuiet calls PostModelOutputs and only reports failure.
func (d *demo) predictQuiet(ctx context.Context, cc grpc.ClientConnInterface) error {
	_, err := d.callPredict(ctx, cc)
	return err
}

func (d *demo) callPredict(ctx context.Context, cc grpc.ClientConnInterface) (protoreflect.Message, error) {
	req, resp, err := newMessages(methodPostModelOutputs)
	if err != nil {
		return nil, err
	}
	if err := setValue(req, "model_id", protoreflect.ValueOfString(demoModelID)); err != nil {
		return nil, err
	}
	if err := d.fillRequest(req); err != nil {
		return nil, err
	}
	if err := cc.Invoke(ctx, methodPostModelOutputs, req, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// postInputs calls PostInputs with one image input and returns its error.
func (d *demo) postInputs(ctx context.Context, cc grpc.ClientConnInterface) error {
	req, resp, err := newMessages(methodPostInputs)
	if err != nil {
		return err
	}
	if err := d.fillRequest(req); err != nil {
		return err
	}
	return cc.Invoke(ctx, methodPostInputs, req, resp)
}

// fillRequest sets user_app_id and one image input.
func (d *demo) fillRequest(req *dynamicpb.Message) error {
	if err := setValue(req, "user_app_id.user_id", protoreflect.ValueOfString(demoUserID)); err != nil {
		return err
	}
	if err := setValue(req, "user_app_id.app_id", protoreflect.ValueOfString(demoAppID)); err != nil {
		return err
	}
	fd := req.Descriptor().Fields().ByName("inputs")
	if fd == nil || !fd.IsList() || fd.Message() == nil {
		return fmt.Errorf("%s has no repeated message field inputs", req.Descriptor().FullName())
	}
	inputs := req.Mutable(fd).List()
	in := inputs.NewElement()
	if err := setValue(in.Message(), "data.image.url", protoreflect.ValueOfString(demoImage)); err != nil {
		return err
	}
	inputs.Append(in)
	return nil
}

// newMessages returns empty dynamic request and response messages of a V2
// method, built from the fake server's fixture descriptors, which live in a
// private registry: the demo registers nothing in the global protobuf
// registry.
func newMessages(fullMethod string) (req, resp *dynamicpb.Message, err error) {
	d, err := clarifaifake.FixtureFiles().FindDescriptorByName(v2Service)
	if err != nil {
		return nil, nil, err
	}
	svc, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, nil, fmt.Errorf("%s is not a service", v2Service)
	}
	name := fullMethod[strings.LastIndexByte(fullMethod, '/')+1:]
	md := svc.Methods().ByName(protoreflect.Name(name))
	if md == nil {
		return nil, nil, fmt.Errorf("%s has no method %s", v2Service, name)
	}
	return dynamicpb.NewMessage(md.Input()), dynamicpb.NewMessage(md.Output()), nil
}

// setValue sets the field at a dotted path of singular fields, creating the
// messages on the way.
func setValue(m protoreflect.Message, path string, v protoreflect.Value) error {
	names := strings.Split(path, ".")
	for i, name := range names {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil || fd.IsList() || fd.IsMap() {
			return fmt.Errorf("%s has no singular field %s", m.Descriptor().FullName(), name)
		}
		if i == len(names)-1 {
			m.Set(fd, v)
			return nil
		}
		if fd.Message() == nil {
			return fmt.Errorf("%s.%s is not a message", m.Descriptor().FullName(), name)
		}
		m = m.Mutable(fd).Message()
	}
	return nil
}

// getValue reads the field at a dotted path; the result is invalid when a
// field on the way does not exist.
func getValue(m protoreflect.Message, path string) protoreflect.Value {
	names := strings.Split(path, ".")
	for i, name := range names {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return protoreflect.Value{}
		}
		v := m.Get(fd)
		if i == len(names)-1 {
			return v
		}
		if fd.Message() == nil || fd.IsList() || fd.IsMap() {
			return protoreflect.Value{}
		}
		m = v.Message()
	}
	return protoreflect.Value{}
}

// getString reads a string field at a dotted path ("" when absent).
func getString(m protoreflect.Message, path string) string {
	if v := getValue(m, path); v.IsValid() {
		return v.String()
	}
	return ""
}

// getEnum reads an enum field at a dotted path (0 when absent).
func getEnum(m protoreflect.Message, path string) int32 {
	if v := getValue(m, path); v.IsValid() {
		if e, ok := v.Interface().(protoreflect.EnumNumber); ok {
			return int32(e)
		}
	}
	return 0
}
