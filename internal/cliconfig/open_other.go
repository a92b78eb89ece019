//go:build !unix

package cliconfig

// openFlags is empty where FIFOs cannot block an open.
const openFlags = 0
