// Package cache is the module's one cache with single flight, and its one
// timeout wrapper (Run).
//
// A Cache loads each key once however many callers want it at once (single
// flight), keeps the outcome for a TTL (one for values, one for errors),
// and bounds what it keeps by bytes: each entry reports its size, and the
// oldest entries are evicted first (insertion order, FIFO). FIFO rather
// than LRU because a hit then changes nothing: hits are a lock-free map
// read, and only stores and evictions take the cache's lock.
//
// A load runs under context.WithoutCancel of the first caller's context
// (its values, not its cancellation, since other callers share it), bounded
// by Options.Timeout. Each caller waits for it only as long as its own
// context lasts. A panicking loader becomes an error wrapping ErrPanicked,
// and a loader that hangs past the timeout is abandoned: the callers get
// the timeout error, and its goroutine ends when the loader returns. Hung
// loaders are bounded by Options.MaxLoads.
package cache
