package interceptor

import (
	"context"
	"sync/atomic"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpc-keyauth/clarifaiauth/internal/protomsg"
)

// WithUserApp names a default app, as CLARIFAI_USER_ID and CLARIFAI_APP_ID
// do: a request whose user_app_id names neither a user nor an app is sent
// as a shallow copy naming userID and appID; the caller's message is left
// as it is. Given to NewClient (WithInterceptorOptions) it wins over the
// environment. Two empty arguments turn it off.
func WithUserApp(userID, appID string) Option {
	return buildOption(func(o *options) {
		o.userAppGiven = true
		if userID == "" && appID == "" {
			o.userApp = nil
			return
		}
		o.userApp = &userAppDefault{userID: userID, appID: appID}
	})
}

// userAppFill names the default app of WithUserApp in each request that
// names none.
var userAppFill = check{
	on: func(o *options, _ call) bool { return o.userApp != nil },
	at: atEach,
	run: func(_ context.Context, o *options, _ call, req any) (any, error) {
		return o.userApp.fill(req), nil
	},
}

// userAppDefault is the app WithUserApp names.
type userAppDefault struct {
	userID, appID string
	// last is the shape of the request type seen last: most connections
	// send one or a few types in a row, and comparing a descriptor is
	// cheaper than a lookup in the shared cache. It holds a pointer from
	// that cache, so replacing it does not allocate.
	last atomic.Pointer[requestShape]
}

// shape returns the shape of requests of type md.
func (d *userAppDefault) shape(md protoreflect.MessageDescriptor) *requestShape {
	if sh := d.last.Load(); sh != nil && sh.md == md {
		return sh
	}
	sh := shapeOf(md)
	d.last.Store(sh)
	return sh
}

// fill returns req, or a shallow copy of it naming the default app when req
// names none. A nil d returns req.
func (d *userAppDefault) fill(req any) any {
	if d == nil {
		return req
	}
	m, ok := protomsg.Reflect(req)
	if !ok {
		return req
	}
	sh := d.shape(m.Descriptor())
	if sh.path == nil {
		return req
	}
	// The containers above user_app_id must be there: an upload stream's
	// content parts have no upload_config, and must not get one.
	parents, leaf := sh.path[:len(sh.path)-1], sh.path[len(sh.path)-1]
	cur := m
	for _, fd := range parents {
		if !cur.Has(fd) {
			return req
		}
		cur = cur.Get(fd).Message()
	}
	// An unset user_app_id reads as an empty one; Has of a proto3 string
	// field means "not empty".
	set := cur.Get(leaf).Message()
	if sh.userID != nil && set.Has(sh.userID) || sh.appID != nil && set.Has(sh.appID) {
		return req
	}

	top := shallowCopy(m)
	parent := top
	for _, fd := range parents {
		c := shallowCopy(parent.Get(fd).Message())
		parent.Set(fd, protoreflect.ValueOfMessage(c))
		parent = c
	}
	named := parent.NewField(leaf).Message()
	if sh.userID != nil && d.userID != "" {
		named.Set(sh.userID, protoreflect.ValueOfString(d.userID))
	}
	if sh.appID != nil && d.appID != "" {
		named.Set(sh.appID, protoreflect.ValueOfString(d.appID))
	}
	parent.Set(leaf, protoreflect.ValueOfMessage(named))
	return top.Interface()
}

// shallowCopy returns a new message of m's type holding m's fields: values
// of message, list, map and bytes fields are shared, not copied.
func shallowCopy(m protoreflect.Message) protoreflect.Message {
	c := m.New()
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		c.Set(fd, v)
		return true
	})
	if u := m.GetUnknown(); len(u) > 0 {
		c.SetUnknown(u)
	}
	return c
}
