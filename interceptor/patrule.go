package interceptor

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/internal/protomsg"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// patRuleCheck refuses a request sent with a personal access token that
// names no user and no app, when WithUserApp gives no default. A stream
// checks every message it sends, and opens at its first.
var patRuleCheck = check{
	on: func(o *options, c call) bool {
		return o.userApp == nil && c.k.Kind() == keysource.KindPAT
	},
	at:   atEach,
	lazy: true,
	run: func(_ context.Context, _ *options, c call, req any) (any, error) {
		return req, needsUserApp(c.k, req)
	},
}

// errNoUserApp refuses a call made with a personal access token whose
// request names no user and no app: Clarifai cannot tell which app a PAT
// call is for, and answers with a vague error.
var errNoUserApp = status.Error(codes.FailedPrecondition, "clarifaiauth: a call with a personal access token must name the user and app it acts on: "+
	"set CLARIFAI_USER_ID and CLARIFAI_APP_ID, give interceptor.WithUserApp, or fill the request's user_app_id; call not sent")

// needsUserApp returns errNoUserApp when k is a personal access token
// (keysource.KindPAT; a KindKey may be an API key, which implies its app)
// and req has a user_app_id that names neither a user nor an app. A
// request type without user_app_id, and an upload stream's content part,
// pass.
func needsUserApp(k keysource.Key, req any) error {
	if k.Kind() != keysource.KindPAT {
		return nil
	}
	m, ok := protomsg.Reflect(req)
	if !ok {
		return nil
	}
	sh := shapeOf(m.Descriptor())
	if sh.path == nil {
		return nil
	}
	parents, leaf := sh.path[:len(sh.path)-1], sh.path[len(sh.path)-1]
	for _, fd := range parents {
		if !m.Has(fd) {
			return nil // a content part: the first message named the app
		}
		m = m.Get(fd).Message()
	}
	set := m.Get(leaf).Message()
	if sh.userID != nil && set.Has(sh.userID) || sh.appID != nil && set.Has(sh.appID) {
		return nil
	}
	return errNoUserApp
}
