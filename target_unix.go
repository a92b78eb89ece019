//go:build unix

package clarifaiauth

import "syscall"

// nonBlock makes opening a FIFO return at once instead of waiting for a
// writer; the file is then refused for not being regular.
const nonBlock = syscall.O_NONBLOCK
