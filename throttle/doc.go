// Package throttle keeps calls to Clarifai under an account's rate limit
// with GCRA (the generic cell rate algorithm) with reservations: each call
// takes the next free slot of its budget and waits for it in the process,
// so that it is paced before it is sent instead of being answered
// CONN_THROTTLED (11005). Local keeps the budgets in this process; Redis
// keeps them in Redis, one request a call, shared by every process (pod)
// that uses the same Redis or Redis Cluster.
//
// A Limiter is given to the authentication interceptors, which ask it
// before every attempt of a call and tell it how the attempt ended:
//
//	l := throttle.Redis(rdb, 15, 15)
//	conn, err := clarifaiauth.NewClient(clarifaiauth.WithInterceptorOptions(interceptor.WithThrottle(l)))
//	// or, for a connection of your own:
//	opts := clarifaiauth.DialOptions(src, interceptor.WithThrottle(l))
//
// Each credential has its own budget, named by a fingerprint of the key
// (never the key itself); Account gives every key one shared budget.
//
// What a Limiter promises:
//
//   - A call whose slot would come after its context's deadline fails at
//     once, unsent and costing nothing, with codes.ResourceExhausted
//     (ErrLimited); a call whose context ends while it waits gives its
//     slot back.
//   - A CONN_THROTTLED reply slows the budget to 0.7 of its rate (with
//     Redis, for the whole fleet); the rate climbs back by 2 % a second.
//   - Retries are bounded as in gRPC's retry throttling (gRFC A6).
//   - With Redis, a Redis that fails, refuses the script or does not
//     answer in time never fails a call: the Limiter paces in the process
//     at its share of the rate, says so once (Logger), and goes back to
//     Redis when the script runs again.
//
// docs/throttling.md says how, and what it costs.
package throttle
