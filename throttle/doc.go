// Package throttle keeps calls to Clarifai under an account's rate limit,
// so that they are paced before they are sent instead of being answered
// CONN_THROTTLED (11005). Local paces the calls of one process; Redis
// shares one budget among every process that uses the same Redis, such as
// the pods of one service.
//
// A Limiter is given to the authentication interceptors, which ask it
// before every attempt of a call and tell it how the attempt ended:
//
//	l := throttle.Redis(rdb, 15, 15)
//	conn, err := clarifaiauth.NewClient(clarifaiauth.WithThrottle(l))
//	// or, for a connection of your own:
//	opts := clarifaiauth.DialOptions(src, interceptor.WithThrottle(l))
//
// Each credential has its own budget, named by a fingerprint of the key
// (never the key itself), so keys given per call or per tenant are paced
// apart; Account gives every key one shared budget.
//
// What a Limiter promises:
//
//   - Every attempt takes a token, retries included; a stream takes one
//     when it opens.
//   - A call that cannot get its token before its context's deadline fails
//     at once, unsent, with codes.ResourceExhausted (ErrLimited).
//   - A CONN_THROTTLED reply slows that credential's calls in this process
//     (to half the rate, then less if the replies go on); the rate comes
//     back by itself, doubling each second without one.
//   - Retries are bounded as in gRPC's retry throttling: each throttled
//     reply costs one token of ten, each other outcome earns a tenth of
//     one, and while half or fewer are left retries fail at once, unsent,
//     with ErrLimited. A throttled fleet does not multiply its own load.
//   - With Redis, a Redis that fails or is slow to answer (over 50 ms)
//     never fails a call: the Limiter paces with a local rate, says so once
//     (Logger), and goes back to Redis when it answers again.
package throttle
