//go:build unix

package safefile

import "syscall"

// openFlags makes the open of a FIFO return at once instead of waiting for a
// writer; it changes nothing for a regular file.
const openFlags = syscall.O_NONBLOCK
