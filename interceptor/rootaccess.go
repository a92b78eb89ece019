package interceptor

import "github.com/grpc-keyauth/clarifaiauth/internal/icopts"

// The root package's access to options (see internal/icopts).
func init() {
	icopts.Read = func(opts any) icopts.Info {
		o := applyOptions(opts.([]Option))
		in := icopts.Info{Err: o.err, AllowInsecure: o.allowInsecure, UserAppGiven: o.userAppGiven, Limiter: o.limiter != nil}
		if o.userApp != nil {
			in.UserID, in.AppID = o.userApp.userID, o.userApp.appID
		}
		return in
	}
	icopts.ConnGuarded = Option(buildOption(func(o *options) { o.connGuarded = true }))
	icopts.Explain = func(explain any) any {
		e := explain.(func(error) error)
		return Option(buildOption(func(o *options) { o.explain = e }))
	}
	icopts.WrapLimiter = func(wrap any) any {
		w := wrap.(func(Limiter) Limiter)
		return Option(buildOption(func(o *options) {
			if o.limiter != nil {
				o.limiter = w(o.limiter)
			}
		}))
	}
}
