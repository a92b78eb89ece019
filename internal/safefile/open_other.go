//go:build !unix

package safefile

// openFlags is empty where FIFOs cannot block an open.
const openFlags = 0
